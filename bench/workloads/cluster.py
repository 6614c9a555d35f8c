"""``cluster``: roomservice on one node and on two nodes behind nginx, in the same run, and failover.

Every node runs on PostgreSQL (``--postgres-url``: the run empties that database) and, in a cluster,
on Redis (``--redis-url``, under a key prefix of the run's own, deleted afterwards).

1. *fan-out*, per configuration (one node alone; two nodes on Redis behind the repository's nginx
   config): the fanout workload's rooms of chatting players, through the configuration's entry point.
   Saturated frames/s, then latency at one fixed rate for every configuration: half the lower of the
   saturated rates (a rate the slower configuration cannot keep up with would measure its queue, not
   its latency; a configuration measured at a higher rate first is measured again on fresh nodes).
   Server CPU per node and nginx's CPU. Through nginx the rooms' players land on both
   nodes (nginx takes turns), so most frames cross Redis to reach half of each room.
2. *failover*, on two nodes behind nginx, ``--kills`` times: a player seated in a new room keeps
   chatting through nginx, every 0.2 s, reconnecting when its socket goes; the room's owner (as
   ``GET /api/rooms/{code}`` names it) is SIGKILLed; the failover time is from the SIGKILL to the first
   chat sent after it that comes back broadcast (numbered by the room's new owner). The killed node is
   then started again on its port, and the next kill waits until nginx has it back in rotation.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import statistics
import sys
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import websockets
from websockets.asyncio.client import ClientConnection

from bench import proxy
from bench.http import HttpConnection
from bench.loadgen import LoadGen, split
from bench.options import Options
from bench.proxy import Nginx
from bench.report import Progress, ratio, table
from bench.servers import ROOT, Server, reset_postgres
from bench.workloads.fanout import SMOKE_RATE, window_for
from bench.workloads.measure import connect_all, phase
from bench.workloads.setup import HOST, create_rooms, identities, seated_players

#: Seconds a room's lease lasts on the nodes (the default): a killed owner's rooms are taken after it.
LEASE_TTL = 3.0
#: How often the failover client retries: a chat, or a reconnect, every this many seconds.
RETRY = 0.2
#: Seconds nginx leaves a node that refused a connection out of rotation (deploy/nginx.conf).
FAIL_TIMEOUT = 5.0
#: Seconds a failover may take before the run gives up on it.
FAILOVER_TIMEOUT = 30.0


@dataclasses.dataclass(frozen=True)
class Config:
    label: str
    nodes: int
    #: Whether the nodes form a cluster on Redis, reached through nginx.
    clustered: bool


CONFIGS = (Config("1 node", 1, False), Config("2 nodes + nginx", 2, True))


class Cluster:
    """Roomservice nodes on one PostgreSQL database (migrated once, before any node starts), on Redis
    when ``clustered``, and nginx in front of them then. ``port`` is where clients go."""

    def __init__(self, config: Config, opts: Options) -> None:
        self.config = config
        self.opts = opts
        self.prefix = f"rs-bench-cluster:{uuid.uuid4().hex[:8]}:"
        self.nodes: list[Server] = []
        self.nginx: Nginx | None = None
        self.per_node: list[dict[str, Any]] = []
        self.nginx_cpu = 0.0

    @property
    def port(self) -> int:
        return self.nginx.port if self.nginx is not None else self.nodes[0].port

    def node_env(self, i: int) -> dict[str, str]:
        env = {"ROOMSERVICE_MIGRATE_ON_START": "false", "ROOMSERVICE_LEASE_TTL": str(LEASE_TTL)}
        if self.config.clustered:
            env.update(
                ROOMSERVICE_REDIS_URL=self.opts.redis_url,
                ROOMSERVICE_REDIS_PREFIX=self.prefix,
                ROOMSERVICE_NODE_ID=f"node-{i + 1}",
            )
        return env

    async def start(self) -> None:
        await reset_postgres(self.opts.postgres_url)
        await migrate(self.opts.postgres_url)
        for i in range(self.config.nodes):
            node = Server(
                "roomservice",
                "postgresql",
                self.opts.postgres_url,
                self.node_env(i),
                fresh_database=False,
                label=f"node-{i + 1}",
            )
            self.nodes.append(node)
            await node.start()
        if self.config.clustered:
            self.nginx = Nginx([f"127.0.0.1:{n.port}" for n in self.nodes])
            await self.nginx.start()

    def node_named(self, node_id: str) -> Server:
        return next(n for n in self.nodes if n.label == node_id)

    # -- Watched: the nodes' resources over a phase ------------------------------------------

    def mark(self) -> None:
        for node in self.nodes:
            node.mark()
        if self.nginx is not None:
            self.nginx.mark()

    def usage(self, elapsed: float) -> dict[str, Any]:
        self.per_node = [node.usage(elapsed) for node in self.nodes]
        self.nginx_cpu = self.nginx.cpu_percent(elapsed) if self.nginx is not None else 0.0
        return {
            key: round(sum(u[key] for u in self.per_node), 3)
            for key in ("cpu_seconds", "cpu_percent", "rss_mib", "peak_rss_mib")
        }

    async def stop(self) -> None:
        if self.nginx is not None:
            await self.nginx.stop()
        for node in self.nodes:
            await node.stop()
        if self.config.clustered:
            await forget_prefix(self.opts.redis_url, self.prefix)


@contextlib.asynccontextmanager
async def running(config: Config, opts: Options) -> AsyncIterator[Cluster]:
    cluster = Cluster(config, opts)
    try:
        await cluster.start()
        yield cluster
    finally:
        await cluster.stop()


async def migrate(url: str) -> None:
    """``roomservice migrate``, once, before the nodes start (as docs/deployment.md says to)."""
    done = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "roomservice.cli",
        "migrate",
        "--database-url",
        url,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        cwd=ROOT,
    )
    output, _ = await done.communicate()
    if done.returncode != 0:
        raise RuntimeError(f"roomservice migrate failed:\n{output.decode(errors='replace')[-2000:]}")


async def forget_prefix(url: str, prefix: str) -> None:
    from redis.asyncio import Redis

    client = Redis.from_url(url)
    try:
        keys = [k async for k in client.scan_iter(match=prefix + "*", count=1000)]
        if keys:
            await client.delete(*keys)
    finally:
        await client.aclose()


# -- fan-out -------------------------------------------------------------------------------------


async def fanout(
    config: Config,
    rooms: int,
    per_room: int,
    rate: float | None,
    opts: Options,
    ui: Progress,
    *,
    saturate: bool = True,
) -> dict[str, Any]:
    """Saturate (unless not ``saturate``), then measure latency at ``rate`` chats/s (None: half the
    saturated rate) on a fresh ``config``."""
    where = f"cluster fanout {rooms}x{per_room} {config.label}"
    ui.begin(f"{where}: starting the nodes and seating players")
    row: dict[str, Any] = {"config": config.label, "nodes": config.nodes}
    async with running(config, opts) as cluster:
        gen = LoadGen("roomservice", opts.workers, ui.update)
        try:
            players = await seated_players("roomservice", cluster.port, rooms, per_room)
            await gen.start()
            ui.begin(f"{where}: connecting {len(players):,} sockets")
            await connect_all(gen, cluster.port, split(players, opts.workers), config.label)
            if saturate:
                window = window_for(per_room)
                ui.begin(f"{where}: saturating ({window} in flight per player)")
                sat = await phase(gen, cluster, opts, ("closed_loop", opts.warmup, opts.duration, window))
                row.update(saturated(sat, cluster))
            if rate is None:
                rate = row["chats_per_s"] / 2
                if opts.smoke:
                    rate = min(rate, SMOKE_RATE)
            ui.begin(f"{where}: latency at {rate:,.0f} chats/s")
            paced = ("open_loop", opts.warmup, opts.duration, rate / len(players))
            row.update(latency(await phase(gen, cluster, opts, paced), rate))
            await gen.all("close")
        finally:
            await gen.stop()
    return row


def saturated(sat: dict[str, Any], cluster: Cluster) -> dict[str, Any]:
    return {
        "frames_per_s": sat["received_per_s"],
        "chats_per_s": sat["sent_per_s"],
        "saturated": sat,
        "us_per_frame": sat["server_us_per_frame"],
        "cpu_percent": sat["server_cpu_percent"],
        "node_cpu_percent": "/".join(f"{u['cpu_percent']:.0f}" for u in cluster.per_node),
        "node_cpu": [u["cpu_percent"] for u in cluster.per_node],
        "nginx_cpu_percent": cluster.nginx_cpu if cluster.config.clustered else None,
        "rss_mib": sat["server_rss_mib"],
        "loadgen_cpu_percent": sat["loadgen_cpu_percent"],
        "lost": sat["sockets_lost"],
    }


def latency(lat: dict[str, Any], rate: float) -> dict[str, Any]:
    return {
        "latency_rate": round(rate, 1),
        "latency": lat,
        "p50_ms": lat["p50_ms"],
        "p99_ms": lat["p99_ms"],
        "max_ms": lat["max_ms"],
        "latency_lost": lat["sockets_lost"],
    }


async def fanout_shape(rooms: int, per_room: int, opts: Options, ui: Progress) -> list[dict[str, Any]]:
    """Every configuration saturated, and its latency at one rate for all: half the lowest saturated
    rate. The cluster runs first (on a machine of few cores it is usually the slower); a configuration
    whose latency was measured at a higher rate than the final one is measured again at it."""
    rows: list[dict[str, Any]] = []
    rate: float | None = None
    for config in reversed(CONFIGS):
        row = await fanout(config, rooms, per_room, rate, opts, ui)
        own = row["chats_per_s"] / 2
        rate = min(row["latency_rate"], own if not opts.smoke else min(own, SMOKE_RATE))
        rows.insert(0, row)
    for config, row in zip(CONFIGS, rows, strict=True):
        if row["latency_rate"] > rate:
            again = await fanout(config, rooms, per_room, rate, opts, ui, saturate=False)
            row.update({k: again[k] for k in ("latency_rate", "latency", "p50_ms", "p99_ms", "max_ms")})
            row["latency_lost"] = again["latency_lost"]
    for row in rows:
        row["lost"] += row.pop("latency_lost")
    return rows


FANOUT_COLUMNS = [
    ("config", "configuration"),
    ("frames_per_s", "frames/s"),
    ("vs_one", "vs 1 node"),
    ("us_per_frame", "node µs/frame"),
    ("node_cpu_percent", "CPU% per node"),
    ("nginx_cpu_percent", "nginx CPU%"),
    ("p50_ms", "p50 ms"),
    ("p99_ms", "p99 ms"),
    ("max_ms", "max ms"),
    ("rss_mib", "RSS MiB"),
    ("loadgen_cpu_percent", "gen CPU%"),
    ("lost", "lost"),
]


# -- failover ------------------------------------------------------------------------------------


class Player:
    """One seated player retrying through the proxy: a chat every ``RETRY`` seconds while its socket is
    open, a new socket (through the proxy) as soon as it is gone."""

    def __init__(self, port: int, token: str) -> None:
        self.url = f"ws://{HOST}:{port}/ws?token={token}"
        self.ws: ClientConnection | None = None

    async def accepted_after(self, since_ns: int, timeout: float) -> float:
        """Seconds from ``since_ns`` (monotonic) until a chat sent after it came back broadcast."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while loop.time() < deadline:
            if self.ws is None:
                try:
                    self.ws = await websockets.connect(self.url, open_timeout=2, close_timeout=0.1)
                except (OSError, TimeoutError, websockets.WebSocketException):
                    await asyncio.sleep(RETRY)
                    continue
            sent = time.monotonic_ns()
            try:
                await self.ws.send(json.dumps({"type": "chat", "text": f"~{sent}"}))
                accepted = await self._echo(since_ns, loop.time() + RETRY)
            except (OSError, websockets.ConnectionClosed):
                self.ws = None
                continue
            if accepted is not None:
                return (accepted - since_ns) / 1e9
        raise RuntimeError(f"no chat was accepted within {timeout} s")

    async def _echo(self, since_ns: int, until: float) -> int | None:
        """The receipt time of a chat of ours sent after ``since_ns`` coming back before ``until``."""
        assert self.ws is not None
        loop = asyncio.get_running_loop()
        while (left := until - loop.time()) > 0:
            try:
                raw = await asyncio.wait_for(self.ws.recv(), left)
            except TimeoutError:
                return None
            frame = json.loads(raw)
            text = frame.get("text") if frame.get("type") == "chat" else None
            if isinstance(text, str) and text.startswith("~") and int(text[1:]) >= since_ns:
                return time.monotonic_ns()
        return None

    async def close(self) -> None:
        if self.ws is not None:
            with contextlib.suppress(Exception):
                await self.ws.close()
            self.ws = None


