"""One measured phase: the workers run a command while the server's CPU and memory are read over the
same window the workers count in (after the warm-up); and what every workload does around it."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator
from typing import Any, Protocol

from bench import colyseus
from bench.adapters import Player
from bench.loadgen import LoadGen
from bench.options import Options
from bench.report import Progress, latency_summary, merge_latencies
from bench.servers import Server


class Watched(Protocol):
    """What a phase reads the server's resources from: one :class:`Server`, or several together."""

    def mark(self) -> None: ...

    def usage(self, elapsed: float) -> dict[str, Any]: ...


def servers_for(opts: Options, workload: str, supported: tuple[str, ...]) -> tuple[list[str], list[str]]:
    """The servers of ``--servers`` this workload runs, and a line for each left out: a kind it does
    not have, or Colyseus where it cannot be installed."""
    kinds: list[str] = []
    notes: list[str] = []
    for kind in opts.servers:
        if kind not in supported:
            if kind != "colyseus":  # the default list names it: only fanout and idle run it
                notes.append(f"{workload}: {kind} left out (this workload runs {', '.join(supported)})")
            continue
        if kind == "colyseus":
            reason = colyseus.missing()
            if reason is not None:
                notes.append(f"{workload}: Colyseus left out: {reason}")
                continue
        kinds.append(kind)
    return kinds, notes


def pinning(opts: Options) -> tuple[frozenset[int] | None, frozenset[int] | None]:
    """With ``--pin``: the server on the first core this process may use, the load generator on the
    others (all of them on one core if there is only one)."""
    if not opts.pin:
        return None, None
    cores = sorted(os.sched_getaffinity(0))
    server = frozenset(cores[:1])
    return server, frozenset(cores[1:]) or server


@contextlib.asynccontextmanager
async def running(
    server: Server, opts: Options, ui: Progress, kind: str | None = None
) -> AsyncIterator[LoadGen]:
    """Start ``server`` and hand back a load generator speaking ``kind`` (default the server's), not yet
    started; both are stopped on the way out."""
    server_cpus, gen_cpus = pinning(opts)
    server.cpus = server_cpus
    await server.start()
    gen = LoadGen(kind or server.kind, opts.workers, ui.update, gen_cpus)
    try:
        yield gen
    finally:
        await gen.stop()
        await server.stop()


async def connect_all(gen: LoadGen, port: int, parts: list[list[Player]], label: str) -> None:
    """Open a socket for every player (``parts``: one list per worker); raise unless all are ready."""
    ready = await gen.command([("connect", port, part) for part in parts])
    if sum(r["ready"] for r in ready) != sum(len(part) for part in parts):
        raise RuntimeError(f"{label}: sockets not ready: {[r['errors'] for r in ready]}")


async def measured(
    gen: LoadGen,
    server: Watched,
    per_worker: list[tuple[Any, ...]],
    warmup: float,
    duration: float,
    totals: tuple[str, ...] = (),
) -> dict[str, Any]:
    """Totals of the workers' answers: ``received``, ``sent``, per-second rates, latency percentiles,
    server CPU/RSS and the load generator's CPU over the counted window; also the sum of each of the
    answers' ``totals`` keys."""
    task = asyncio.create_task(gen.command(per_worker))
    await asyncio.sleep(warmup)
    server.mark()
    cpu0 = gen.cpu_seconds()
    await asyncio.wait({task}, timeout=duration)
    usage = server.usage(duration)
    loadgen_cpu = gen.cpu_seconds() - cpu0
    answers = await task
    elapsed = sum(a["elapsed"] for a in answers) / len(answers)
    received = sum(a["received"] for a in answers)
    sent = sum(a["sent"] for a in answers)
    return {
        "received": received,
        "sent": sent,
        "received_per_s": round(received / elapsed, 1),
        "sent_per_s": round(sent / elapsed, 1),
        **latency_summary(merge_latencies(a["latencies"] for a in answers)),
        "server_cpu_percent": usage["cpu_percent"],
        # Server CPU time per frame delivered in the window: what a frame costs the server, whatever
        # the rate the load generator managed.
        "server_us_per_frame": round(1e6 * usage["cpu_seconds"] / received, 2) if received else None,
        "server_rss_mib": usage["rss_mib"],
        "loadgen_cpu_percent": round(100 * loadgen_cpu / duration, 1),
        "sockets_lost": sum(a["lost"] for a in answers),
        "errors": [e for a in answers for e in a["errors"]][:3],
        **{key: sum(a[key] for a in answers) for key in totals},
    }


async def phase(
    gen: LoadGen, server: Watched, opts: Options, command: tuple[Any, ...], totals: tuple[str, ...] = ()
) -> dict[str, Any]:
    """:func:`measured` with the same ``command`` for every worker, over the run's warm-up and duration."""
    return await measured(gen, server, [command] * opts.workers, opts.warmup, opts.duration, totals)


def figures(result: dict[str, Any]) -> dict[str, Any]:
    """A phase's latency percentiles and resource use, under the names the tables show them by."""
    return {
        "p50_ms": result["p50_ms"],
        "p99_ms": result["p99_ms"],
        "max_ms": result["max_ms"],
        "cpu_percent": result["server_cpu_percent"],
        "rss_mib": result["server_rss_mib"],
        "loadgen_cpu_percent": result["loadgen_cpu_percent"],
    }
