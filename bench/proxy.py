"""nginx in front of roomservice nodes, with the repository's ``deploy/nginx.conf``: its upstream
``server`` lines replaced by the nodes' addresses and its ``listen`` by a free port on 127.0.0.1.

Debian's nginx (``apt-get install nginx``; ``ROOMSERVICE_BENCH_NGINX`` names another binary) runs in a
folder of its own, as this user, or as ``nobody`` when the benchmark runs as root.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import pwd
import re
import shutil
import signal
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

import psutil

from bench.servers import ROOT, free_port

NGINX = os.environ.get("ROOMSERVICE_BENCH_NGINX", "/usr/sbin/nginx")
CONF = ROOT / "deploy" / "nginx.conf"

_MAIN = """\
daemon off;
worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 16384; }}
http {{
    access_log off;
    client_body_temp_path {prefix}/tmp/body;
    proxy_temp_path {prefix}/tmp/proxy;
    fastcgi_temp_path {prefix}/tmp/fastcgi;
    uwsgi_temp_path {prefix}/tmp/uwsgi;
    scgi_temp_path {prefix}/tmp/scgi;
    include {prefix}/roomservice.conf;
}}
"""


def missing() -> str | None:
    """Why nginx cannot run here, or None."""
    return None if os.access(NGINX, os.X_OK) else f"nginx is not installed at {NGINX} (apt-get install nginx)"


def rewrite(conf: str, upstreams: Sequence[str], port: int) -> str:
    """``conf`` with one upstream ``server`` line per address (each with the first line's parameters)
    and its one ``listen`` on 127.0.0.1:``port``."""
    lines: list[str] = []
    servers = listens = 0
    in_upstream = False
    for line in conf.splitlines():
        if re.match(r"\s*upstream\s+\S+\s*\{", line):
            in_upstream = True
        elif in_upstream and line.strip() == "}":
            in_upstream = False
        server = re.match(r"(\s*)server\s+\S+?(\s[^;]*)?;", line) if in_upstream else None
        if server is not None:
            if not servers:
                indent, params = server.group(1), server.group(2) or ""
                lines += [f"{indent}server {address}{params};" for address in upstreams]
            servers += 1
            continue
        listen = re.match(r"(\s*)listen\s+[^;]+;", line)
        if listen is not None:
            listens += 1
            line = f"{listen.group(1)}listen 127.0.0.1:{port};"
        lines.append(line)
    if not servers or listens != 1:
        raise ValueError(f"{CONF}: expected upstream server lines and one listen, found {servers}, {listens}")
    return "\n".join(lines) + "\n"


class Nginx:
    """One nginx process in front of ``upstreams`` (``host:port`` each)."""

    def __init__(self, upstreams: Sequence[str]) -> None:
        self.upstreams = list(upstreams)
        self.port = 0
        self.proc: asyncio.subprocess.Process | None = None
        self.ps: psutil.Process | None = None
        self.prefix = Path(tempfile.mkdtemp(prefix="rs-bench-nginx-"))
        self._cpu_mark = 0.0

    async def start(self, timeout: float = 30.0) -> None:
        self.port = free_port()
        (self.prefix / "tmp").mkdir(exist_ok=True)
        (self.prefix / "roomservice.conf").write_text(rewrite(CONF.read_text(), self.upstreams, self.port))
        (self.prefix / "nginx.conf").write_text(_MAIN.format(prefix=self.prefix))
        drop = _as_nobody(self.prefix) if os.geteuid() == 0 else None
        log = (self.prefix / "stderr.log").open("wb")
        self.proc = await asyncio.create_subprocess_exec(
            NGINX,
            "-p",
            str(self.prefix),
            "-c",
            str(self.prefix / "nginx.conf"),
            "-e",
            "stderr",
            stdout=log,
            stderr=asyncio.subprocess.STDOUT,
            preexec_fn=drop,
        )
        log.close()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            if self.proc.returncode is not None:
                raise RuntimeError(f"nginx exited at start:\n{self.log_tail()}")
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", self.port)
                writer.close()
                break
            except OSError:
                if loop.time() > deadline:
                    raise RuntimeError(f"nginx did not listen within {timeout}s") from None
                await asyncio.sleep(0.05)
        # The master only watches: its one worker does the proxying.
        self.ps = psutil.Process(self.proc.pid)
        self.mark()

    def log_tail(self, lines: int = 30) -> str:
        texts = []
        for name in ("stderr.log", "error.log"):
            with contextlib.suppress(OSError):
                texts += (self.prefix / name).read_text(errors="replace").splitlines()
        return "\n".join(texts[-lines:])

    def cpu_seconds(self) -> float:
        if self.ps is None:
            return 0.0
        total = 0.0
        with contextlib.suppress(psutil.Error):
            for proc in [self.ps, *self.ps.children()]:
                times = proc.cpu_times()
                total += times.user + times.system
        return total

    def mark(self) -> None:
        self._cpu_mark = self.cpu_seconds()

    def cpu_percent(self, elapsed: float) -> float:
        return round(100 * (self.cpu_seconds() - self._cpu_mark) / elapsed, 1) if elapsed > 0 else 0.0

    async def stop(self) -> None:
        if self.proc is not None and self.proc.returncode is None:
            self.proc.send_signal(signal.SIGQUIT)
            try:
                await asyncio.wait_for(self.proc.wait(), 10)
            except TimeoutError:
                self.proc.kill()
                await self.proc.wait()
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