async def owner_of(port: int, code: str, token: str) -> str:
    conn = await HttpConnection.open(HOST, port)
    try:
        room = await conn.request("GET", f"/api/rooms/{code}", None, token)
    finally:
        await conn.close()
    return str(room["node"])


async def failover(kills: int, opts: Options, ui: Progress) -> dict[str, Any]:
    config = CONFIGS[-1]
    times: list[float] = []
    owners: list[str] = []
    async with running(config, opts) as cluster:
        for k in range(kills):
            ui.begin(f"cluster failover: kill {k + 1} of {kills}")
            (made,), _ = await identities(cluster.port, 1)
            token = made[0]
            (code,) = await create_rooms(cluster.port, [token], 2)
            player = Player(cluster.port, token)
            try:
                await player.accepted_after(time.monotonic_ns(), FAILOVER_TIMEOUT)  # in the room
                owner = await owner_of(cluster.port, code, token)
                victim = cluster.node_named(owner)
                killed = time.monotonic_ns()
                await victim.kill()
                times.append(await player.accepted_after(killed, FAILOVER_TIMEOUT))
                owners.append(owner)
            finally:
                await player.close()
            await victim.start()
            if k + 1 < kills:
                # nginx leaves a node that refused a connection out of rotation for its fail_timeout.
                await asyncio.sleep(FAIL_TIMEOUT)
    return {
        "kills": kills,
        "seconds": [round(t, 3) for t in times],
        "p50_s": round(statistics.median(times), 3),
        "max_s": round(max(times), 3),
        "killed": owners,
        "lease_ttl_s": LEASE_TTL,
        "retry_s": RETRY,
    }


