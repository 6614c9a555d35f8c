"""Real processes on 127.0.0.1: ``roomservice serve`` nodes, and Debian's nginx in front of them with
the repository's ``deploy/nginx.conf`` (its upstream servers and listen port rewritten); and a TCP relay
a node can reach Redis through, which a test cuts to cut the node off.

Both are plain subprocesses driven synchronously, so a fixture of any scope can start them. nginx runs
unprivileged: as the test's own user, or, when the tests run as root, as ``nobody`` (its prefix, a
fresh folder under the system's temporary directory, belongs to that user).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import httpx
from bench.proxy import rewrite

ROOT = Path(__file__).resolve().parents[2]
NGINX_CONF = ROOT / "deploy" / "nginx.conf"
NGINX = os.environ.get("ROOMSERVICE_TEST_NGINX", "/usr/sbin/nginx")
#: Every node of a test cluster signs tokens with the same key, as the nodes of one cluster must.
SECRET = "cluster-test-secret"
_START_TIMEOUT = 30.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _wait(ready: Iterable[bool] | None, what: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    """Poll until ``ready`` yields True; fail with the log's end when the process exits or it takes
    longer than the start timeout."""
    deadline = time.monotonic() + _START_TIMEOUT
    for ok in ready or ():
        if ok:
            return
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not start within {_START_TIMEOUT} s:\n{log.read_text()[-3000:]}")
        time.sleep(0.05)


class Node:
    """One ``roomservice serve`` process. ``args`` and ``env`` are added to the command line and the
    environment (``--redis-url …``, ``--database-url …``, ``ROOMSERVICE_*``); without a database URL
    the node has a SQLite file of its own in ``data_dir``."""

    def __init__(self, data_dir: Path, args: Sequence[str] = (), env: dict[str, str] | None = None) -> None:
        self.data_dir = data_dir
        self.args = list(args)
        self.env = env or {}
        self.port = 0
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = data_dir / "node.log"

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return f"http://{self.address}"

    def start(self) -> Node:
        """Start the process; :meth:`wait_ready` waits until it answers. A node started again (after
        :meth:`stop` or :meth:`kill`) listens on the port it had, as a restarted machine would: the
        proxy's upstream line for it stays true."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if not self.port:
            self.port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("ROOMSERVICE_")}
        env.update(
            PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH", "")])),
            ROOMSERVICE_SECRET_KEY=SECRET,
            ROOMSERVICE_DATA_DIR=str(self.data_dir),
        )
        env.update(self.env)
        command = [sys.executable, "-m", "roomservice.cli", "serve", "--host", "127.0.0.1"]
        command += ["--port", str(self.port), "--log-level", "warning", *self.args]
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                command, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=self.data_dir
            )
        return self

    def _healthy(self) -> Iterable[bool]:
        while True:
            try:
                yield httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200
            except httpx.HTTPError:
                yield False

    def wait_ready(self) -> Node:
        assert self.proc is not None
        _wait(self._healthy(), f"roomservice node on {self.address}", self.proc, self.log)
        return self

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self) -> None:
        """SIGKILL, as a crashed machine would."""
        self._signal(signal.SIGKILL)

    def stop(self, timeout: float = 10.0) -> int | None:
        """SIGTERM and wait (SIGKILL after ``timeout``); the exit status."""
        self._signal(signal.SIGTERM)
        if self.proc is None:
            return None
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait()

    def _signal(self, sig: signal.Signals) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(sig)
            if sig == signal.SIGKILL:
                self.proc.wait()


_MAIN = """\
daemon off;
worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log info;
events {{ worker_connections 1024; }}
http {{
    log_format upstreams '$remote_addr "$request" $status upstream=$upstream_addr';
    access_log {prefix}/access.log upstreams;
    client_body_temp_path {prefix}/tmp/body;
    proxy_temp_path {prefix}/tmp/proxy;
    fastcgi_temp_path {prefix}/tmp/fastcgi;
    uwsgi_temp_path {prefix}/tmp/uwsgi;
    scgi_temp_path {prefix}/tmp/scgi;
    include {prefix}/roomservice.conf;
}}
"""


def nginx_available() -> bool:
    return os.access(NGINX, os.X_OK)


