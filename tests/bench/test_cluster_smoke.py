"""``python -m bench cluster --smoke`` completes: fan-out on one node and on two nodes behind nginx (on
PostgreSQL and Redis), and failover times after SIGKILLs of a room's owner. Timings are never checked,
only that they were measured; the run leaves no key behind in Redis."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bench import proxy
from tests.bench.test_smoke import measured, run_bench
from tests.conftest import POSTGRES_URL, REDIS_URL, _pg_state, unavailable

pytestmark = pytest.mark.slow


async def _reachable() -> None:
    import asyncpg
    from redis.asyncio import Redis

    try:
        conn = await asyncpg.connect(POSTGRES_URL.replace("postgresql+asyncpg", "postgresql"), timeout=5)
        await conn.close()
    except Exception as exc:
        unavailable("PostgreSQL at " + POSTGRES_URL, exc)
    client = Redis.from_url(REDIS_URL, socket_connect_timeout=3)
    try:
        await client.ping()
    except Exception as exc:
        unavailable("Redis at " + REDIS_URL, exc)
    finally:
        await client.aclose()
    reason = proxy.missing()
    if reason is not None:
        unavailable("nginx", reason)


async def test_cluster_measures_fanout_on_one_and_two_nodes_and_failover(tmp_path: Path) -> None:
    await _reachable()
    out = tmp_path / "cluster.json"
    args = ("--postgres-url", POSTGRES_URL, "--redis-url", REDIS_URL)
    try:
        result = await asyncio.to_thread(run_bench, "cluster", out, *args)
    finally:
        # The run dropped the test database's tables: the next backend test must migrate afresh.
        _pg_state.pop("fresh", None)
    [shape] = result["shapes"]
    one, two = shape["rows"]
    assert (one["nodes"], two["nodes"]) == (1, 2)
    for row in (one, two):
        measured(row, "frames_per_s", "us_per_frame", "p50_ms", "p99_ms", "latency_rate", "rss_mib")
        assert len(row["node_cpu"]) == row["nodes"]
    assert one["vs_one"] == 1.0 and one["nginx_cpu_percent"] is None
    assert isinstance(two["nginx_cpu_percent"], float)
    failover = result["failover"]
    assert failover["kills"] == 2 and len(failover["seconds"]) == 2
    measured(failover, "p50_s", "max_s")
    assert failover["max_s"] < 30
    from redis.asyncio import Redis

    leftovers = Redis.from_url(REDIS_URL)
    try:
        assert [k async for k in leftovers.scan_iter(match="rs-bench-cluster:*")] == []
    finally:
        await leftovers.aclose()
