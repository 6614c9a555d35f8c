"""The load generator: worker processes, each holding many sockets on one uvloop event loop.

The parent sends each worker a command through a pipe and waits for its answer; while a command runs the
worker reports its counters twice a second, for the progress line. Commands:

- ``connect(port, players)``: open a socket per player and wait until each is ready (seated).
- ``closed_loop(warmup, duration, window)``: every player keeps ``window`` chats in flight, sending the
  next when its own broadcast comes back: the most the server delivers.
- ``open_loop(warmup, duration, rate)``: every player chats ``rate`` times a second, evenly spread.
- ``watch(warmup, duration, tick)``: only listen to a real-time game's views and note how late each
  arrives against its tick's place in the schedule (see :meth:`Worker.watch`).
- ``play(port, warmup, duration, tick=0)``: bots play the games their players are seated in; hosts
  start a game and start the next one when it ends (see :mod:`bench.players`). With ``tick`` (a
  real-time game's tick length) the views' lateness is measured as ``watch`` does, instead of the
  time from an action to its acknowledgement.
- ``http(port, clients, warmup, duration)``: each client loops join + leave over keep-alive HTTP.
- ``close()`` and ``exit()``.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import multiprocessing.connection
import os
import random
import re
import time
from array import array
from collections.abc import Callable
from typing import Any

import msgspec
import psutil
from picows import WSFrame, WSListener, WSMsgType, WSTransport, ws_connect

from bench.adapters import ADAPTERS, Adapter, Player
from bench.http import HttpConnection
from bench.players import REALTIME, START, STRATEGIES, Bot
from bench.servers import raise_fd_limit

HOST = "127.0.0.1"
PROGRESS_EVERY = 0.5
_TEXT = b'"text":"'
_STATE = b'{"type":"game_state"'
_ERROR = b'{"type":"error"'
_FINISHED = b'{"type":"room_updated"'
#: The tick count of a real-time game's view: ``ticks`` in Pulse's, ``t`` in the arena's.
_TICKS = re.compile(rb'"(?:ticks|t)":(\d+)')


class Client(WSListener):
    """One socket. Frames are handled in picows' callback, without a task per socket."""

    def __init__(self, worker: Worker, player: Player) -> None:
        super().__init__()
        self.worker = worker
        self.player = player
        self.transport: WSTransport | None = None
        self.bot: Bot | None = None
        self.ready = asyncio.get_running_loop().create_future()

    # the Socket protocol of the adapters
    def send_text(self, data: bytes) -> None:
        """Send one frame of the protocol: text, or binary for a binary protocol (Colyseus)."""
        if self.transport is not None:
            self.transport.send(self.worker.frame_type, data)

    def set_ready(self) -> None:
        if not self.ready.done():
            self.ready.set_result(True)

    def fail(self, reason: str) -> None:
        self.worker.errors.append(reason)
        if not self.ready.done():
            self.ready.set_exception(RuntimeError(reason))

    # picows callbacks
    def on_ws_connected(self, transport: WSTransport) -> None:
        self.transport = transport
        self.worker.adapter.on_open(self)

    def on_ws_frame(self, transport: WSTransport, frame: WSFrame) -> None:
        kind = frame.msg_type
        if kind == WSMsgType.TEXT or kind == WSMsgType.BINARY:
            data = frame.get_payload_as_bytes()
            if data.startswith(self.worker.adapter.chat_prefix):
                self.worker.on_chat(self, data)
            elif data.startswith(_STATE):
                self.worker.on_state(self, data)
            elif self.bot is not None and data.startswith(_ERROR) and self.worker.on_error(self, data):
                pass
            elif self.bot is not None and data.startswith(_FINISHED):
                self.worker.on_room_updated(self, data)
            else:
                self.worker.adapter.on_other(self, data)
        elif kind == WSMsgType.CLOSE:
            if not self.worker.closing:
                self.worker.errors.append(
                    f"closed by the server: {frame.get_close_code()} {frame.get_close_message()!r}"
                )
            transport.disconnect()

    def on_ws_disconnected(self, transport: WSTransport) -> None:
        self.transport = None
        self.worker.lost += 1
        if not self.ready.done():
            self.ready.set_exception(ConnectionError("closed before it was ready"))


