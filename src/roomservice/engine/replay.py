"""Replays of finished games: rebuilt from the seed, the options and the action log by the same pure
``GameMachine`` that ran them, and shown only as a spectator would have seen them.

A replay is a list of steps ``{action, events, view}``: the deal (``action`` null), then one step per
logged entry (an action, a timeout, a player leaving or coming back, the host's end). ``events`` holds
only the step's public events (``to`` is None) and ``view`` is the spectator view, ``view(state,
None)``: the only exit for hidden state, exactly as for a live spectator.

A real-time game is ticked between its logged inputs exactly as it ran, but its players send inputs
many times a second, so a step per input would make a replay of megabytes. Its replay holds instead a
``tick`` step every ``tick_stride`` ticks (10 views per second of game time, ``TICK_VIEWS_PER_SECOND``)
carrying the public events since the previous step and how many ``inputs`` were applied in between;
for a long match the stride widens so there are at most ``MAX_TICK_VIEWS`` of them. Its other logged
entries (a player leaving or coming back, the host's end) keep a step each. The final state is always
the last step.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

from roomservice.engine.machine import ACTION, GameMachine, Step
from roomservice.errors import Conflict, NotFound
from roomservice.games.base import Event, Game, epoch_ms
from roomservice.games.registry import GameRegistry
from roomservice.store import games as repo
from roomservice.store import rooms as rooms_repo
from roomservice.store import sessions as sessions_repo
from roomservice.store.database import Database

log = logging.getLogger(__name__)

#: Periodic views of a real-time game per second of game time.
TICK_VIEWS_PER_SECOND = 10
#: At most this many periodic views of a real-time game (a 600 s match shows 3 a second).
MAX_TICK_VIEWS = 1800
#: Ticks a real-time replay may run past the stored end looking for the game's own result.
_END_SLACK_SECONDS = 5.0


class ReplayMismatch(Exception):
    """The log does not replay to the game's stored result (a game whose rules changed since)."""


def _public(events: Sequence[Event]) -> list[dict[str, Any]]:
    return [{"type": e.type, "data": dict(e.data)} for e in events if e.to is None]


def _action(step: Step) -> dict[str, Any]:
    return {
        "kind": step.kind,
        "player": step.player,
        "payload": step.payload,
        "ticks": step.ticks,
        "at": epoch_ms(step.at),
    }


def tick_stride(game: Game, seconds: float) -> int:
    """Ticks between two periodic views of a real-time game that lasted ``seconds``."""
    rate = game.tick_rate
    stride = max(1, round(rate / TICK_VIEWS_PER_SECOND))
    total = math.ceil(max(seconds, 0.0) * rate)
    return max(stride, math.ceil(total / MAX_TICK_VIEWS))


