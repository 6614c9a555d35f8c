"""Starting and watching the servers under test, each in its own process on 127.0.0.1."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import psutil

from bench import colyseus

ROOT = Path(__file__).resolve().parent.parent

#: What each server kind is called in tables.
LABELS = {
    "roomservice": "roomservice",
    "raw": "raw Starlette",
    "socketio": "python-socketio",
    "colyseus": "Colyseus 0.18",
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def raise_fd_limit() -> int:
    """Lift this process's open-file limit as far as it goes (sockets are files); the new soft limit."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    for want in (1 << 20, 262_144, 65_536, hard):
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (max(want, soft), max(want, hard)))
            return max(want, soft)
        except (ValueError, OSError):
            continue
    return soft


async def reset_postgres(url: str) -> None:
    """Drop every table of the benchmark database, so each run migrates from scratch."""
    import asyncpg

    conn = await asyncpg.connect(url.replace("postgresql+asyncpg", "postgresql"), timeout=5)
    try:
        rows = await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
        if rows:
            names = ", ".join(f'"{r["tablename"]}"' for r in rows)
            await conn.execute(f"DROP TABLE IF EXISTS {names} CASCADE")
    finally:
        await conn.close()


class Server:
    """One server process. ``kind`` is ``roomservice``, ``raw``, ``socketio`` or ``colyseus``; ``store``
    (roomservice only) is ``sqlite`` or ``postgresql``. ``env`` is added to its environment; a
    PostgreSQL database is emptied at start unless ``fresh_database`` is False (a node joining others)."""

    def __init__(
        self,
        kind: str,
        store: str = "sqlite",
        postgres_url: str = "",
        env: dict[str, str] | None = None,
        *,
        fresh_database: bool = True,
        label: str = "",
    ) -> None:
        self.kind = kind
        self.store = store
        self.postgres_url = postgres_url
        self.extra_env = env or {}
        self.fresh_database = fresh_database
        self._label = label
        self.port = 0
        self.proc: asyncio.subprocess.Process | None = None
        self.ps: psutil.Process | None = None
        self._dir = tempfile.TemporaryDirectory(prefix="rs-bench-")
        self.log_path = Path(self._dir.name) / "server.log"
        self._cpu_mark = 0.0
        self.peak_rss = 0
        #: The cores the server runs on (None: wherever the kernel puts it).
        self.cpus: frozenset[int] | None = None
        self._node = ""

    @property
    def data_dir(self) -> Path:
        """roomservice's ``--data-dir`` (its SQLite file is ``roomservice.db`` there); gone after stop."""
        return Path(self._dir.name)

    @property
    def label(self) -> str:
        if self._label:
            return self._label
        base = LABELS[self.kind]
        return f"{base} ({self.store})" if self.kind == "roomservice" else base

    def command(self) -> list[str]:
        if self.kind == "roomservice":
            return [
                sys.executable,
                "-m",
                "roomservice.cli",
                "serve",
                "--port",
                str(self.port),
                "--log-level",
                "warning",
                "--data-dir",
                self._dir.name,
            ]
        if self.kind == "colyseus":
            return [self._node, str(colyseus.SERVER), "--port", str(self.port)]
        module = {"raw": "bench.baselines.raw_starlette", "socketio": "bench.baselines.socketio_server"}
        return [sys.executable, "-m", module[self.kind], "--port", str(self.port)]

    def environment(self) -> dict[str, str]:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH", "")]))
        if self.kind == "roomservice":
            env.update(
                ROOMSERVICE_WS_RATE_LIMIT="0",
                # Every load-generator client comes from 127.0.0.1: no per-address HTTP limits.
                ROOMSERVICE_HTTP_RATE_SESSIONS="0",
                ROOMSERVICE_HTTP_RATE_ROOMS="0",
                ROOMSERVICE_GAMES="bench.games:Lounge,bench.games:Pulse",
                ROOMSERVICE_SECRET_KEY="bench-secret",
                ROOMSERVICE_EXPIRY_INTERVAL="3600",
            )
            env.pop("ROOMSERVICE_DATABASE_URL", None)
            if self.store == "postgresql":
                env["ROOMSERVICE_DATABASE_URL"] = self.postgres_url
        if self.kind == "colyseus":
            env["NODE_PATH"] = str(colyseus.node_modules())
            env["NODE_ENV"] = "production"
        env.update(self.extra_env)
        return env

    async def start(self, timeout: float = 60.0) -> None:
        if self.kind == "roomservice" and self.store == "postgresql" and self.fresh_database:
            await reset_postgres(self.postgres_url)
        if self.kind == "colyseus":
            self._node = str(await asyncio.get_running_loop().run_in_executor(None, colyseus.ensure))
        self.port = self.port or free_port()  # a restarted server listens where it did
        cpus = self.cpus

        def prepare() -> None:
            raise_fd_limit()
            if cpus:
                os.sched_setaffinity(0, cpus)

        log = self.log_path.open("wb")
        self.proc = await asyncio.create_subprocess_exec(
            *self.command(),
            env=self.environment(),
            stdout=log,
            stderr=asyncio.subprocess.STDOUT,
            preexec_fn=prepare,
            cwd=self._dir.name,
        )
        log.close()
        self.ps = psutil.Process(self.proc.pid)
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.returncode is not None:
                raise RuntimeError(f"{self.label} exited at start:\n{self.log_tail()}")
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", self.port)
                writer.close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{self.label} did not listen within {timeout}s") from None
                await asyncio.sleep(0.05)
        self.mark()

    def log_tail(self, lines: int = 30) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        return ""

    # -- measurements ------------------------------------------------------------------------

    def cpu_seconds(self) -> float:
        assert self.ps is not None
        times = self.ps.cpu_times()
        return float(times.user + times.system)

    def rss(self) -> int:
        assert self.ps is not None
        value = int(self.ps.memory_info().rss)
        self.peak_rss = max(self.peak_rss, value)
        return value

    def mark(self) -> None:
        """Start a measurement window: CPU is counted from here, the RSS peak is reset."""
        self._cpu_mark = self.cpu_seconds()
        self.peak_rss = 0
        self.rss()

    def usage(self, elapsed: float) -> dict[str, Any]:
        """CPU (share of one core) and RSS since :meth:`mark`."""
        cpu = self.cpu_seconds() - self._cpu_mark
        return {
            "cpu_seconds": cpu,
            "cpu_percent": round(100 * cpu / elapsed, 1) if elapsed > 0 else 0.0,
            "rss_mib": round(self.rss() / 2**20, 1),
            "peak_rss_mib": round(self.peak_rss / 2**20, 1),
        }

    async def kill(self) -> None:
        """SIGKILL, as a crashed machine would; its folder is kept until :meth:`stop`."""
        if self.proc is not None and self.proc.returncode is None:
            self.proc.kill()
            await self.proc.wait()

    async def stop(self) -> None:
        if self.proc is not None and self.proc.returncode is None:
            self.proc.terminate()
            try:
                await asyncio.wait_for(self.proc.wait(), 10)
            except TimeoutError:
                self.proc.kill()
                await self.proc.wait()
        self._dir.cleanup()