# -- the workload --------------------------------------------------------------------------------


async def run(opts: Options, ui: Progress) -> dict[str, Any]:
    reasons = [
        "" if opts.postgres_url else "it needs --postgres-url (a database the run may empty)",
        "" if opts.redis_url else "it needs --redis-url",
        proxy.missing() or "",
    ]
    notes = [f"cluster: left out: {reason}" for reason in reasons if reason]
    if notes:
        return {"shapes": [], "failover": None, "notes": notes, "tables": ["\n".join(notes)]}
    shapes = []
    for rooms, per_room in opts.shapes:
        rows = await fanout_shape(rooms, per_room, opts, ui)
        rate = rows[0]["latency_rate"]
        for row in rows:
            row["vs_one"] = ratio(row["frames_per_s"], rows[0]["frames_per_s"])
        title = (
            f"cluster fanout {rooms} rooms x {per_room} players on PostgreSQL: saturated frames/s, server "
            f"CPU µs per delivered frame (all nodes), CPU per node while saturated; latency at "
            f"{rate or 0:,.0f} chats/s"
        )
        shapes.append(
            {
                "rooms": rooms,
                "players": per_room,
                "latency_rate": rate,
                "rows": rows,
                "table": table(title, FANOUT_COLUMNS, rows),
            }
        )
    result = await failover(opts.kills, opts, ui)
    kills_table = table(
        f"cluster failover: SIGKILL of a room's owner to the next accepted chat of a player retrying "
        f"through nginx every {RETRY} s ({opts.kills} kills, lease {LEASE_TTL:g} s)",
        [("p50_s", "p50 s"), ("max_s", "max s"), ("each", "each kill, s")],
        [{**result, "each": " ".join(f"{t:.2f}" for t in result["seconds"])}],
    )
    tables = [s["table"] for s in shapes] + [kills_table]
    return {"shapes": shapes, "failover": result, "notes": [], "tables": tables}
