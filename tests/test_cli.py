"""``roomservice serve`` refuses what it cannot run, with one line and no traceback: a Redis URL (several
nodes are not available yet), and a database another live ``serve`` process is serving."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from roomservice import cli

ROOMSERVICE = str(Path(sys.executable).with_name("roomservice"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


def _env(database_url: str, data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ROOMSERVICE_")}
    return {
        **env,
        "ROOMSERVICE_DATABASE_URL": database_url,
        "ROOMSERVICE_DATA_DIR": str(data_dir),
        "ROOMSERVICE_SECRET_KEY": "cli-test",
        **extra,
    }


class Serve:
    """A ``roomservice serve`` process, waited for until it answers /healthz."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        with log.open("ab") as out:
            self.proc = subprocess.Popen(
                [ROOMSERVICE, "serve", "--port", str(self.port)], env=env, stdout=out, stderr=out
            )
        self.log = log

    def wait_healthy(self) -> None:
        for _ in range(300):
            if self.proc.poll() is not None:
                raise AssertionError(f"serve exited {self.proc.returncode}:\n{self.log.read_text()}")
            if self.healthy():
                return
            time.sleep(0.05)
        raise AssertionError("serve did not come up:\n" + self.log.read_text())

    def healthy(self) -> bool:
        try:
            return httpx.get(f"{self.url}/healthz", timeout=2).status_code == 200
        except httpx.TransportError:
            return False

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)


@pytest.fixture
def started(tmp_path: Path) -> Iterator[list[Serve]]:
    procs: list[Serve] = []
    yield procs
    for proc in procs:
        if proc.proc.poll() is None:
            proc.proc.kill()
            proc.proc.wait(10)


def _refused(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [ROOMSERVICE, "serve", "--port", str(_free_port())],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )


def _one_line(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode != 0
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    return lines[0]


@pytest.mark.slow
def test_second_serve_on_one_database_is_refused(
    database_url: str, tmp_path: Path, started: list[Serve]
) -> None:
    env = _env(database_url, tmp_path)
    first = Serve(env, tmp_path / "first.log")
    started.append(first)
    first.wait_healthy()

    line = _one_line(_refused(env))
    assert "already serving the database" in line
    assert "give each a Redis URL (--redis-url)" in line
    assert first.healthy()

    # migrate does not take the lock.
    migrate = subprocess.run([ROOMSERVICE, "migrate"], env=env, capture_output=True, text=True, timeout=60)
    assert migrate.returncode == 0, migrate.stderr
    assert first.healthy()

    # A SIGKILL leaves no stale lock: the next serve starts.
    first.proc.send_signal(signal.SIGKILL)
    first.proc.wait(10)
    second = Serve(env, tmp_path / "second.log")
    started.append(second)
    second.wait_healthy()
    second.stop()


@pytest.mark.slow
def test_ctrl_c_stops_serve_gracefully_without_a_traceback(
    database_url: str, tmp_path: Path, started: list[Serve]
) -> None:
    serve = Serve(_env(database_url, tmp_path), tmp_path / "serve.log")
    started.append(serve)
    serve.wait_healthy()
    serve.proc.send_signal(signal.SIGINT)
    assert serve.proc.wait(20) == 0
    log = serve.log.read_text()
    assert "Application shutdown complete" in log
    assert "Traceback" not in log and "ERROR" not in log, log


@pytest.mark.parametrize("how", ["flag", "environment"])
def test_serve_with_a_redis_url_on_sqlite_exits_before_listening(tmp_path: Path, how: str) -> None:
    url = "redis://127.0.0.1:6379/15"
    env = _env(f"sqlite+aiosqlite:///{tmp_path / 'r.db'}", tmp_path)
    cmd = [ROOMSERVICE, "serve", "--port", str(_free_port())]
    if how == "flag":
        cmd += ["--redis-url", url]
    else:
        env["ROOMSERVICE_REDIS_URL"] = url
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=30)
    line = _one_line(done)
    assert "the database is SQLite" in line and "PostgreSQL --database-url" in line
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "r.db").exists()


def test_there_is_no_bench_subcommand(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.main(["bench", "fanout"])
    assert exited.value.code == 2
    assert "invalid choice: 'bench'" in capsys.readouterr().err


def test_serve_lifts_its_open_files_limit_to_the_hard_limit() -> None:
    """Every socket is a file: the soft limit goes up to what the hard limit allows."""
    import resource

    from roomservice.cli import open_files_limit

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    try:
        if hard != resource.RLIM_INFINITY and hard > 64:
            resource.setrlimit(resource.RLIMIT_NOFILE, (64, hard))
            assert open_files_limit() == hard
            assert resource.getrlimit(resource.RLIMIT_NOFILE) == (hard, hard)
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
