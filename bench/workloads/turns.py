"""``turns``: bots play tic-tac-toe and Cabo in many rooms at once, as fast as the server acknowledges
their moves; run with the game journal on SQLite, on PostgreSQL (when a URL is given) and switched off
(``ROOMSERVICE_PERSIST_GAMES=false``), so the three rows show what persistence costs.

Every accepted action is written to the journal before anyone sees it, so on a persistent store the
acknowledgement (the actor's next ``game_state``, carrying the action's ``ref``) waits for a commit. The
journal group-commits: actions of every room that arrive while a transaction is being written share the
next one. On PostgreSQL the run counts the rows of ``game_actions`` and the distinct transactions that
inserted them (each row's ``xmin``): how many actions share a commit. Tic-tac-toe hosts start the next game as
soon as one ends ("play again"), Cabo hosts likewise, so the load stays steady. The workload has no
baseline: neither baseline runs games.
"""

from __future__ import annotations

import asyncio
import sqlite3
from typing import Any

from bench.loadgen import split
from bench.options import Options
from bench.report import Progress, ratio, table
from bench.servers import Server
from bench.workloads.measure import connect_all, figures, phase, running
from bench.workloads.setup import seated_players

#: Mode → (store, extra server environment, label).
MODES: dict[str, tuple[str, dict[str, str], str]] = {
    "sqlite": ("sqlite", {}, "SQLite"),
    "postgresql": ("postgresql", {}, "PostgreSQL"),
    "memory": ("sqlite", {"ROOMSERVICE_PERSIST_GAMES": "false"}, "store off (in memory)"),
}


async def _pg_journal(url: str) -> tuple[int, int]:
    """(rows in game_actions, transactions that wrote them): every row's ``xmin`` is the id of the
    transaction that inserted it, so the distinct ``xmin`` are the journal's commits that held actions."""
    import asyncpg

    conn = await asyncpg.connect(url.replace("postgresql+asyncpg", "postgresql"), timeout=5)
    try:
        row = await conn.fetchrow("SELECT count(*), count(DISTINCT xmin::text) FROM game_actions")
    finally:
        await conn.close()
    assert row is not None
    return int(row[0]), int(row[1])


def _sqlite_rows(server: Server) -> int:
    """Rows in game_actions of the server's SQLite file (read-only, beside the running server)."""
    path = server.data_dir / "roomservice.db"
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
    try:
        return int(conn.execute("SELECT count(*) FROM game_actions").fetchone()[0])
    finally:
        conn.close()


async def measure(mode: str, opts: Options, ui: Progress) -> dict[str, Any]:
    store, env, label = MODES[mode]
    server = Server("roomservice", store, opts.postgres_url, env=env)
    ui.begin(f"turns {label}: starting the server and seating players")
    cabo_rooms, cabo_players = opts.cabo
    async with running(server, opts, ui) as gen:
        players = await seated_players(server.kind, server.port, opts.tictactoe_rooms, 2, "tictactoe")
        players += await seated_players(
            server.kind, server.port, cabo_rooms, cabo_players, "cabo", len(players)
        )
        await gen.start()
        await connect_all(gen, server.port, split(players, opts.workers), "turns")
        ui.begin(f"turns {label}: {len(players)} bots playing")
        result = await phase(
            gen,
            server,
            opts,
            ("play", server.port, opts.warmup, opts.duration),
            totals=("refused", "restarts"),
        )
        await gen.all("close")
        commits: int | None = None
        if store == "postgresql":
            logged, commits = await _pg_journal(opts.postgres_url)
        else:
            logged = await asyncio.to_thread(_sqlite_rows, server)
    elapsed = result["received"] / result["received_per_s"] if result["received_per_s"] else 0.0
    return {
        "mode": mode,
        "store": label,
        "actions_per_s": result["received_per_s"],
        "sent_per_s": result["sent_per_s"],
        "refused_per_s": round(result["refused"] / elapsed, 1) if elapsed else 0.0,
        "games_per_s": round(result["restarts"] / elapsed, 1) if elapsed else 0.0,
        **figures(result),
        "actions_logged": logged,
        "transactions": commits,
        "actions_per_transaction": round(logged / commits, 1) if commits else None,
        "lost": result["sockets_lost"],
        "errors": result["errors"],
    }


COLUMNS = [
    ("store", "game store"),
    ("actions_per_s", "actions/s"),
    ("vs_memory", "vs off"),
    ("p50_ms", "ack p50 ms"),
    ("p99_ms", "ack p99 ms"),
    ("max_ms", "ack max ms"),
    ("refused_per_s", "refused/s"),
    ("games_per_s", "games/s"),
    ("cpu_percent", "srv CPU%"),
    ("loadgen_cpu_percent", "gen CPU%"),
    ("actions_logged", "logged"),
    ("actions_per_transaction", "actions/txn"),
]


async def run(opts: Options, ui: Progress) -> dict[str, Any]:
    modes = ["sqlite", *(["postgresql"] if opts.postgres_url else []), "memory"]
    rows = [await measure(mode, opts, ui) for mode in modes]
    memory = next(r for r in rows if r["mode"] == "memory")
    for row in rows:
        row["vs_memory"] = ratio(row["actions_per_s"], memory["actions_per_s"])
        row["p99_vs_memory"] = ratio(row["p99_ms"], memory["p99_ms"])
    cabo_rooms, cabo_players = opts.cabo
    title = (
        f"turns: {opts.tictactoe_rooms} tic-tac-toe rooms and {cabo_rooms} Cabo rooms of {cabo_players}, "
        "bots playing; accepted actions/s, latency send -> ack; logged: rows of game_actions (whole run); "
        "actions/txn (PostgreSQL): those rows / the transactions that inserted them"
    )
    return {"rows": rows, "tables": [table(title, COLUMNS, rows)]}
