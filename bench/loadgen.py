"""The load generator: worker processes, each holding many sockets on one uvloop event loop.

The parent sends each worker a command through a pipe and waits for its answer; while a command runs the
worker reports its counters twice a second, for the progress line. Commands:

- ``connect(port, players)``: open a socket per player and wait until each is ready (seated).
- ``closed_loop(warmup, duration, window)``: every player keeps ``window`` chats in flight, sending the
  next when its own broadcast comes back: the most the server delivers.
- ``open_loop(warmup, duration, rate)``: every player chats ``rate`` times a second, evenly spread.
- ``http(port, clients, warmup, duration)``: each client loops join + leave over keep-alive HTTP.
- ``close()`` and ``exit()``.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import multiprocessing.connection
import os
import time
from array import array
from collections.abc import Callable
from typing import Any

import psutil
from picows import WSFrame, WSListener, WSMsgType, WSTransport, ws_connect

from bench.adapters import ADAPTERS, Adapter, Player
from bench.http import HttpConnection
from bench.servers import raise_fd_limit

HOST = "127.0.0.1"
PROGRESS_EVERY = 0.5
_TEXT = b'"text":"'
_STATE = b'{"type":"game_state"'


class Client(WSListener):
    """One socket. Frames are handled in picows' callback, without a task per socket."""

    def __init__(self, worker: Worker, player: Player) -> None:
        super().__init__()
        self.worker = worker
        self.player = player
        self.transport: WSTransport | None = None
        self.last_state = 0
        self.ready = asyncio.get_running_loop().create_future()

    # the Socket protocol of the adapters
    def send_text(self, data: bytes) -> None:
        if self.transport is not None:
            self.transport.send(WSMsgType.TEXT, data)

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
        if kind == WSMsgType.TEXT:
            data = frame.get_payload_as_bytes()
            if data.startswith(self.worker.adapter.chat_prefix):
                self.worker.on_chat(self, data)
            elif data.startswith(_STATE):
                self.worker.on_state(self)
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
        self.pipe = pipe
        self.clients: list[Client] = []
        self.errors: list[str] = []
        self.lost = 0
        self.sent = 0
        self.received = 0
        self.latencies = array("q")  # microseconds, receipts by players other than the sender
        self.counting = False
        self.closed_loop = False
        self.closing = False
        self.period_ns = 0
        self._now = time.monotonic_ns

    # -- the hot path ------------------------------------------------------------------------

    def send_chat(self, client: Client) -> None:
        client.send_text(self.adapter.chat(f"~{client.player.index}~{self._now()}"))
        self.sent += 1

    def on_chat(self, client: Client, data: bytes) -> None:
        start = data.find(_TEXT) + len(_TEXT)
        try:
            _, sender, stamp = data[start : data.find(b'"', start)].split(b"~")
        except ValueError:
            self.errors.append(f"unexpected chat frame {data[:120]!r}")
            return
        self.received += 1
        mine = int(sender) == client.player.index
        if self.counting and not mine:
            self.latencies.append((self._now() - int(stamp)) // 1000)
        if mine and self.closed_loop:
            self.send_chat(client)

    def on_state(self, client: Client) -> None:
        """A ``game_state`` frame: count it and how far its interval strays from the view period."""
        now = self._now()
        if self.counting:
            self.received += 1
            if client.last_state:
                self.latencies.append(abs(now - client.last_state - self.period_ns) // 1000)
        client.last_state = now

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
                assert client is not None
                self.clients.append(client)
                await asyncio.wait_for(client.ready, 60)

        outcomes = await asyncio.gather(*(one(p) for p in players), return_exceptions=True)
        failed = [repr(o) for o in outcomes if isinstance(o, BaseException)]
        return {"ready": len(players) - len(failed), "failed": len(failed), "errors": failed[:3]}

    def _reset(self) -> None:
        self.received = self.sent = 0
        self.latencies = array("q")

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

    async def watch(self, warmup: float, duration: float, period: float) -> dict[str, Any]:
        """Only listen: count ``game_state`` frames and their deviation from one every ``period`` s."""
        self.period_ns = int(period * 1e9)
        return await self._finish(await self._window(warmup, duration))

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


def worker_main(kind: str, pipe: multiprocessing.connection.Connection) -> None:
    import uvloop

    raise_fd_limit()
    with contextlib.suppress(KeyboardInterrupt):
        uvloop.run(Worker(kind, pipe).serve())


class LoadGen:
    """The parent's side: ``workers`` processes speaking to one server kind."""

    def __init__(self, kind: str, workers: int, progress: Callable[[int, int], None] | None = None) -> None:
        self.kind = kind
        self.size = workers
        self.progress = progress
        self.procs: list[multiprocessing.process.BaseProcess] = []
        self.pipes: list[multiprocessing.connection.Connection] = []
        self._counts: list[tuple[int, int]] = []

    async def start(self) -> None:
        ctx = multiprocessing.get_context("spawn")
        for _ in range(self.size):
            parent, child = ctx.Pipe()
            proc = ctx.Process(target=worker_main, args=(self.kind, child), daemon=True)
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
                if tag == "progress":
                    self._counts[i] = (payload[0], payload[1])
                    if self.progress is not None:
                        self.progress(sum(c[0] for c in self._counts), sum(c[1] for c in self._counts))
                elif tag == "done":
                    results[i] = payload[0]
                else:
                    raise RuntimeError(f"load generator {i}: {payload[0]}")
                if tag == "progress":
                    pipe = self.pipes[i]
                    pending[asyncio.ensure_future(loop.run_in_executor(None, pipe.recv))] = i
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


def cpu_count() -> int:
    return os.cpu_count() or 1
