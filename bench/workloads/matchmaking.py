"""``matchmaking``: N tickets (default 10,000) filed at once by C concurrent clients for a 3–5 seat game;
the time until every ticket is placed (its player seated in a room, ``match_found`` sent) and tickets
placed per second, with the in-process queue and with the Redis queue, in one run.

The whole-path rows run the real matchmaker in this process over the real room service (sessions made
beforehand): it files each ticket through the queue's atomic allocation step, makes a room when a group
reaches 3, seats later tickets in it, and would start it when full. Rooms live on a fresh SQLite file,
and, given a PostgreSQL database (``--postgres-url``, emptied first), the Redis queue runs once more on
PostgreSQL: what a node configured with Redis runs on. Nothing is served over HTTP: the tickets are
filed by calling the matchmaker as the HTTP route does, so the figure is placement without the request
handling. Starting the full rooms' games is left out (a starter that only counts). Each row also gives
the CPU time this process spent (the server's share of the machine, steadier than the wall clock on
a shared machine), per ticket.

The whole run is on the event loop ``roomservice serve`` runs the matchmaker on: uvicorn's choice,
uvloop where it is installed (it comes with ``uvicorn[standard]``, a dependency), as ``loop_factory``
says; the loop is named in the results. The collector is set as ``serve`` sets it
(``roomservice.heap``).

Then several nodes (``--match-nodes``, default 2): as many matchmaker processes sharing the Redis queue
and the PostgreSQL database, as several servers share them, the sessions and the clients dealt among
them; the time until every node's tickets are placed, each node's CPU, and a check that every session
sits in exactly one room.

Then the allocation step alone, on each queue: the same tickets filed straight into the queue (``add``,
one Lua script on Redis), no rooms: what the queue itself costs. Beside them, the ceiling of the Redis
rows: the same number of bare round trips by the same C clients, one at a time each, each an
``EVALSHA`` of a script that returns at once, sent the allocation script's arguments. The queue sends
the calls made at the same moment together (one pipeline), so it can go past that ceiling.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import multiprocessing.connection
import multiprocessing.process
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

from sqlalchemy import insert, text

from bench.options import Options
from bench.report import Progress, ratio, table
from bench.servers import reset_postgres
from roomservice import heap
from roomservice.config import Settings
from roomservice.games.base import Context, Game, InvalidAction, Outcome, PlayerId, State
from roomservice.games.registry import GameRegistry
from roomservice.matchmaking.base import MatchQueue
from roomservice.matchmaking.local import LocalQueue
from roomservice.matchmaking.redis import POOL_SIZE, RedisQueue
from roomservice.matchmaking.service import Matchmaker
from roomservice.model import Room, Session
from roomservice.protocol.messages import MatchFound, ServerFrame
from roomservice.services import Services, build_services
from roomservice.store.models import SessionRow


def loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """The event loop ``roomservice serve`` runs on (uvicorn's ``loop="auto"``: uvloop if installed)."""
    import uvicorn

    # Only the loop choice is read: the app (an import path) is never loaded.
    factory: Callable[[], asyncio.AbstractEventLoop] | None = uvicorn.Config(app="").get_loop_factory()
    return factory


class Quintet(Game):
    """Seats 3 to 5, the arena's sizes: a room counts down at 3 and is full at 5. No rules are played."""

    id = "bench_quintet"
    name = "Quintet"
    description = "Matchmaking load: 3 to 5 seats."
    min_players = 3
    max_players = 5
    match_players = (3, 5)

    def setup(self, players: Sequence[PlayerId], options: Mapping[str, Any], ctx: Context) -> Outcome:
        return Outcome({"players": list(players)})

    def apply(self, state: State, player: PlayerId, action: Any, ctx: Context) -> Outcome:
        raise InvalidAction("no_actions", "Nothing to play.")

    def view(self, state: State, viewer: PlayerId | None) -> Any:
        return state

    def result(self, state: State) -> Mapping[str, Any] | None:
        return None


class Placed:
    """The matchmaker's sockets: counts ``match_found`` and says when every ticket has one."""

    def __init__(self, expected: int) -> None:
        self.expected = expected
        self.count = 0
        self.last = 0.0
        self.all = asyncio.Event()

    async def seated(self, session_id: str, room: Room) -> None:
        return None

    def send_to(self, session_id: str, frame: ServerFrame) -> bool:
        if isinstance(frame, MatchFound):
            self.count += 1
            self.last = time.perf_counter()
            if self.count >= self.expected:
                self.all.set()
        return True


class Started:
    """The matchmaker's starter: counts the rooms that filled instead of running their games."""

    def __init__(self) -> None:
        self.rooms = 0

    async def start(self, session: Session, code: str, options: Mapping[str, Any] | None) -> Room:
        self.rooms += 1
        return None  # type: ignore[return-value]  # the matchmaker does not read it


def _settings(database_url: str, data_dir: Path) -> Settings:
    return Settings(
        database_url=database_url,
        data_dir=data_dir,
        secret_key="bench",
        match_countdown=600.0,
        match_timeout=600.0,
    )


def _matchmaker(svc: Services, queue: MatchQueue, placed: Placed, started: Started) -> Matchmaker:
    return Matchmaker(
        svc.settings, svc.games, queue, svc.rooms, svc.outbox, svc.broker, placed, started, svc.scheduler
    )


async def _file_all(
    matchmaker: Matchmaker, sessions: Sequence[Session], clients: int, errors: list[str]
) -> None:
    """Every session files a ticket, by ``clients`` concurrent clients, each filing its share in turn."""

    async def client(mine: Sequence[Session]) -> None:
        for session in mine:
            try:
                await matchmaker.file(session, Quintet.id)
            except Exception as exc:
                errors.append(f"{type(exc).__name__}: {exc}")

    await asyncio.gather(*(client(sessions[i::clients]) for i in range(clients)))


async def _sessions(svc: Any, n: int) -> list[Session]:
    now = time.time()
    made = [Session(uuid.uuid4().hex, f"p{i}", now) for i in range(n)]
    async with svc.db.write() as conn:
        for start in range(0, n, 1000):
            rows = [
                {"id": s.session_id, "username": s.username, "created_at": now, "last_seen": now}
                for s in made[start : start + 1000]
            ]
            await conn.execute(insert(SessionRow), rows)
    return made


async def _matchmaking(
    backend: str, tickets: int, clients: int, redis_url: str, ui: Progress, postgres_url: str = ""
) -> dict[str, Any]:
    label = {"local": "in-process queue", "redis": "Redis queue"}[backend]
    label += ", PostgreSQL" if postgres_url else ", SQLite"
    prefix = f"bench-mm-{uuid.uuid4().hex[:8]}:"
    with TemporaryDirectory() as tmp:
        if postgres_url:
            await reset_postgres(postgres_url)
        settings = _settings(postgres_url or f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}", Path(tmp))
        svc = await build_services(settings, games=GameRegistry([Quintet()]))
        queue: MatchQueue
        if backend == "redis":
            queue = RedisQueue.from_settings(Settings(redis_url=redis_url, redis_prefix=prefix))
        else:
            queue = LocalQueue(clock=svc.scheduler.now)
        placed, started = Placed(tickets), Started()
        matchmaker = _matchmaker(svc, queue, placed, started)
        try:
            ui.begin(f"matchmaking {label}: {tickets:,} sessions")
            sessions = await _sessions(svc, tickets)
            ui.begin(f"matchmaking {label}: {tickets:,} tickets by {clients} clients")
            errors: list[str] = []
            await queue.stats(Quintet.id)  # connected before the clock starts
            cpu0, t0 = time.process_time(), time.perf_counter()
            await _file_all(matchmaker, sessions, clients, errors)
            filed = time.perf_counter() - t0
            try:
                await asyncio.wait_for(placed.all.wait(), 60)
            except TimeoutError:
                errors.append(f"only {placed.count} of {tickets} placed within 60 s")
            cpu = time.process_time() - cpu0
            await matchmaker.idle()
            elapsed = (placed.last or time.perf_counter()) - t0
            stats = await queue.stats(Quintet.id)
        finally:
            await matchmaker.close()  # closes the queue
            await svc.close()
            if backend == "redis":
                await _flush(redis_url, prefix)
    return {
        "row": label,
        "backend": backend,
        "tickets": tickets,
        "clients": clients,
        "placed": placed.count,
        "seconds": round(elapsed, 3),
        "filed_seconds": round(filed, 3),
        "placed_per_s": round(placed.count / elapsed, 1) if elapsed > 0 else None,
        "cpu_seconds": round(cpu, 3),
        "cpu_us_per_ticket": round(cpu / tickets * 1e6, 1),
        "rooms_full": started.rooms,
        "open_rooms": stats.open_rooms,
        "errors": errors[:3],
        "key_prefix": prefix if backend == "redis" else None,
    }


async def _nodes(
    tickets: int, clients: int, nodes: int, redis_url: str, postgres_url: str, ui: Progress
) -> dict[str, Any]:
    """Several matchmaker processes (nodes) sharing the Redis queue and the PostgreSQL database, as
    several servers share them: the sessions and the clients dealt among them, each node filing its
    share. Placed: every node's tickets filed and every node idle; then every session is checked to
    sit in exactly one room."""
    label = f"Redis queue, PostgreSQL, {nodes} nodes"
    prefix = f"bench-mm-{uuid.uuid4().hex[:8]}:"
    await reset_postgres(postgres_url)
    loop = asyncio.get_running_loop()
    errors: list[str] = []
    with TemporaryDirectory() as tmp:
        svc = await build_services(_settings(postgres_url, Path(tmp)), games=GameRegistry([Quintet()]))
        procs: list[multiprocessing.process.BaseProcess] = []
        pipes: list[multiprocessing.connection.Connection] = []

        async def each(*message: Any) -> list[Any]:
            """Send ``message`` to every node (if given), then each node's next answer."""
            for pipe in pipes:
                if message:
                    pipe.send(message)
            answers = await asyncio.wait_for(
                asyncio.gather(*(loop.run_in_executor(None, pipe.recv) for pipe in pipes)), 120
            )
            for answer in answers:
                if answer[0] == "error":
                    raise RuntimeError(f"a matchmaking node failed: {answer[1]}")
            return [answer[1] for answer in answers]

        try:
            ui.begin(f"matchmaking {label}: {tickets:,} sessions")
            sessions = await _sessions(svc, tickets)
            ctx = multiprocessing.get_context("spawn")
            for i in range(nodes):
                parent, child = ctx.Pipe()
                mine = sessions[i::nodes]
                share = max(1, clients // nodes + (i < clients % nodes))
                args = (child, postgres_url, redis_url, prefix, mine, share, tickets)
                procs.append(ctx.Process(target=_node_main, args=args, daemon=True))
                pipes.append(parent)
                procs[-1].start()
            ui.begin(f"matchmaking {label}: starting the nodes")
            await each()  # every node connected and ready
            ui.begin(f"matchmaking {label}: {tickets:,} tickets by {clients} clients")
            filed = await each("go")
            reports: list[dict[str, Any]] = await each("stop")  # once every node has filed its tickets
            async with svc.db.read() as conn:
                seated, rooms = (await conn.execute(text(_SEATED))).one()
        finally:
            for pipe in pipes:
                with contextlib.suppress(OSError):
                    pipe.send(("exit",))
            for proc in procs:
                await loop.run_in_executor(None, proc.join, 10)
                if proc.is_alive():
                    proc.kill()
            await svc.close()
            await _flush(redis_url, prefix)
    placed = sum(r["placed"] for r in reports)
    for report in reports:
        errors.extend(report["errors"])
    if placed != tickets or seated != tickets:
        errors.append(f"{placed} match_found sent and {seated} sessions seated for {tickets} tickets")
    t0 = min(r["start"] for r in reports)
    elapsed = max(r["last"] or r["start"] for r in reports) - t0
    cpus = [r["cpu_seconds"] for r in reports]
    return {
        "row": label,
        "backend": "redis",
        "tickets": tickets,
        "clients": clients,
        "nodes": nodes,
        "placed": placed,
        "seated": seated,
        "seconds": round(elapsed, 3),
        "filed_seconds": round(max(f for f in filed) - t0, 3),
        "placed_per_s": round(placed / elapsed, 1) if elapsed > 0 else None,
        "cpu_seconds": round(sum(cpus), 3),
        "node_cpu_seconds": [round(c, 3) for c in cpus],
        "node_cpu": " · ".join(f"{c:.2f}" for c in cpus),
        "cpu_us_per_ticket": round(sum(cpus) / tickets * 1e6, 1),
        "rooms_full": sum(r["rooms_full"] for r in reports),
        "rooms": rooms,
        "errors": errors[:3],
        "key_prefix": prefix,
    }


#: Every seat in the benchmark's fresh database, and the rooms they are in (a session sits in one room
#: at most: its seat is its primary key).
_SEATED = "SELECT count(*), count(DISTINCT room_id) FROM room_members"


def _node_main(
    pipe: multiprocessing.connection.Connection,
    postgres_url: str,
    redis_url: str,
    prefix: str,
    sessions: list[Session],
    clients: int,
    tickets: int,
) -> None:
    """One matchmaking node of ``_nodes``, in a process of its own, on the loop ``serve`` runs on and
    with its collector settings."""
    heap.settle_for_serving()
    with asyncio.Runner(loop_factory=loop_factory()) as runner:
        runner.run(_node(pipe, postgres_url, redis_url, prefix, sessions, clients, tickets))


async def _node(
    pipe: multiprocessing.connection.Connection,
    postgres_url: str,
    redis_url: str,
    prefix: str,
    sessions: list[Session],
    clients: int,
    tickets: int,
) -> None:
    loop = asyncio.get_running_loop()

    async def wait_for(word: str) -> None:
        # In a thread: a loop's reader would make the pipe non-blocking, which multiprocessing's
        # pipes do not support.
        got = await loop.run_in_executor(None, pipe.recv)
        if got[0] != word:
            raise RuntimeError(f"told {got[0]!r}, not {word!r}")

    with TemporaryDirectory() as tmp:
        try:
            svc = await build_services(_settings(postgres_url, Path(tmp)), games=GameRegistry([Quintet()]))
        except Exception as exc:
            pipe.send(("error", repr(exc)))
            return
        queue = RedisQueue.from_settings(Settings(redis_url=redis_url, redis_prefix=prefix))
        placed, started = Placed(tickets), Started()
        matchmaker = _matchmaker(svc, queue, placed, started)
        errors: list[str] = []
        try:
            await queue.stats(Quintet.id)  # connected before the clock starts
            pipe.send(("ready", None))
            await wait_for("go")
            cpu0, t0 = time.process_time(), time.perf_counter()
            await _file_all(matchmaker, sessions, clients, errors)
            pipe.send(("filed", time.perf_counter()))
            await wait_for("stop")  # the other nodes may still settle groups holding tickets of ours
            await matchmaker.idle()
            cpu = time.process_time() - cpu0
            report = {
                "placed": placed.count,
                "start": t0,
                "last": placed.last,
                "cpu_seconds": cpu,
                "rooms_full": started.rooms,
                "errors": errors[:3],
            }
            pipe.send(("done", report))
        except Exception as exc:
            pipe.send(("error", repr(exc)))
        finally:
            await matchmaker.close()  # closes the queue
            await svc.close()


async def _allocation(
    backend: str, tickets: int, clients: int, redis_url: str, ui: Progress
) -> dict[str, Any]:
    """The queue's allocation step alone: every ticket filed with ``add``, by ``clients`` at once."""
    label = {"local": "in-process queue, allocation only", "redis": "Redis queue, allocation only"}[backend]
    prefix = f"bench-mm-{uuid.uuid4().hex[:8]}:"
    queue: MatchQueue
    if backend == "redis":
        queue = RedisQueue.from_settings(Settings(redis_url=redis_url, redis_prefix=prefix))
    else:
        queue = LocalQueue()
    pool = Quintet.id + "|{}"
    ui.begin(f"matchmaking {label}: {tickets:,} tickets by {clients} clients")
    sizes: list[int] = []

    async def client(n: int) -> None:
        for i in range(n, tickets, clients):
            placement = await queue.add(
                ticket_id=uuid.uuid4().hex,
                session_id=uuid.uuid4().hex,
                username=f"p{i}",
                game=Quintet.id,
                pool=pool,
                queued_at=time.time(),
                max_size=5,
            )
            sizes.append(placement.size)

    try:
        await queue.stats(Quintet.id)  # connected before the clock starts
        cpu0, t0 = time.process_time(), time.perf_counter()
        await asyncio.gather(*(client(n) for n in range(clients)))
        elapsed = time.perf_counter() - t0
        cpu = time.process_time() - cpu0
        stats = await queue.stats(Quintet.id)
    finally:
        await queue.aclose()
        if backend == "redis":
            await _flush(redis_url, prefix)
    return {
        "row": label,
        "backend": backend,
        "tickets": tickets,
        "clients": clients,
        "placed": len(sizes),
        "seconds": round(elapsed, 3),
        "filed_seconds": round(elapsed, 3),
        "placed_per_s": round(len(sizes) / elapsed, 1) if elapsed > 0 else None,
        "cpu_seconds": round(cpu, 3),
        "cpu_us_per_ticket": round(cpu / tickets * 1e6, 1),
        "rooms_full": sizes.count(5),
        "open_rooms": stats.open_rooms,
        "errors": [],
        "key_prefix": prefix if backend == "redis" else None,
    }


async def _ceiling(tickets: int, clients: int, redis_url: str, ui: Progress) -> dict[str, Any]:
    """Bare round trips: an ``EVALSHA`` per ticket of a script that returns at once, with the
    allocation script's arguments, over a pool the size of the queue's."""
    from redis.asyncio import BlockingConnectionPool, Redis

    pool = BlockingConnectionPool.from_url(redis_url, max_connections=POOL_SIZE, timeout=None)
    redis = Redis(connection_pool=pool)
    script = redis.register_script("return 1")
    pool_name = Quintet.id + "|{}"
    ui.begin(f"matchmaking ceiling: {tickets:,} bare Redis round trips by {clients} clients")

    async def client(n: int) -> None:
        for i in range(n, tickets, clients):
            args = ["bench-mm:", "3600", uuid.uuid4().hex, uuid.uuid4().hex, f"p{i}", Quintet.id]
            await script(keys=[], args=[*args, pool_name, repr(time.time()), 5])

    try:
        await script(keys=[], args=["warm"])
        cpu0, t0 = time.process_time(), time.perf_counter()
        await asyncio.gather(*(client(n) for n in range(clients)))
        elapsed = time.perf_counter() - t0
        cpu = time.process_time() - cpu0
    finally:
        await redis.aclose()
        await pool.disconnect()
    return {
        "row": "ceiling: bare Redis round trips",
        "backend": "redis",
        "tickets": tickets,
        "clients": clients,
        "placed": tickets,
        "seconds": round(elapsed, 3),
        "filed_seconds": round(elapsed, 3),
        "placed_per_s": round(tickets / elapsed, 1) if elapsed > 0 else None,
        "cpu_seconds": round(cpu, 3),
        "cpu_us_per_ticket": round(cpu / tickets * 1e6, 1),
        "rooms_full": None,
        "open_rooms": None,
        "errors": [],
    }


async def _flush(redis_url: str, prefix: str) -> None:
    from redis.asyncio import Redis

    client = Redis.from_url(redis_url)
    try:
        keys = [k async for k in client.scan_iter(match=prefix + "*", count=1000)]
        for start in range(0, len(keys), 1000):
            await client.delete(*keys[start : start + 1000])
    finally:
        await client.aclose()


async def _redis_reachable(redis_url: str) -> str | None:
    from redis.asyncio import Redis

    if not redis_url:
        return "no --redis-url"
    client = Redis.from_url(redis_url, socket_connect_timeout=3)
    try:
        await client.ping()
        return None
    except Exception as exc:
        return f"Redis at {redis_url} is not reachable: {exc}"
    finally:
        await client.aclose()


COLUMNS = [
    ("row", "run"),
    ("tickets", "tickets"),
    ("clients", "clients"),
    ("placed", "placed"),
    ("seconds", "all placed (s)"),
    ("placed_per_s", "placed/s"),
    ("cpu_seconds", "CPU (s)"),
    ("cpu_us_per_ticket", "CPU µs/ticket"),
    ("node_cpu", "CPU per node (s)"),
    ("rooms_full", "groups full"),
    ("vs_ceiling", "vs ceiling"),
]


async def run(opts: Options, ui: Progress) -> dict[str, Any]:
    tickets, clients = opts.tickets, opts.match_clients
    heap.settle_for_serving()  # as ``serve`` does before serving
    rows = [await _matchmaking("local", tickets, clients, opts.redis_url, ui)]
    skipped = await _redis_reachable(opts.redis_url)
    if skipped is None:
        rows.append(await _matchmaking("redis", tickets, clients, opts.redis_url, ui))
        if opts.postgres_url:
            rows.append(await _matchmaking("redis", tickets, clients, opts.redis_url, ui, opts.postgres_url))
            if opts.match_nodes > 1:
                nodes = opts.match_nodes
                rows.append(await _nodes(tickets, clients, nodes, opts.redis_url, opts.postgres_url, ui))
        else:
            ui.note("matchmaking: no --postgres-url: the Redis queue runs on SQLite only")
    rows.append(await _allocation("local", tickets, clients, opts.redis_url, ui))
    if skipped is None:
        rows.append(await _allocation("redis", tickets, clients, opts.redis_url, ui))
        ceiling = await _ceiling(tickets, clients, opts.redis_url, ui)
        rows.append(ceiling)
        for row in rows:
            row["vs_ceiling"] = ratio(row["placed_per_s"], ceiling["placed_per_s"])
    else:
        ui.note(f"matchmaking: the Redis rows are skipped: {skipped}")
    loop = type(asyncio.get_running_loop()).__module__.split(".")[0]
    title = f"matchmaking: {tickets:,} tickets for a 3–5 seat game, {clients} concurrent clients, {loop} loop"
    return {"rows": rows, "redis_skipped": skipped, "loop": loop, "tables": [table(title, COLUMNS, rows)]}