class Nginx:
    """Debian's nginx with the repository's config in front of ``upstreams`` (``host:port`` each)."""

    def __init__(self, upstreams: Sequence[str]) -> None:
        self.upstreams = list(upstreams)
        self.port = 0
        self.proc: subprocess.Popen[bytes] | None = None
        self.prefix = Path(tempfile.mkdtemp(prefix="rs-nginx-"))

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws"

    @property
    def error_log(self) -> str:
        return (self.prefix / "error.log").read_text()

    @property
    def access_log(self) -> list[str]:
        path = self.prefix / "access.log"
        return path.read_text().splitlines() if path.exists() else []

    def start(self) -> Nginx:
        self.port = free_port()
        (self.prefix / "tmp").mkdir()
        (self.prefix / "roomservice.conf").write_text(
            rewrite(NGINX_CONF.read_text(), self.upstreams, self.port)
        )
        (self.prefix / "nginx.conf").write_text(_MAIN.format(prefix=self.prefix))
        command = [NGINX, "-p", str(self.prefix), "-c", str(self.prefix / "nginx.conf"), "-e", "stderr"]
        drop = _as_nobody(self.prefix) if os.geteuid() == 0 else None
        log = self.prefix / "stderr.log"
        with log.open("ab") as out:
            self.proc = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, preexec_fn=drop)
        _wait(self._listening(), f"nginx on 127.0.0.1:{self.port}", self.proc, log)
        return self

    def _listening(self) -> Iterable[bool]:
        while True:
            with socket.socket() as s:
                yield s.connect_ex(("127.0.0.1", self.port)) == 0

    def check(self) -> str:
        """``nginx -t`` on the written config: its output (raises when the config is refused)."""
        command = [NGINX, "-t", "-p", str(self.prefix), "-c", str(self.prefix / "nginx.conf"), "-e", "stderr"]
        drop = _as_nobody(self.prefix) if os.geteuid() == 0 else None
        done = subprocess.run(command, capture_output=True, text=True, preexec_fn=drop, check=False)
        if done.returncode != 0:
            raise RuntimeError(done.stderr)
        return done.stderr

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGQUIT)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.prefix, ignore_errors=True)


def _as_nobody(prefix: Path) -> Callable[[], None]:
    """A ``preexec_fn`` that drops root for ``nobody``, who is given ``prefix``."""
    user = pwd.getpwnam("nobody")
    for path in [prefix, *prefix.rglob("*")]:
        os.chown(path, user.pw_uid, user.pw_gid)

    def drop() -> None:
        os.setgroups([])
        os.setgid(user.pw_gid)
        os.setuid(user.pw_uid)

    return drop


class Relay:
    """A TCP relay on 127.0.0.1 in front of ``host:port``, through which a node reaches Redis, so that a
    test can cut the node off (:meth:`cut`: every relayed connection is reset, new ones are refused, as
    when the node's network to Redis fails) and let it back (:meth:`mend`). It runs in a thread with an
    event loop of its own, so it keeps relaying while the test's loop waits on something else."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.port = free_port()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="relay", daemon=True)
        self._server: asyncio.Server | None = None
        self._open: set[asyncio.StreamWriter] = set()

    def start(self) -> Relay:
        self._thread.start()
        self._run(self._listen())
        return self

    def cut(self) -> None:
        self._run(self._cut())

    def mend(self) -> None:
        self._run(self._listen())

    def close(self) -> None:
        if self._thread.is_alive():
            self._run(self._cut())
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)
        self._loop.close()

    def _run(self, coro: Any) -> None:
        asyncio.run_coroutine_threadsafe(coro, self._loop).result(10)

    async def _listen(self) -> None:
        if self._server is None:
            self._server = await asyncio.start_server(
                self._client, "127.0.0.1", self.port, reuse_address=True
            )

    async def _cut(self) -> None:
        if self._server is not None:
            self._server.close()  # no longer listening: new connections are refused
            self._server = None
        for writer in list(self._open):
            writer.transport.abort()  # reset, as a broken network shows itself to the node at last
        self._open.clear()

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.transport.abort()
            return
        self._open |= {writer, up_writer}
        pipes = [
            asyncio.ensure_future(self._pipe(reader, up_writer)),
            asyncio.ensure_future(self._pipe(up_reader, writer)),
        ]
        await asyncio.wait(pipes, return_when=asyncio.FIRST_COMPLETED)
        for pipe in pipes:
            pipe.cancel()
        for w in (writer, up_writer):
            self._open.discard(w)
            w.transport.abort()

    @staticmethod
    async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError):
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()


def start_nodes(nodes: Sequence[Node]) -> list[Node]:
    """Start every node at once and wait until each answers; stops them all if one fails."""
    try:
        for node in nodes:
            node.start()
        for node in nodes:
            node.wait_ready()
    except BaseException:
        for node in nodes:
            with contextlib.suppress(Exception):
                node.stop()
        raise
    return list(nodes)
