"""``python -m bench WORKLOAD [--smoke] [--json PATH] ...``: run a workload against every server, print
its table and write a JSON file (default ``bench/results/WORKLOAD.json``)."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import datetime
import importlib
import json
import os
import platform
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.options import Options
from bench.report import Progress
from bench.servers import ROOT

WORKLOADS = {
    "fanout": "R rooms x P players chatting: delivered frames/s, latency, server CPU and RSS",
    "idle": "N sockets held open: memory per connection",
    "http": "concurrent join + leave cycles: requests/s and p99, on SQLite and PostgreSQL",
    "turns": "bot games of tic-tac-toe and Cabo: accepted actions/s and p99, game store on and off",
    "ticks": "real-time rooms at 30 ticks/s, 20 views/s: view jitter, the most rooms a process holds",
    "matchmaking": "N tickets by concurrent clients: time until all are placed, in-process and on Redis",
    "cluster": "fanout on one node and on two behind nginx (PostgreSQL, Redis); failover time after SIGKILL",
}


def _shapes(text: str) -> tuple[tuple[int, int], ...]:
    """``100x5,1x50`` -> ((100, 5), (1, 50))."""
    shapes = []
    for part in text.split(","):
        rooms, _, players = part.strip().lower().partition("x")
        shapes.append((int(rooms), int(players)))
    return tuple(shapes)


def build_parser(prog: str = "python -m bench") -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=prog, description="Benchmark roomservice against its baselines.")
    add_arguments(parser)
    return parser


def add_arguments(parser: argparse.ArgumentParser) -> None:
    listing = "; ".join(f"{k}: {v}" for k, v in WORKLOADS.items())
    parser.add_argument("workload", choices=[*WORKLOADS, "all"], help=listing)
    parser.add_argument("--smoke", action="store_true", help="a seconds-long run that checks every path")
    parser.add_argument(
        "--json", type=Path, help="where to write results (default bench/results/WORKLOAD.json)"
    )
    parser.add_argument(
        "--servers",
        help="comma-separated: roomservice,raw,socketio,colyseus (default all; colyseus: fanout and idle, "
        "when npm can install it)",
    )
    parser.add_argument("--duration", type=float, help="seconds each phase is measured for")
    parser.add_argument("--warmup", type=float, help="seconds of load before measuring")
    parser.add_argument("--workers", type=int, help="load-generator processes")
    parser.add_argument(
        "--shapes", type=_shapes, help="fanout: ROOMSxPLAYERS,... (default 1x50,100x5,1000x2)"
    )
    parser.add_argument(
        "--pin",
        action="store_true",
        default=None,
        help="the server on one core, the load generator on the others",
    )
    parser.add_argument("--connections", type=int, help="idle: sockets to hold open (default 20000)")
    parser.add_argument("--clients", type=int, help="http: concurrent clients (default 32)")
    parser.add_argument(
        "--steps",
        type=lambda t: tuple(int(x) for x in t.split(",")),
        dest="tick_steps",
        help="ticks: rooms at each step (default 50,100,200,300,400)",
    )
    parser.add_argument(
        "--tictactoe", type=int, dest="tictactoe_rooms", help="turns: tic-tac-toe rooms (default 50)"
    )
    parser.add_argument(
        "--cabo",
        type=lambda t: _shapes(t)[0],
        help="turns: Cabo ROOMSxPLAYERS (default 25x4)",
    )
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("ROOMSERVICE_BENCH_POSTGRES_URL", ""),
        help="database for the PostgreSQL rows (its tables are dropped); env ROOMSERVICE_BENCH_POSTGRES_URL",
    )
    parser.add_argument("--tickets", type=int, help="matchmaking: tickets to file (default 10000)")
    parser.add_argument(
        "--match-clients", type=int, dest="match_clients", help="matchmaking: concurrent clients (default 64)"
    )
    parser.add_argument(
        "--match-nodes",
        type=int,
        dest="match_nodes",
        help="matchmaking: processes sharing the Redis queue and PostgreSQL in the row of several nodes "
        "(default 2; below 2 leaves the row out)",
    )
    parser.add_argument(
        "--redis-url",
        default=os.environ.get("ROOMSERVICE_BENCH_REDIS_URL", "redis://127.0.0.1:6379/15"),
        help="matchmaking: Redis for the Redis rows, '' skips them; cluster: the nodes' Redis (a key "
        "prefix of the run's own, deleted afterwards); env ROOMSERVICE_BENCH_REDIS_URL",
    )
    parser.add_argument("--kills", type=int, help="cluster: SIGKILLs of a room's owner to time (default 5)")
    parser.add_argument("--quiet", action="store_true", help="no progress line")


def options_from(args: argparse.Namespace) -> Options:
    overrides: dict[str, Any] = {}
    names = ("duration", "warmup", "workers", "shapes", "connections", "clients", "tick_steps", "pin")
    for name in (*names, "tictactoe_rooms", "cabo", "tickets", "match_clients", "match_nodes", "kills"):
        if getattr(args, name) is not None:
            overrides[name] = getattr(args, name)
    if args.servers:
        overrides["servers"] = tuple(s.strip() for s in args.servers.split(",") if s.strip())
    overrides["postgres_url"] = args.postgres_url
    overrides["redis_url"] = args.redis_url
    overrides["quiet"] = args.quiet
    if args.smoke:
        return Options.for_smoke(**overrides)
    return dataclasses.replace(Options(), **overrides)


def machine() -> dict[str, Any]:
    info: dict[str, Any] = {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "processor": platform.processor(),
    }
    from bench import colyseus

    if colyseus.version():
        info["colyseus"] = colyseus.version()
    try:
        info["loadavg"] = os.getloadavg()
        with open("/proc/cpuinfo") as f:
            names = [line.split(":", 1)[1].strip() for line in f if line.startswith("model name")]
        info["cpu_model"] = names[0] if names else ""
    except OSError:
        pass
    return info


async def run_workload(name: str, opts: Options, ui: Progress) -> dict[str, Any]:
    module = importlib.import_module(f"bench.workloads.{name}")
    result: dict[str, Any] = await module.run(opts, ui)
    return result


def run(args: argparse.Namespace, argv: Sequence[str]) -> int:
    opts = options_from(args)
    names = list(WORKLOADS) if args.workload == "all" else [args.workload]
    ui = Progress(quiet=opts.quiet)
    for name in names:
        started = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
        # A workload that runs server code in this process says which event loop it runs it on.
        module = importlib.import_module(f"bench.workloads.{name}")
        loop_factory = getattr(module, "loop_factory", lambda: None)()
        with asyncio.Runner(loop_factory=loop_factory) as runner:
            result = runner.run(run_workload(name, opts, ui))
        ui.end()
        document = {
            "workload": name,
            "command": "python -m bench " + " ".join(argv),
            "started_at": started,
            "machine": machine(),
            "options": dataclasses.asdict(opts),
            **result,
        }
        path = args.json if args.json and len(names) == 1 else ROOT / "bench" / "results" / f"{name}.json"
        if args.json and len(names) > 1:
            path = args.json.with_name(f"{args.json.stem}-{name}{args.json.suffix}")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(document, indent=2) + "\n")
        for text in result["tables"]:
            print("\n" + text)
        print(f"\nresults: {path}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    return run(build_parser().parse_args(argv), argv)
