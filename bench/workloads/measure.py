"""One measured phase: the workers run a command while the server's CPU and memory are read over the
same window the workers count in (after the warm-up)."""

from __future__ import annotations

import asyncio
from typing import Any

from bench.loadgen import LoadGen
from bench.report import latency_summary, merge_latencies
from bench.servers import Server


async def measured(
    gen: LoadGen,
    server: Server,
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
        "server_rss_mib": usage["rss_mib"],
        "loadgen_cpu_percent": round(100 * loadgen_cpu / duration, 1),
        "sockets_lost": sum(a["lost"] for a in answers),
        "errors": [e for a in answers for e in a["errors"]][:3],
        **{key: sum(a[key] for a in answers) for key in totals},
    }
