"""``/metrics``: the node's counters in the Prometheus text format.

The hot paths count into plain numbers (``roomservice.stats``); this module turns them into metric
families only when scraped, through a collector of its own in a registry of its own per app (several
apps in one process never share or collide). What needs the database or the matchmaking queue (rooms
by state and game, queue sizes) is read by the scrape itself, before the exposition is written.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from fastapi import APIRouter
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.process_collector import ProcessCollector
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from roomservice.services import Services
from roomservice.stats import Histogram, Stats
from roomservice.web import operators
from roomservice.web.openapi import errors

log = logging.getLogger(__name__)

#: The route label of a request no route matched (an unknown path, or one refused before routing).
UNMATCHED = "unmatched"


def _histogram(
    name: str, doc: str, labels: list[str], series: Iterable[tuple[list[str], Histogram]]
) -> Metric:
    family = HistogramMetricFamily(name, doc, labels=labels)
    for values, histogram in series:
        family.add_metric(values, histogram.cumulative(), histogram.sum)
    return family


class Exporter:
    """The collector: reads ``Stats`` and the services at scrape time. ``refresh`` (awaited by the
    route before each exposition) takes the figures that need I/O."""

    def __init__(self, stats: Stats, services: Callable[[], Services | None]) -> None:
        self.stats = stats
        self.services = services
        #: ``(game, state, rooms)`` and ``game → (searching, open rooms)`` as of the last refresh.
        self.census: list[tuple[str, str, int]] = []
        self.queues: dict[str, tuple[int, int]] = {}

    async def refresh(self) -> None:
        """Read the room census and the queues; when the database cannot answer, the scrape still
        succeeds with the last census (the rest of the figures matter most then)."""
        svc = self.services()
        if svc is None:
            return
        try:
            self.census = await svc.rooms.census()
        except Exception as exc:
            log.warning("metrics: the rooms could not be counted: %s", exc)
        queues: dict[str, tuple[int, int]] = {}
        for game in svc.games:
            figures = await svc.matchmaker.stats(game.id)
            queues[game.id] = (figures.searching, figures.open_rooms)
        self.queues = queues

    def describe(self) -> list[Metric]:
        return []  # nothing to check for clashes: the registry is this app's own

    def collect(self) -> Iterator[Metric]:
        s = self.stats
        svc = self.services()
        yield GaugeMetricFamily("roomservice_sockets_open", "WebSocket connections open", s.sockets_open)
        online = len(svc.hub.connections) if svc is not None else 0
        yield GaugeMetricFamily("roomservice_sessions_online", "Sessions with a socket on this node", online)
        running = len(svc.engine.runners) if svc is not None else 0
        yield GaugeMetricFamily("roomservice_games_running", "Rooms whose game runs on this node", running)
        lobby = svc.hub.lobby.subscribers if svc is not None else 0
        yield GaugeMetricFamily("roomservice_lobby_subscribers", "Sockets following a live lobby", lobby)
        rooms = GaugeMetricFamily("roomservice_rooms", "Rooms by state and game", labels=["state", "game"])
        for game, state, count in self.census:
            rooms.add_metric([state, game], count)
        yield rooms

        frames = CounterMetricFamily(
            "roomservice_frames", "WebSocket frames read (in) and written (out)", labels=["direction"]
        )
        frames.add_metric(["in"], s.frames_in)
        frames.add_metric(["out"], s.frames_out)
        yield frames
        sizes = CounterMetricFamily(
            "roomservice_frame_bytes",
            "Bytes of WebSocket frames read and written, frame headers included",
            labels=["direction"],
        )
        sizes.add_metric(["in"], s.bytes_in)
        sizes.add_metric(["out"], s.bytes_out)
        yield sizes
        yield _histogram(
            "roomservice_fanout_seconds",
            "Seconds a published room frame takes to reach every receiver's outbox on this node",
            [],
            [([], s.fanout)],
        )
        actions = CounterMetricFamily(
            "roomservice_actions",
            "Game actions by game and outcome: accepted, or the code they were refused with",
            labels=["game", "code"],
        )
        for (game, code), count in list(s.actions.items()):
            actions.add_metric([game, code], count)
        yield actions
        yield _histogram(
            "roomservice_journal_commit_seconds",
            "Seconds one journal transaction (a batch of game steps) takes to commit",
            [],
            [([], s.journal_commit)],
        )
        yield _histogram(
            "roomservice_journal_batch_entries",
            "Game log entries written in one journal transaction",
            [],
            [([], s.journal_batch)],
        )
        yield _histogram(
            "roomservice_tick_lateness_seconds",
            "Seconds a real-time game's tick ran after its due time",
            ["game"],
            [([game], h) for game, h in list(s.tick_lateness.items())],
        )
        requests = CounterMetricFamily(
            "roomservice_http_requests",
            "HTTP requests by method, route pattern and status",
            labels=["method", "route", "status"],
        )
        for (method, route, status), count in list(s.http_requests.items()):
            requests.add_metric([method, route, status], count)
        yield requests
        yield _histogram(
            "roomservice_http_request_seconds",
            "Seconds from an HTTP request's arrival to the end of its answer",
            ["method", "route"],
            [([m, r], h) for (m, r), h in list(s.http_seconds.items())],
        )
        searching = GaugeMetricFamily(
            "roomservice_matchmaking_searching", "Matchmaking tickets searching", labels=["game"]
        )
        filling = GaugeMetricFamily(
            "roomservice_matchmaking_open_rooms", "Matchmaking rooms still filling", labels=["game"]
        )
        for game, (n_searching, n_open) in self.queues.items():
            searching.add_metric([game], n_searching)
            filling.add_metric([game], n_open)
        yield searching
        yield filling


class Metrics:
    """One app's registry: its exporter and the process's CPU, memory and open files."""

    def __init__(self, stats: Stats, services: Callable[[], Services | None]) -> None:
        self.stats = stats
        self.registry = CollectorRegistry()
        self.exporter = Exporter(stats, services)
        self.registry.register(self.exporter)
        ProcessCollector(namespace="roomservice", registry=self.registry)

    async def exposition(self) -> bytes:
        await self.exporter.refresh()
        return generate_latest(self.registry)


def route_of(scope: Scope, root_path: str = "") -> str:
    """The pattern of the route that served ``scope`` (``/api/rooms/{code}/join``), never the path
    itself, so the number of series stays bounded whatever clients ask for. A mounted app (the
    static files) is its prefix and ``/{path}``: routing moved the prefix into ``root_path``."""
    route: Any = scope.get("route")
    if isinstance(route, Mount):
        return f"{route.path}/{{path}}"
    path = getattr(route, "path", None)
    if isinstance(path, str):
        return path
    mounted = scope.get("root_path", "")
    if isinstance(mounted, str) and len(mounted) > len(root_path) and mounted.startswith(root_path):
        return f"{mounted[len(root_path) :]}/{{path}}"
    return UNMATCHED


class HttpMetrics:
    """Counts every HTTP request by method, route pattern and status, and times it."""

    def __init__(self, app: ASGIApp, stats: Stats) -> None:
        self.app = app
        self.stats = stats

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        root_path = scope.get("root_path", "")
        status = 500  # unless an answer starts: what the error middleware outside sends

        async def send_counted(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_counted)
        finally:
            route = route_of(scope, root_path)
            self.stats.http(scope["method"], route, status, time.perf_counter() - start)


router = APIRouter(tags=["operators"])


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    response_class=Response,
    responses={
        200: {
            "description": "The Prometheus text exposition format",
            "content": {CONTENT_TYPE_LATEST.split(";")[0]: {"schema": {"type": "string"}}},
        },
        **errors(401, 403, 404),
    },
)
async def metrics(request: Request) -> Response:
    """The node's metrics (docs/operating.md lists them). 404 when ``ROOMSERVICE_METRICS=false``;
    with ``ROOMSERVICE_METRICS_TOKEN`` set, 401 without ``Authorization: Bearer`` and 403 with a
    wrong token."""
    exporter: Metrics | None = request.app.state.metrics
    if exporter is None:
        raise operators.not_found()
    token: str = request.app.state.metrics_token
    if token:
        operators.require(request, token, "metrics endpoint")
    return Response(await exporter.exposition(), media_type=CONTENT_TYPE_LATEST)
