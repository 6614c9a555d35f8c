"""The client address and scheme behind a proxy: believed only from ``forwarded_allow_ips``."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
import uvicorn

from roomservice.cli import build_parser, settings_from
from roomservice.config import Settings
from roomservice.web.app import create_app
from roomservice.web.server import uvicorn_config
from tests.web.test_rooms import error

SQLITE = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@asynccontextmanager
async def serving(settings: Settings) -> AsyncIterator[str]:
    settings.port = 0
    settings.ws_heartbeat = 0
    instance = uvicorn.Server(uvicorn_config(create_app(settings), settings, log_level="warning"))
    task = asyncio.create_task(instance.serve())
    try:
        while not instance.started:
            if task.done():
                task.result()
            await asyncio.sleep(0.01)
        yield f"http://127.0.0.1:{instance.servers[0].sockets[0].getsockname()[1]}"
    finally:
        instance.should_exit = True
        await asyncio.wait_for(task, 10)


async def _session(http: httpx.AsyncClient, headers: dict[str, str]) -> httpx.Response:
    return await http.post("/api/session", json={"username": "someone"}, headers=headers)


@SQLITE
async def test_a_local_proxy_is_trusted_by_default(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("FORWARDED_ALLOW_IPS", raising=False)
    settings.http_rate_sessions = 2
    async with serving(settings) as url, httpx.AsyncClient(base_url=url) as http:
        behind = {"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"}
        first = await _session(http, behind)
        assert "secure" in first.headers["set-cookie"].lower()
        await _session(http, behind)
        error(await _session(http, behind), 429, "rate_limited")
        # Another client of the same proxy is counted apart.
        assert (await _session(http, {"X-Forwarded-For": "203.0.113.8"})).status_code == 201


@SQLITE
async def test_a_proxy_not_listed_is_not_believed(settings: Settings) -> None:
    settings.http_rate_sessions = 2
    settings.forwarded_allow_ips = "10.9.9.9"
    async with serving(settings) as url, httpx.AsyncClient(base_url=url) as http:
        first = await _session(http, {"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"})
        assert "secure" not in first.headers["set-cookie"].lower()
        await _session(http, {"X-Forwarded-For": "203.0.113.8"})
        # Both came from 127.0.0.1 whatever they claimed.
        error(await _session(http, {"X-Forwarded-For": "203.0.113.9"}), 429, "rate_limited")


def test_the_setting_comes_from_the_environment_and_the_command_line() -> None:
    assert (
        Settings.from_env({"ROOMSERVICE_FORWARDED_ALLOW_IPS": "10.0.0.5"}).forwarded_allow_ips == "10.0.0.5"
    )
    args = build_parser().parse_args(["serve", "--forwarded-allow-ips", "10.0.0.6,10.0.0.7"])
    settings = settings_from(args)
    assert settings.forwarded_allow_ips == "10.0.0.6,10.0.0.7"
    config = uvicorn_config(create_app(settings), settings)
    assert config.forwarded_allow_ips == "10.0.0.6,10.0.0.7"
