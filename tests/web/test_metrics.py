"""``/metrics``: the Prometheus text format, its token, turned off, route patterns as labels, and one
registry per app."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI
from prometheus_client.parser import text_string_to_metric_families

from roomservice.config import Settings
from roomservice.web.app import create_app
from tests.conftest import Api, FakeClock
from tests.web.test_rooms import error

TOKEN = "metrics-token-0123456789"
SQLITE = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def parse(text: str) -> Samples:
    """Every sample of an exposition, by name and labels."""
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float | None:
    return samples.get((name, frozenset(labels.items())))


async def scrape(client: httpx.AsyncClient, token: str | None = None) -> Samples:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = await client.get("/metrics", headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=")
    return parse(response.text)


async def test_rooms_requests_and_the_process_are_measured(api: Api) -> None:
    alice, bob, carol = await api.user("alice"), await api.user("bob"), await api.user("carol")
    code = (await alice.create_room("r", "tictactoe"))["room_code"]
    await carol.create_room("p", "cabo", private=True)
    assert (await bob.http.post(f"/api/rooms/{code}/join")).status_code == 200
    assert (await alice.http.post(f"/api/rooms/{code}/start")).status_code == 200
    await bob.http.get("/api/rooms/NOSUCH")
    await bob.http.get("/no/such/path")
    await bob.http.get("/static/app.css")

    samples = await scrape(api.client())
    assert value(samples, "roomservice_rooms", state="IN_GAME", game="tictactoe") == 1
    assert value(samples, "roomservice_rooms", state="WAITING", game="cabo") == 1  # private ones count
    assert value(samples, "roomservice_games_running") == 1
    # Route patterns, never the paths clients chose.
    join = {"method": "POST", "route": "/api/rooms/{code}/join"}
    assert value(samples, "roomservice_http_requests_total", **join, status="200") == 1
    assert value(samples, "roomservice_http_request_seconds_count", **join) == 1
    room = {"method": "GET", "route": "/api/rooms/{code}", "status": "404"}
    assert value(samples, "roomservice_http_requests_total", **room) == 1
    requests = "roomservice_http_requests_total"
    assert value(samples, requests, method="GET", route="unmatched", status="404") == 1
    assert value(samples, requests, method="GET", route="/static/{path}", status="200") == 1
    assert not [labels for name, labels in samples if ("route", "/api/rooms/NOSUCH") in labels]
    # The game's first snapshot is written with the room; the journal has had nothing to batch yet.
    assert value(samples, "roomservice_journal_commit_seconds_count") == 0
    assert value(samples, "roomservice_matchmaking_searching", game="cabo") == 0
    assert (value(samples, "roomservice_process_resident_memory_bytes") or 0) > 0


@SQLITE
async def test_the_token_guards_the_endpoint(settings: Settings, clock: FakeClock) -> None:
    settings.metrics_token = TOKEN
    async with _running(settings, clock) as client:
        error(await client.get("/metrics"), 401, "unauthorized")
        error(await client.get("/metrics", headers={"Authorization": "Bearer nope"}), 403, "invalid_token")
        error(await client.get("/metrics", headers={"Authorization": f"Basic {TOKEN}"}), 401, "unauthorized")
        samples = await scrape(client, TOKEN)
        refused = {"method": "GET", "route": "/metrics"}
        assert value(samples, "roomservice_http_requests_total", **refused, status="401") == 2
        assert value(samples, "roomservice_http_requests_total", **refused, status="403") == 1


@SQLITE
async def test_turned_off_it_is_not_there(settings: Settings, clock: FakeClock) -> None:
    settings.metrics = False
    async with _running(settings, clock) as client:
        error(await client.get("/metrics"), 404, "not_found")
        assert (await client.get("/api/games")).status_code == 200
        assert client._transport.app.state.services.stats is None  # type: ignore[attr-defined]


@SQLITE
async def test_two_apps_in_one_process_count_apart(settings: Settings, clock: FakeClock) -> None:
    async with _running(settings, clock) as first:
        other = Settings(database_url=settings.database_url, data_dir=settings.data_dir, secret_key="other")
        async with _running(other, clock) as second:
            for _ in range(3):
                await first.get("/api/games")
            await second.get("/api/games")
            games = {"method": "GET", "route": "/api/games", "status": "200"}
            assert value(await scrape(first), "roomservice_http_requests_total", **games) == 3
            assert value(await scrape(second), "roomservice_http_requests_total", **games) == 1


class _running:
    """An app with its lifespan, and a client on it."""

    def __init__(self, settings: Settings, clock: FakeClock) -> None:
        self.app: FastAPI = create_app(settings, clock=clock, background=False)

    async def __aenter__(self) -> httpx.AsyncClient:
        self._lifespan = self.app.router.lifespan_context(self.app)
        await self._lifespan.__aenter__()
        self.client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.app), base_url="http://testserver"
        )
        return self.client

    async def __aexit__(self, *exc: object) -> None:
        await self.client.aclose()
        await self._lifespan.__aexit__(None, None, None)