def rebuild(record: repo.GameRecord, game: Game, log_entries: Sequence[repo.ActionEntry]) -> dict[str, Any]:
    """The replay of a finished game. Pure: no I/O, the same rules and RNG as the live game. Raises
    :class:`ReplayMismatch` unless it ends at the stored result."""
    machine, dealt = GameMachine.setup(
        game,
        seed=record.seed,
        players=record.players,
        options=record.options,
        dev=record.dev,
        now=record.started_at,
    )
    steps: list[dict[str, Any]] = [{"action": None, "events": _public(dealt), "view": machine.view(None)}]
    realtime = game.realtime and machine.tick_interval > 0
    finished_at = record.finished_at if record.finished_at is not None else record.started_at
    stride = tick_stride(game, finished_at - record.started_at) if realtime else 0
    pending: list[Event] = []
    inputs = 0  # a real-time game's inputs applied since its last step

    def tick() -> None:
        pending.extend(machine.tick())
        if machine.ticks % stride == 0 or machine.result() is not None:
            flush()

    def flush() -> None:
        nonlocal inputs
        action = {"kind": "tick", "player": None, "payload": None, "ticks": machine.ticks}
        action.update(at=epoch_ms(machine.now), inputs=inputs)
        steps.append({"action": action, "events": _public(pending), "view": machine.view(None)})
        pending.clear()
        inputs = 0

    for entry in log_entries:
        if entry.step != machine.step + 1:  # a write of the log that failed: it cannot replay
            raise ReplayMismatch(f"the log misses the steps before step {entry.step}")
        step = Step(entry.kind, entry.player, entry.payload, entry.at, entry.ticks)
        while realtime and machine.ticks < step.ticks:
            tick()
        events = machine.apply(step) or []
        if realtime and step.kind == ACTION:
            # A real-time game's inputs come many a second: they show in the next periodic view.
            pending.extend(events)
            inputs += 1
            continue
        steps.append(
            {"action": _action(step), "events": _public([*pending, *events]), "view": machine.view(None)}
        )
        pending.clear()
    if realtime:
        last = math.ceil((finished_at - record.started_at + _END_SLACK_SECONDS) * game.tick_rate)
        while machine.result() is None and machine.ticks < last:
            tick()
        if pending:
            flush()
    result = machine.result()
    if json.loads(json.dumps(result)) != record.result:
        raise ReplayMismatch(f"the replay ends at {result!r}, not at the stored result {record.result!r}")
    return {
        "game_id": record.game_id,
        "game": record.game,
        "seed": record.seed,
        "options": record.options,
        "players": record.players,
        "started_at": epoch_ms(record.started_at),
        "finished_at": epoch_ms(record.finished_at),
        "tick_stride": stride or None,
        "steps": steps,
        "result": record.result,
    }


class Replays:
    """Replays on demand. A finished game never changes, so each is rebuilt once and kept (the newest
    ``keep``); the rebuilding runs in a worker thread so a long match does not stall the event loop."""

    def __init__(self, db: Database, games: GameRegistry, keep: int = 32) -> None:
        self.db = db
        self.games = games
        self.keep = keep
        self._built: OrderedDict[str, dict[str, Any]] = OrderedDict()

    async def get(self, game_id: str, session_id: str | None, *, anyone: bool = False) -> dict[str, Any]:
        """The replay of ``game_id`` for the caller (``session_id`` None: no session; ``anyone``: an
        operator, who may watch every game).

        Who may watch: anyone while the room is public; else (a private room, or a room since
        deleted) the game's players and the room's current members. Anyone else gets the same 404 as
        for an unknown id, so a private game's existence is not given away. A game still running is a
        404 too: its seed would tell its future."""
        async with self.db.read() as conn:
            record = await repo.get_game(conn, game_id)
            if record is None:
                raise _missing(game_id)
            found = await rooms_repo.get_room(conn, room_id=record.room_id)
            room = found[0] if found is not None else None
            public = room is not None and not room.private
            member = session_id is not None and (
                session_id in record.players or (room is not None and room.member(session_id) is not None)
            )
            if not public and not member and not anyone:
                raise _missing(game_id)
            if record.finished_at is None or record.result is None:
                raise NotFound("game_not_over", "The game is still running: its replay opens when it ends.")
            built = self._built.get(game_id)
            entries = await repo.actions_after(conn, game_id, 0) if built is None else []
            names: dict[str, str | None] = {}
            for player in record.players:
                known = await sessions_repo.get_session(conn, player)
                names[player] = known.username if known is not None else None
        if built is None:
            built = await self._rebuild(record, entries)
        self._built[game_id] = built
        self._built.move_to_end(game_id)
        while len(self._built) > self.keep:
            self._built.popitem(last=False)
        return {**built, "names": names}

    async def _rebuild(self, record: repo.GameRecord, entries: Sequence[repo.ActionEntry]) -> dict[str, Any]:
        try:
            game = self.games.get(record.game)
            return await asyncio.to_thread(rebuild, record, game, entries)
        except ReplayMismatch as exc:
            log.warning("the replay of game %s is refused: %s", record.game_id, exc)
        except Exception:
            log.exception("could not rebuild the replay of game %s", record.game_id)
        raise Conflict("replay_failed", "This game's log cannot be replayed.")


def _missing(game_id: str) -> NotFound:
    return NotFound("replay_not_found", f"No replay of a game {game_id!r} that you may watch.")
