"""Bot seats of a running game: players without a socket, played in-process by the game's strategy
(``roomservice.bots.strategies``).

After every view the room is shown, each bot reads its own view, the very value its ``game_state``
would carry (never the hidden state), and its strategy's move goes into the room runner's queue like a
person's action: checked by the same rules, logged and replayed the same way. Turn-based games get a
short think first, through the scheduler, so people can follow the bots' moves; real-time games act
on every view, at the game's view rate.
"""

from __future__ import annotations

import dataclasses
import logging
import random
from collections.abc import Iterable
from typing import Any

import msgspec

from roomservice.bots.strategies import LOST_RACE, RETRIES, strategy_for
from roomservice.engine.machine import ACTION
from roomservice.engine.runner import Job, RoomRunner
from roomservice.scheduling import Scheduler, Timer

log = logging.getLogger(__name__)

#: Seconds a bot waits before a move in a turn-based game.
THINK_SECONDS = 0.8


@dataclasses.dataclass(slots=True)
class _Pending:
    """A move decided and waiting for its think to end."""

    move: Any
    version: int
    timer: Timer


class BotSeats:
    def __init__(self, runner: RoomRunner, bots: Iterable[str], scheduler: Scheduler) -> None:
        self.runner = runner
        self.scheduler = scheduler
        game = runner.machine.game
        self.strategy = strategy_for(game.id)
        self.realtime = game.realtime
        #: Only the bots that are players of this game (a bot seated after it started is not).
        self.bots = sorted(set(bots) & set(runner.machine.players))
        self.rng = random.Random(runner.record.seed)
        self._pending: dict[str, _Pending] = {}
        #: Refusals of each bot's moves on the view it decided on: (version, count).
        self._refused: dict[str, tuple[int, int]] = {}
        #: The tick a real-time game's bots last acted on.
        self._tick = -1

    def look(self) -> None:
        """The room was just shown a new state: every bot decides on its view."""
        if self.strategy is None:
            return
        if self.runner.over:
            self.close()
            return
        if self.realtime:
            # Once per view the ticks bring, not again for the views an accepted input may send:
            # the bots keep to the game's view rate and never answer their own moves.
            ticks = self.runner.machine.ticks
            if ticks == self._tick:
                return
            self._tick = ticks
        for bot in self.bots:
            self._decide(bot)

    def _decide(self, bot: str) -> None:
        runner = self.runner
        pending = self._pending.pop(bot, None)
        if runner.over or not runner.members.get(bot) or self.strategy is None:
            if pending is not None:
                pending.timer.cancel()
            return
        version = runner.shown_version
        try:
            move = self.strategy(runner.shown_view(bot), bot, self.rng)
        except Exception:
            log.exception("room %s: the bot strategy failed for %s", runner.room_code, bot)
            move = None
        if pending is not None:
            if move is not None and move == pending.move:  # the same move: its think goes on
                pending.version = version
                self._pending[bot] = pending
                return
            pending.timer.cancel()
        if move is None:
            return
        if self.realtime:
            self._submit(bot, move, version)
            return
        timer = self.scheduler.call_later(THINK_SECONDS, lambda: self._due(bot))
        self._pending[bot] = _Pending(move, version, timer)

    def _due(self, bot: str) -> None:
        pending = self._pending.pop(bot, None)
        if pending is not None:
            self._submit(bot, pending.move, pending.version)

    def _submit(self, bot: str, move: Any, version: int) -> None:
        runner = self.runner
        if runner.over or runner.shown_version != version or not runner.members.get(bot):
            return  # the view changed since: the bot has decided again on the new one
        runner.submit(Job(ACTION, bot, move, reply=lambda text: self._on_refusal(bot, version, text)))

    def _on_refusal(self, bot: str, version: int, text: str) -> None:
        """A refused move: after a lost race the bot waits for the next view; otherwise it decides
        again on the same view a few times (a strategy with randomness picks differently)."""
        code = msgspec.json.decode(text).get("code")
        if self.realtime or code in LOST_RACE or self.runner.shown_version != version:
            return
        seen, count = self._refused.get(bot, (version, 0))
        count = count + 1 if seen == version else 1
        self._refused[bot] = (version, count)
        if count <= RETRIES:
            self._decide(bot)

    def close(self) -> None:
        for pending in self._pending.values():
            pending.timer.cancel()
        self._pending.clear()
