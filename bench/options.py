"""What a benchmark run was asked to do: one place for the knobs every workload reads."""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass
class Options:
    smoke: bool = False
    #: Seconds each measured phase counts for, after ``warmup`` seconds of load.
    duration: float = 8.0
    warmup: float = 2.0
    #: Load-generator processes.
    workers: int = 2
    #: Server kinds, in order; the first sets the rate latency is measured at. ``colyseus`` runs in
    #: fanout and idle only, and only where npm can install it (else a line says it was left out).
    servers: tuple[str, ...] = ("roomservice", "raw", "socketio", "colyseus")
    #: PostgreSQL URL for the runs on PostgreSQL; empty skips them. Its tables are dropped first.
    postgres_url: str = ""
    #: fanout: (rooms, players per room).
    shapes: tuple[tuple[int, int], ...] = ((1, 50), (100, 5), (1000, 2))
    #: idle: sockets to hold open.
    connections: int = 20_000
    #: http: concurrent clients looping join + leave, over ``rooms`` rooms.
    clients: int = 32
    rooms: int = 8
    #: ticks: total real-time rooms at each step.
    tick_steps: tuple[int, ...] = (50, 100, 200, 300, 400)
    #: turns: rooms of tic-tac-toe (2 players each), and (rooms, players per room) of Cabo.
    tictactoe_rooms: int = 50
    cabo: tuple[int, int] = (25, 4)
    #: matchmaking: tickets filed, by this many concurrent clients; the Redis of the Redis rows
    #: (empty skips them), used under a key prefix of the run's own, deleted afterwards.
    tickets: int = 10_000
    match_clients: int = 64
    #: matchmaking: processes sharing the Redis queue and the PostgreSQL database in the row of
    #: several nodes (below two: no such row).
    match_nodes: int = 2
    redis_url: str = ""
    #: cluster: SIGKILLs of a room's owner whose failover is timed.
    kills: int = 5
    quiet: bool = False
    #: Pin the server to one core and the load generator to the others.
    pin: bool = False

    @classmethod
    def for_smoke(cls, **overrides: object) -> Options:
        """Seconds-long runs that exercise every path and produce every number."""
        base = cls(
            smoke=True,
            duration=1.0,
            warmup=0.3,
            workers=1,
            shapes=((2, 3),),
            connections=30,
            clients=4,
            rooms=2,
            tictactoe_rooms=2,
            cabo=(1, 4),
            tickets=200,
            match_clients=8,
            kills=2,
        )
        return dataclasses.replace(base, **overrides)  # type: ignore[arg-type]