class Worker:
    def __init__(self, kind: str, pipe: multiprocessing.connection.Connection) -> None:
        self.adapter: Adapter = ADAPTERS[kind]()
        self.frame_type = WSMsgType.BINARY if self.adapter.binary else WSMsgType.TEXT
        self.pipe = pipe
        self.clients: list[Client] = []
        self.errors: list[str] = []
        self.lost = 0
        self.sent = 0
        self.received = 0
        #: Bytes of the ``game_state`` frames counted (snapshots of real-time games).
        self.state_bytes = 0
        self.latencies = array("q")  # microseconds, receipts by players other than the sender
        self.counting = False
        self.closed_loop = False
        self.closing = False
        #: watch: nanoseconds per tick, and per room every view's arrival minus its tick's offset.
        self.tick_ns = 0
        self.offsets: dict[str, array[int]] = {}
        #: play: bots act while this is set; refusals and games started in the counted window.
        self.playing = False
        self.refused = 0
        self.restarts = 0
        self.port = 0
        self._http: list[HttpConnection] = []
        self._starting: set[asyncio.Task[None]] = set()
        self._now = time.monotonic_ns

    # -- the hot path ------------------------------------------------------------------------

    def send_chat(self, client: Client) -> None:
        client.send_text(self.adapter.chat(f"~{client.player.index}~{self._now()}"))
        self.sent += 1

    def on_chat(self, client: Client, data: bytes) -> None:
        if self.adapter.binary:
            text = self.adapter.chat_text(data)
        else:
            start = data.find(_TEXT) + len(_TEXT)
            text = data[start : data.find(b'"', start)]
        try:
            _, sender, stamp = text.split(b"~")
        except ValueError:
            self.errors.append(f"unexpected chat frame {data[:120]!r}")
            return
        self.received += 1
        mine = int(sender) == client.player.index
        if self.counting and not mine:
            self.latencies.append((self._now() - int(stamp)) // 1000)
        if mine and self.closed_loop:
            self.send_chat(client)

    def on_state(self, client: Client, data: bytes) -> None:
        """A ``game_state`` frame: a bot's view (``play``) or a real-time game's (``watch``)."""
        bot = client.bot
        if bot is not None and not bot.realtime:
            self.on_view(client, bot, data)
            return
        if bot is not None:
            bot.on_view(msgspec.json.decode(data))
            self.act(client, bot)
        if not self.counting:
            return
        self.received += 1
        self.state_bytes += len(data)
        found = _TICKS.search(data)
        if found is not None and self.tick_ns:
            # Arrival minus the tick's place on the room's schedule; the room's start is subtracted later.
            offsets = self.offsets.get(client.player.room)
            if offsets is None:
                offsets = self.offsets[client.player.room] = array("q")
            offsets.append(self._now() - int(found[1]) * self.tick_ns)

    def on_view(self, client: Client, bot: Bot, data: bytes) -> None:
        now = self._now()
        if bot.on_view(msgspec.json.decode(data)) and self.counting:
            self.received += 1
            self.latencies.append((now - bot.sent_at) // 1000)
        self.act(client, bot)

    def on_error(self, client: Client, data: bytes) -> bool:
        """An ``error`` frame; True when it refused the bot's action in flight."""
        assert client.bot is not None
        frame = msgspec.json.decode(data)
        if not client.bot.on_refused(frame.get("ref"), str(frame.get("code"))):
            return False
        if self.counting:
            self.refused += 1
        self.act(client, client.bot)
        return True

    def act(self, client: Client, bot: Bot) -> None:
        if not self.playing:
            return
        action = bot.decide()
        if action is not None:
            bot.sent_at = self._now()
            client.send_text(msgspec.json.encode(action))
            self.sent += 1

    def on_room_updated(self, client: Client, data: bytes) -> None:
        """The host starts the next game as soon as the room says the last one is over."""
        if client.player.host and self.playing and b'"state":"FINISHED"' in data:
            task = asyncio.get_running_loop().create_task(self.start_game(client.player))
            self._starting.add(task)
            task.add_done_callback(self._starting.discard)

    async def start_game(self, player: Player) -> None:
        """``POST /api/rooms/{code}/start`` over a pooled keep-alive connection (a fresh one when the
        server has closed an idle one)."""
        path = f"/api/rooms/{player.room}/start"
        for pooled in (True, False):
            conn = self._http.pop() if pooled and self._http else await HttpConnection.open(HOST, self.port)
            try:
                await conn.request("POST", path, START[player.game], player.token)
            except Exception as exc:
                await conn.close()
                if pooled and isinstance(exc, ConnectionError | asyncio.IncompleteReadError):
                    continue  # the server closed the idle connection: try a fresh one
                self.errors.append(f"start {player.game} in {player.room}: {exc!r}")
                return
            self._http.append(conn)
            if self.counting:
                self.restarts += 1
            return

    # -- commands ----------------------------------------------------------------------------

    async def connect(self, port: int, players: list[Player], concurrency: int = 200) -> dict[str, Any]:
        gate = asyncio.Semaphore(concurrency)

        async def one(player: Player) -> None:
            async with gate:
                client: Client | None = None

                def factory() -> Client:
                    nonlocal client
                    client = Client(self, player)
                    return client

                await ws_connect(
                    factory,
                    f"ws://{HOST}:{port}{self.adapter.path(player)}",
                    websocket_handshake_timeout=60,
                    max_frame_size=1 << 22,
                )
                if client is None:  # picows hands back no listener when the handshake never ended
                    raise ConnectionError("closed before the handshake ended (the server's open-file limit?)")
                self.clients.append(client)
                await asyncio.wait_for(client.ready, 60)

        outcomes = await asyncio.gather(*(one(p) for p in players), return_exceptions=True)
        failed = [repr(o) for o in outcomes if isinstance(o, BaseException)]
        return {"ready": len(players) - len(failed), "failed": len(failed), "errors": failed[:3]}

    def _reset(self) -> None:
        self.received = self.sent = self.refused = self.restarts = self.state_bytes = 0
        self.latencies = array("q")
        self.offsets = {}

    async def _window(self, warmup: float, duration: float) -> dict[str, Any]:
        """Let the load run ``warmup`` seconds, then count for ``duration`` seconds."""
        await asyncio.sleep(warmup)
        self._reset()
        self.counting = True
        proc = psutil.Process()
        cpu0 = sum(proc.cpu_times()[:2])
        t0 = time.monotonic()
        await asyncio.sleep(duration)
        elapsed = time.monotonic() - t0
        self.counting = False
        return {
            "received": self.received,
            "sent": self.sent,
            "state_bytes": self.state_bytes,
            "elapsed": elapsed,
            "cpu": sum(proc.cpu_times()[:2]) - cpu0,
        }

    async def run_closed_loop(self, warmup: float, duration: float, window: int) -> dict[str, Any]:
        self.closed_loop = True
        live = [c for c in self.clients if c.transport is not None]
        for _ in range(window):
            for client in live:
                self.send_chat(client)
        result = await self._window(warmup, duration)
        self.closed_loop = False
        return await self._finish(result)

    async def run_open_loop(self, warmup: float, duration: float, rate: float) -> dict[str, Any]:
        live = [c for c in self.clients if c.transport is not None]
        total_rate = rate * len(live)

        async def pace() -> None:
            t0 = time.monotonic()
            done = 0
            while live:
                due = int((time.monotonic() - t0) * total_rate)
                while done < due:
                    self.send_chat(live[done % len(live)])
                    done += 1
                await asyncio.sleep(0.002)

        pacer = asyncio.create_task(pace())
        try:
            result = await self._window(warmup, duration)
        finally:
            pacer.cancel()
        return await self._finish(result)

    async def _finish(self, result: dict[str, Any]) -> dict[str, Any]:
        await asyncio.sleep(0.5)  # let the chats in flight land before the next phase
        result.update(latencies=self.latencies.tobytes(), lost=self.lost, errors=self.errors[:3])
        self.latencies = array("q")
        return result

    def _lateness(self) -> None:
        """Each room's views' lateness, from the offsets noted while counting (see :meth:`watch`)."""
        for offsets in self.offsets.values():
            start = min(offsets)
            self.latencies.extend((o - start) // 1000 for o in offsets)

    async def watch(self, warmup: float, duration: float, tick: float) -> dict[str, Any]:
        """Only listen: count ``game_state`` frames and how late each arrives.

        A room ticks on a fixed schedule (tick n at ``start + n * tick``) and its view carries its tick
        count n; ``arrival - n * tick`` is then the room's start plus that view's lateness. The smallest
        value over the window stands for the room's start (its most punctual view), so lateness =
        ``arrival - n * tick - min``. Every player of a room must be watched by the same process."""
        self.tick_ns = int(tick * 1e9)
        result = await self._window(warmup, duration)
        self._lateness()
        result["rooms"] = len(self.offsets)
        self.offsets = {}
        return await self._finish(result)

    async def play(self, port: int, warmup: float, duration: float, tick: float = 0.0) -> dict[str, Any]:
        """Bots play every seated player's game; each host starts its room's first game. Latency is
        send → acknowledgement (the player's next view carrying the action's ``ref``), or for a
        real-time game (``tick`` > 0) each view's lateness against its tick, as :meth:`watch` says."""
        self.port = port
        self.tick_ns = int(tick * 1e9)
        for client in self.clients:
            game = client.player.game
            client.bot = Bot(
                client.player.session_id,
                STRATEGIES[game],
                random.Random(client.player.index),
                realtime=game in REALTIME,
            )
        self.playing = True
        await asyncio.gather(*(self.start_game(c.player) for c in self.clients if c.player.host))
        result = await self._window(warmup, duration)
        if self.tick_ns:
            self._lateness()
            result["rooms"] = len(self.offsets)
            self.offsets = {}
        result.update(refused=self.refused, restarts=self.restarts)
        self.playing = False
        await asyncio.gather(*self._starting, return_exceptions=True)
        for conn in self._http:
            await conn.close()
        self._http.clear()
        return await self._finish(result)

    async def run_http(
        self, port: int, clients: list[tuple[str, str]], warmup: float, duration: float
    ) -> dict[str, Any]:
        """Each ``(token, room_code)`` client loops join + leave; latencies are per request."""
        stop = False
        failures: list[str] = []

        async def loop(token: str, code: str) -> None:
            conn = await HttpConnection.open(HOST, port)
            try:
                while not stop:
                    for action in ("join", "leave"):
                        t = self._now()
                        try:
                            await conn.request("POST", f"/api/rooms/{code}/{action}", {}, token)
                        except Exception as exc:
                            failures.append(repr(exc))
                            return
                        if self.counting:
                            self.latencies.append((self._now() - t) // 1000)
                    self.received += 1  # one join + leave cycle
            finally:
                await conn.close()

        tasks = [asyncio.create_task(loop(token, code)) for token, code in clients]
        result = await self._window(warmup, duration)
        stop = True
        await asyncio.gather(*tasks, return_exceptions=True)
        self.errors.extend(failures)
        return await self._finish(result)

    async def close(self) -> dict[str, Any]:
        self.closing = True
        for client in self.clients:
            if client.transport is not None:
                client.transport.send_close()
                client.transport.disconnect()
        self.clients.clear()
        return {}

    # -- the loop ----------------------------------------------------------------------------

    async def serve(self) -> None:
        # The pipe is read in a thread: an event loop's reader would make its descriptor non-blocking,
        # which multiprocessing's pipes do not support.
        loop = asyncio.get_running_loop()
        handlers: dict[str, Callable[..., Any]] = {
            "connect": self.connect,
            "closed_loop": self.run_closed_loop,
            "open_loop": self.run_open_loop,
            "watch": self.watch,
            "play": self.play,
            "http": self.run_http,
            "close": self.close,
        }
        while True:
            name, *args = await loop.run_in_executor(None, self.pipe.recv)
            if name == "exit":
                return
            task = asyncio.ensure_future(handlers[name](*args))
            while not task.done():
                await asyncio.wait({task}, timeout=PROGRESS_EVERY)
                self.pipe.send(("progress", self.received, self.sent))
            try:
                self.pipe.send(("done", task.result()))
            except Exception as exc:
                self.pipe.send(("error", f"{name}: {exc!r}"))


def worker_main(
    kind: str, pipe: multiprocessing.connection.Connection, cpus: frozenset[int] | None = None
) -> None:
    import uvloop

    raise_fd_limit()
    if cpus:
        os.sched_setaffinity(0, cpus)
    with contextlib.suppress(KeyboardInterrupt):
        uvloop.run(Worker(kind, pipe).serve())


class LoadGen:
    """The parent's side: ``workers`` processes speaking to one server kind."""

    def __init__(
        self,
        kind: str,
        workers: int,
        progress: Callable[[int, int], None] | None = None,
        cpus: frozenset[int] | None = None,
    ) -> None:
        self.kind = kind
        #: The cores the workers run on (None: wherever the kernel puts them).
        self.cpus = cpus
        self.size = workers
        self.progress = progress
        self.procs: list[multiprocessing.process.BaseProcess] = []
        self.pipes: list[multiprocessing.connection.Connection] = []
        self._counts: list[tuple[int, int]] = []

    async def start(self) -> None:
        ctx = multiprocessing.get_context("spawn")
        for _ in range(self.size):
            parent, child = ctx.Pipe()
            proc = ctx.Process(target=worker_main, args=(self.kind, child, self.cpus), daemon=True)
            proc.start()
            self.procs.append(proc)
            self.pipes.append(parent)
        self._counts = [(0, 0)] * self.size

    def cpu_seconds(self) -> float:
        total = 0.0
        for proc in self.procs:
            with contextlib.suppress(psutil.Error):
                total += sum(psutil.Process(proc.pid).cpu_times()[:2])
        return total

    async def command(self, per_worker: list[tuple[Any, ...]]) -> list[dict[str, Any]]:
        """Send each worker its command; wait for every answer, reporting progress meanwhile."""
        loop = asyncio.get_running_loop()
        for pipe, cmd in zip(self.pipes, per_worker, strict=True):
            pipe.send(cmd)
        pending = {
            asyncio.ensure_future(loop.run_in_executor(None, pipe.recv)): i
            for i, pipe in enumerate(self.pipes)
        }
        results: dict[int, dict[str, Any]] = {}
        while len(results) < self.size:
            done, _ = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            for future in done:
                i = pending.pop(future)
                tag, *payload = future.result()
                if tag == "done":
                    results[i] = payload[0]
                elif tag == "progress":
                    self._counts[i] = (payload[0], payload[1])
                    if self.progress is not None:
                        self.progress(sum(c[0] for c in self._counts), sum(c[1] for c in self._counts))
                    pending[asyncio.ensure_future(loop.run_in_executor(None, self.pipes[i].recv))] = i
                else:
                    raise RuntimeError(f"load generator {i}: {payload[0]}")
        return [results[i] for i in range(self.size)]

    async def all(self, *cmd: Any) -> list[dict[str, Any]]:
        return await self.command([cmd] * self.size)

    async def stop(self) -> None:
        for pipe in self.pipes:
            with contextlib.suppress(OSError):
                pipe.send(("exit",))
        for proc in self.procs:
            await asyncio.get_running_loop().run_in_executor(None, proc.join, 5)
            if proc.is_alive():
                proc.kill()
        self.procs.clear()
        self.pipes.clear()


def split(items: list[Any], parts: int) -> list[list[Any]]:
    """Deal ``items`` round-robin into ``parts`` lists, so a room's players spread over processes."""
    return [items[i::parts] for i in range(parts)]


def split_rooms(players: list[Player], parts: int) -> list[list[Player]]:
    """Deal whole rooms round-robin into ``parts`` lists: every player of a room in the same process."""
    rooms: dict[str, list[Player]] = {}
    for player in players:
        rooms.setdefault(player.room, []).append(player)
    dealt: list[list[Player]] = [[] for _ in range(parts)]
    for i, members in enumerate(rooms.values()):
        dealt[i % parts].extend(members)
    return dealt
