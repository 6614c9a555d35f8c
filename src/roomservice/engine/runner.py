"""One room's game: a single task and queue, so actions, timeouts and presence changes are applied
strictly one at a time, in arrival order.

An accepted step is written to the journal before anyone sees it; then its events and every member's
own view go out, each distinct view encoded once and all of them numbered as one frame (a game with
``views_per_action`` off sends no view per action: its views follow its ticks). A refused step,
or a bug in the game, is answered to its sender only and leaves the state as it was. Real-time games
also tick here, on a fixed schedule. Everything around the runner comes through :class:`RunnerHost`.

A ticking game without views per action logs its inputs differently: an accepted input that sends
nothing (no event, no result) is kept until the next tick, and each tick writes the inputs applied
since the previous one as one entry without waiting for it (:meth:`RoomRunner._tick`). Its view of that
tick may so go out before those inputs are durable (the journal holds such writes up to
``store.journal.LATER_DELAY``): what a crash can lose is
stated in docs/games.md (the arena's "Persistence and restarts"). Such an input is applied as it is
submitted when nothing is queued before it and the runner is between passes and ticks
(:meth:`RoomRunner.submit`): the same step in the same order, without the hand-over to the room's task.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import heapq
import itertools
import logging
import time
import weakref
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import msgspec

from roomservice.engine.machine import ACTION, TIMEOUT, Checkpoint, GameMachine, Step
from roomservice.engine.ports import Reply, RunnerHost
from roomservice.games.base import Event, Game, InvalidAction
from roomservice.protocol import codes, messages
from roomservice.protocol.frames import encode, error
from roomservice.protocol.messages import encode_bytes
from roomservice.scheduling import Timer
from roomservice.stats import Stats
from roomservice.store.games import (
    ActionEntry,
    Entry,
    FinishEntry,
    GameRecord,
    InputsEntry,
    SnapshotEntry,
)

log = logging.getLogger(__name__)

#: Seconds of real-time play between two snapshots of a ticking game.
TICK_SNAPSHOT_SECONDS = 5.0
#: Ticks a late real-time room catches up at once before it gives up on the backlog.
MAX_CATCH_UP = 5
#: Queued jobs a room applies in one pass and saves in one write.
MAX_BATCH = 64
#: The ``code`` an accepted action is counted under (a refused one: its error code).
ACCEPTED = "accepted"


# The runner's records are built for every input a real-time game takes (a hundred a second a room):
# plain slotted classes, since a frozen dataclass's __init__ costs several times as much. None of
# them is changed after it is made.


@dataclasses.dataclass(slots=True, eq=False)
class Job:
    kind: str
    player: str | None = None
    payload: Any = None
    reply: Reply | None = None
    ref: str | int | None = None
    #: Resolved once the job has been handled, for a caller that waits for it (:meth:`RoomRunner.call`).
    done: asyncio.Future[None] | None = None


@dataclasses.dataclass(slots=True, eq=False)
class _Refused:
    job: Job
    code: str
    message: str


@dataclasses.dataclass(slots=True, eq=False)
class _Accepted:
    job: Job
    events: Sequence[Event]
    result: Mapping[str, Any] | None
    #: The state and version this step left, which its views show.
    state: Any
    version: int


class _Tick:
    """One room's next tick on :class:`_Ticks`; ``cancel`` keeps it from running."""

    __slots__ = ("callback",)

    def __init__(self, callback: Callable[[], None]) -> None:
        self.callback: Callable[[], None] | None = callback

    def cancel(self) -> None:
        self.callback = None


class _Ticks:
    """The next tick of every room on one event loop, in the loop's time: one loop timer, for the
    earliest, and a heap of plain tuples for the rest. A loop timer per room and tick costs a
    ``TimerHandle`` and, for each step through the loop's heap, a comparison written in Python: 30
    times a second a room, among every other room's. Ticks run in due order, each once the loop's
    clock reaches it, as the loop's own timers would."""

    __slots__ = ("__weakref__", "_armed", "_heap", "_loop", "_order", "_running", "_timer")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        # Weakly: ``_ticks_of`` holds this by its loop, which a strong reference here would keep alive
        # for good (a test makes a loop each). Read once a pass, not once a room.
        self._loop = weakref.proxy(loop)
        self._heap: list[tuple[float, int, _Tick]] = []
        #: Breaks ties between ticks due at the same time: first armed, first run.
        self._order = itertools.count()
        self._timer: asyncio.TimerHandle | None = None
        #: The time the loop timer was armed for.
        self._armed = 0.0
        self._running = False

    def call_at(self, when: float, callback: Callable[[], None]) -> _Tick:
        tick = _Tick(callback)
        heapq.heappush(self._heap, (when, next(self._order), tick))
        if not self._running:
            timer = self._timer
            if timer is None or when < self._armed:
                if timer is not None:
                    timer.cancel()
                self._arm(when)
        return tick

    def _arm(self, when: float) -> None:
        self._armed = when
        self._timer = self._loop.call_at(when, self._run)

    def _run(self) -> None:
        self._timer = None
        self._running = True
        heap, pop = self._heap, heapq.heappop
        #: Ticks armed by the ticks of this pass wait for the next one, even if due (a room catching
        #: up), as a loop timer armed from a callback would.
        first_new, later = next(self._order), []
        try:
            # What the loop would run of its own timers now: those due before its clock and its
            # resolution, and every one due by the time this timer was armed for (a loop may call a
            # timer a little before that: uvloop counts in whole milliseconds).
            end, armed = self._loop.time() + _RESOLUTION, self._armed
            while heap and (heap[0][0] < end or heap[0][0] <= armed):
                entry = pop(heap)
                if entry[1] > first_new:
                    later.append(entry)
                    continue
                tick = entry[2]
                callback = tick.callback
                if callback is not None:
                    tick.callback = None
                    try:
                        callback()
                    except Exception:
                        log.exception("a room's tick failed")
        finally:
            self._running = False
            for entry in later:
                heapq.heappush(heap, entry)
            if heap:
                self._arm(heap[0][0])


_RESOLUTION = time.get_clock_info("monotonic").resolution
_ticks_of: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Ticks] = weakref.WeakKeyDictionary()


def _ticks(loop: asyncio.AbstractEventLoop) -> _Ticks:
    """The loop's :class:`_Ticks`, made on first use."""
    ticks = _ticks_of.get(loop)
    if ticks is None:
        ticks = _ticks_of[loop] = _Ticks(loop)
    return ticks


_STOP = Job("stop")
#: Where a view goes in a ``game_state`` encoded around it: a byte no encoded JSON holds unescaped.
_HOLE_BYTES = b"\x00"
_HOLE = msgspec.Raw(_HOLE_BYTES)
#: A job that changes nothing: waiting for it waits for every job queued before it.
SETTLE = "settle"


class RoomRunner:
    def __init__(
        self,
        host: RunnerHost,
        room_id: str,
        room_code: str,
        record: GameRecord,
        machine: GameMachine,
        members: Mapping[str, bool],
        stats: Stats | None = None,
    ) -> None:
        self.host = host
        #: Counts actions by outcome and the lateness of ticks, when metrics are on.
        self.stats = stats
        self.room_id = room_id
        self.room_code = room_code
        self.record = record
        self.machine = machine
        #: Session id → is a player of this game (else a spectator).
        self.members = dict(members)
        self.result = machine.result()
        self.queue: asyncio.Queue[Job] = asyncio.Queue()
        #: The state as the room last saw it: views for sockets that attach come from it, never from a
        #: step still being saved.
        self._shown_state = machine.state
        self._shown_version = machine.version
        self._shown: dict[str | None, Any] = {}
        self._timer: Timer | None = None
        self._busy = False
        self._owed_ticks = 0
        self._snapshot_step = machine.step
        self._snapshot_ticks = machine.ticks
        #: Inputs of a ticking game applied since its last tick and not logged yet: (player, payload,
        #: time), all after the same ``_inputs_ticks`` ticks, the last of them step ``_inputs_step``.
        self._inputs: list[tuple[str | None, Any, float]] = []
        self._inputs_ticks = 0
        self._inputs_step = 0
        #: A write of the log failed: the next tick saves a snapshot, so a restart comes back whole.
        self._resync = False
        #: Whether accepted inputs wait for the next tick to be logged (see the module's doc).
        self._logs_per_tick = bool(machine.tick_interval) and not machine.game.views_per_action
        game = machine.game
        #: Views a second of a ticking game (at most one a tick).
        self._view_rate = min(game.view_rate or game.tick_rate, game.tick_rate)
        #: Whether the game has a turn timer at all (its own ``turn_deadline``): asked after every input
        #: otherwise, a hundred times a second in a real-time room.
        self._timed = type(machine.game).turn_deadline is not Game.turn_deadline
        #: The game's id, which every counted action is counted under.
        self._game_id = game.id
        #: Inside a pass over the queue or a tick: an input submitted now (a bot's, on a view) waits.
        self._inside = False
        #: Stopped or stopping: a job submitted now is queued behind the stop, never applied.
        self._stopping = False
        loop = self._loop = asyncio.get_running_loop()
        self._task = loop.create_task(self._run(), name=f"room-{room_code}")
        #: The finishing of a game a tick ended (the ticks themselves are loop callbacks, see _ticks).
        self._ticker: asyncio.Task[None] | None = None
        #: The next tick's timer, and the schedule: tick ``n`` is due at ``start + n * interval``.
        self._next_tick: _Tick | None = None
        self._ticks = _ticks(loop)
        self._tick_start = loop.time()
        self._tick_n = 0
        if machine.tick_interval and self.result is None:
            self._schedule_tick()

    @property
    def over(self) -> bool:
        return self.result is not None

    # -- input -------------------------------------------------------------------------------

    def submit(self, job: Job) -> None:
        if job.kind == ACTION and job.done is None:
            self.act(job.player, job.payload, job.reply, job.ref)
        else:
            self.queue.put_nowait(job)

    def act(self, player: str | None, payload: Any, reply: Reply | None, ref: str | int | None) -> None:
        """A player's action: what ``submit(Job(ACTION, player, payload, reply, ref))`` does, without
        making the job when the input is applied at once (see :meth:`_input_now`)."""
        if (
            self._logs_per_tick
            and not self._inside
            and not self._stopping
            and self.result is None
            and self.queue.empty()
            and self._input_now(player, payload, reply, ref)
        ):
            return
        self.queue.put_nowait(Job(ACTION, player, payload, reply, ref))

    def _input_now(
        self, player: str | None, payload: Any, reply: Reply | None, ref: str | int | None
    ) -> bool:
        """Apply a real-time game's input at once, when nothing is queued before it and the runner is
        between passes: what :meth:`_handle` would do with it alone (an input that sends nothing is
        kept for the next tick's entry; a refusal is answered), without the queue's hand-over to the
        room's task, a hundred times a second a room. False, with nothing changed, for an input that
        needs more (events, a result, a failing game): it goes through the queue as any job."""
        machine = self.machine
        # What a checkpoint holds, kept without making one: it is needed only on the rare way out (an
        # action never changes the ticks or the final result).
        before, step_no, now, ticks = machine.state, machine.step, machine.now, machine.ticks
        stats = self.stats
        try:
            events = machine.act(player, payload, self.host.now())
        except InvalidAction as exc:
            if stats is not None:
                stats.action(self._game_id, exc.code)
            if reply is not None:
                reply(encode(error(exc.code, exc.message, ref)))
            return True
        except Exception:
            machine.restore(Checkpoint(before, step_no, ticks, now, machine.final))
            return False
        if events is None:  # a stale input: nothing changed, nothing to log
            if stats is not None:
                stats.action(self._game_id, ACCEPTED)
            return True
        if events or self._result_or_none() is not None:
            machine.restore(Checkpoint(before, step_no, ticks, now, machine.final))
            return False
        self._keep_input(player, payload, ticks)
        if stats is not None:
            stats.action(self._game_id, ACCEPTED)
        if self._timed:  # else no timer is ever armed
            self.arm_timer()
        return True

    def _keep_input(self, player: str | None, payload: Any, ticks: int) -> None:
        """An input just applied after ``ticks`` ticks, kept for the next tick's log entry."""
        inputs = self._inputs
        if not inputs:
            self._inputs_ticks = ticks
        inputs.append((player, payload, self.machine.now))
        self._inputs_step = self.machine.step

    async def call(self, job: Job) -> None:
        """Submit ``job`` and wait until it has been handled (or the runner has stopped)."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.submit(dataclasses.replace(job, done=done))
        await asyncio.wait((done, self._task), return_when=asyncio.FIRST_COMPLETED)

    def open(self, events: Sequence[Event]) -> None:
        """A new game: send its opening events and everyone's first view, and start its timer."""
        self._show(events, self.result)
        self.arm_timer()

    def poke(self) -> None:
        """Check the game's deadline now (tests that move a fake clock use it)."""
        self.submit(Job(TIMEOUT))

    async def stop(self) -> None:
        self._stopping = True
        if self._inputs:  # a server that stops keeps the inputs applied since the last tick
            self._save_later([self._take_inputs()])
        self._cancel_timer()
        self._cancel_ticks()
        if self._ticker is not None:
            self._ticker.cancel()
        self.queue.put_nowait(_STOP)
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.gather(
                self._task, *([self._ticker] if self._ticker else []), return_exceptions=True
            )

    # -- the loop ----------------------------------------------------------------------------

    async def _run(self) -> None:
        while True:
            jobs = [await self.queue.get()]
            # Everything queued meanwhile goes in the same pass and the same commit: a busy room's
            # inputs never wait for a transaction each.
            while len(jobs) < MAX_BATCH and not self.queue.empty():
                jobs.append(self.queue.get_nowait())
            stop = next((i for i, job in enumerate(jobs) if job is _STOP), -1)
            if stop >= 0:
                jobs = jobs[:stop]
            self._inside = True
            try:
                await self._handle(jobs)
            except Exception:
                log.exception("room %s: steps %s failed", self.room_code, [job.kind for job in jobs])
            finally:
                self._inside = False
                for job in jobs:
                    if job.done is not None and not job.done.done():
                        job.done.set_result(None)
            if stop >= 0:
                return

    def _count(self, job: Job, code: str) -> None:
        if self.stats is not None and job.kind == ACTION:
            self.stats.action(self.machine.game.id, code)

    def _refuse(self, job: Job, code: str, message: str) -> None:
        self._count(job, code)
        if job.reply is not None:
            job.reply(encode(error(code, message, job.ref)))

    async def _handle(self, jobs: Sequence[Job]) -> None:
        """Apply ``jobs`` in order, save every accepted step in one write, then answer them in order:
        nobody sees a step, or a refusal that follows it, before that write is durable."""
        machine = self.machine
        before = machine.checkpoint()
        inputs_before = (list(self._inputs), self._inputs_ticks, self._inputs_step)
        was_over = self.over
        result = self.result
        entries: list[Entry] = []
        answers: list[_Refused | _Accepted] = []
        for job in jobs:
            if job.kind == SETTLE:
                continue
            if result is not None:
                if job.kind == ACTION:
                    answers.append(
                        _Refused(job, "game_over", "This game is over; the host can start a new one.")
                    )
                continue
            checkpoint = machine.checkpoint()
            step = Step(job.kind, job.player, job.payload, self.host.now(), machine.ticks)
            try:
                events = machine.apply(step)
            except InvalidAction as exc:
                answers.append(_Refused(job, exc.code, exc.message))
                continue
            except Exception:
                log.exception("game %s in room %s failed on %s", machine.game.id, self.room_code, step)
                machine.restore(checkpoint)
                answers.append(
                    _Refused(job, codes.INTERNAL, "The game failed on that action; nothing changed.")
                )
                continue
            if events is None:  # nothing was due, or an action that changed nothing
                self._count(job, ACCEPTED)
                continue
            result = self._result_or_none()
            if self._logs_per_tick and step.kind == ACTION and not events and result is None:
                # Logged with the next tick's entry; it sends nothing before that tick's view.
                self._keep_input(step.player, step.payload, step.ticks)
                answers.append(_Accepted(job, events, result, machine.state, machine.version))
                continue
            if self._inputs:  # the inputs before this step go first, in the same write
                entries.append(self._take_inputs())
            entries.append(
                ActionEntry(
                    self.record.game_id,
                    self.room_id,
                    machine.step,
                    step.kind,
                    step.player,
                    step.payload,
                    step.ticks,
                    machine.now,
                )
            )
            if result is not None or machine.step - self._snapshot_step >= self.host.snapshot_every:
                entries.append(self._snapshot())
            if result is not None:
                entries.append(FinishEntry(self.record.game_id, machine.now, dict(result)))
            answers.append(_Accepted(job, events, result, machine.state, machine.version))
        if entries:
            self._busy = True
            try:
                await self.host.save(entries)
            except Exception:
                machine.restore(before)
                self._inputs, self._inputs_ticks, self._inputs_step = inputs_before
                for answer in answers:
                    if isinstance(answer, _Refused):
                        self._refuse(answer.job, answer.code, answer.message)
                    else:
                        self._refuse(
                            answer.job, codes.INTERNAL, "The action could not be saved; nothing changed."
                        )
                return
            finally:
                self._busy = False
        # A game that sends its views on its own schedule (real-time) sends none per accepted action.
        views_per_action = machine.game.views_per_action
        for answer in answers:
            job = answer.job
            if isinstance(answer, _Refused):
                self._refuse(job, answer.code, answer.message)
                continue
            self._count(job, ACCEPTED)
            if not (answer.events or answer.result is not None or views_per_action):
                continue  # an input that shows in the next tick's view: nothing to send now
            self._show(
                answer.events,
                answer.result,
                views=views_per_action or answer.result is not None,
                acked=(job.player, job.ref) if job.ref is not None else None,
                shown=(answer.state, answer.version),
            )
        while self._owed_ticks and not self.over:
            self._owed_ticks -= 1
            self._tick()
        if was_over:
            return
        if self.over:  # a step's result, or a tick it owed that ended the game
            await self._finish()
        else:
            self.arm_timer()

    def _result_or_none(self) -> Mapping[str, Any] | None:
        try:
            return self.machine.result()
        except Exception:
            log.exception("game %s in room %s failed in result()", self.machine.game.id, self.room_code)
            return None

    def _take_inputs(self) -> InputsEntry:
        """The inputs applied since the last tick as one log entry; none are kept after."""
        entry = InputsEntry(
            self.record.game_id, self.room_id, self._inputs_step, self._inputs_ticks, self._inputs
        )
        self._inputs = []
        return entry

    def _save_later(self, entries: list[Entry]) -> None:
        self.host.save_later(entries, self._lost_write)

    def _lost_write(self, exc: BaseException) -> None:
        """A write nobody waited for did not go in: the log may miss inputs from here on, so the next
        tick saves the whole state (a restart comes back from it)."""
        log.warning("room %s: a log write failed (%r); a snapshot follows", self.room_code, exc)
        self._resync = True

    def _snapshot(self) -> SnapshotEntry:
        m = self.machine
        self._snapshot_step, self._snapshot_ticks = m.step, m.ticks
        return SnapshotEntry(self.record.game_id, m.step, m.ticks, m.state, m.now)

    async def _finish(self) -> None:
        self._cancel_timer()
        self._cancel_ticks()
        if self._ticker is not None and self._ticker is not asyncio.current_task():
            self._ticker.cancel()
        await self.host.finish(self.room_id)

    # -- timers and ticks --------------------------------------------------------------------

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def arm_timer(self) -> None:
        self._cancel_timer()
        if not self._timed:
            return
        try:
            deadline = self.machine.deadline()
        except Exception:
            log.exception("game %s failed in turn_deadline()", self.machine.game.id)
            return
        if deadline is None or self.over:
            return
        self._timer = self.host.call_at(deadline, self.poke)

    def _cancel_ticks(self) -> None:
        if self._next_tick is not None:
            self._next_tick.cancel()
            self._next_tick = None

    def _schedule_tick(self) -> None:
        """Arm the timer of the next tick on the room's fixed schedule. Each tick is a callback of the
        loop (through :class:`_Ticks`), not a task waking from a sleep: 30 times a second a room, the
        hand-over costs more than the timer."""
        self._tick_n += 1
        due = self._tick_start + self._tick_n * self.machine.tick_interval
        self._next_tick = self._ticks.call_at(due, self._on_tick)

    def _on_tick(self) -> None:
        self._next_tick = None
        if self.over:  # ended since this tick was armed (by a tick an action's step owed)
            return
        interval = self.machine.tick_interval
        now = self._loop.time()
        due = self._tick_start + self._tick_n * interval
        if now - due > MAX_CATCH_UP * interval:  # stalled: drop the backlog instead of racing through it
            self._tick_start = now - self._tick_n * interval
            due = now
        if self.stats is not None:
            self.stats.tick_late(self.machine.game.id, max(0.0, now - due))
        if self._busy:
            self._owed_ticks += 1
        else:
            try:
                self._tick()
            except Exception:
                log.exception("game %s in room %s failed in tick()", self.machine.game.id, self.room_code)
            else:
                if self.over:
                    self._ticker = self._loop.create_task(self._finish(), name=f"finish-{self.room_code}")
                    return
        self._schedule_tick()

    def _tick(self) -> None:
        inside, self._inside = self._inside, True
        try:
            self._tick_once()
        finally:
            self._inside = inside

    def _tick_once(self) -> None:
        machine = self.machine
        # The inputs applied since the last tick are logged as one entry, before the tick that uses
        # them (whatever the tick does), and not waited for: this tick's view shows them at once.
        if self._inputs:
            self._save_later([self._take_inputs()])
        events = machine.tick()
        result = self._result_or_none()
        entries: list[Entry] = []
        if result is not None:
            entries += [self._snapshot(), FinishEntry(self.record.game_id, machine.now, dict(result))]
        elif (
            self._resync
            or machine.ticks - self._snapshot_ticks >= TICK_SNAPSHOT_SECONDS / machine.tick_interval
        ):
            self._resync = False
            entries.append(self._snapshot())
        if entries:
            self._save_later(entries)
        # A view whenever the tick count crosses into the next view period: exactly ``view_rate`` per
        # second on average, even when it does not divide ``tick_rate``.
        rate, tick_rate = self._view_rate, machine.game.tick_rate
        due = int(machine.ticks * rate / tick_rate) != int((machine.ticks - 1) * rate / tick_rate)
        self._show(events, result, views=result is not None or due)

    # -- output ------------------------------------------------------------------------------

    def _show(
        self,
        events: Sequence[Event],
        result: Mapping[str, Any] | None,
        views: bool = True,
        acked: tuple[str | None, str | int] | None = None,
        shown: tuple[Any, int] | None = None,
    ) -> None:
        """Send the events, then each member's view (of ``shown``, the state and version a step left,
        else the machine's own); the actor's view carries the ``ref`` of the action it acknowledges."""
        host = self.host
        game = self.machine.game.id
        for event in events:
            frame = messages.GameEvent(game=game, event=event.type, data=dict(event.data))
            if event.to is None:
                host.publish(self.room_id, frame)
            else:
                host.publish_views(self.room_id, self._to_some(frame, event.to))
        if result is not None:
            self.result = result
        if views:
            self._shown_state, self._shown_version = shown or (self.machine.state, self.machine.version)
            self._shown = {}
            host.publish_views(self.room_id, lambda seq: self._views(seq, acked))
            host.shown(self.room_id)

    @staticmethod
    def _to_some(
        frame: messages.GameEvent, to: Sequence[str]
    ) -> Callable[[int], tuple[Mapping[str, str], str | None]]:
        def build(seq: int) -> tuple[Mapping[str, str], str | None]:
            frame.seq = seq
            text = encode(frame)
            return dict.fromkeys(to, text), None

        return build

    def _viewer(self, session_id: str) -> str | None:
        """Whose view a member gets: their own as a player of this game, else a spectator's."""
        return session_id if session_id in self.machine.players and self.members.get(session_id) else None

    def _view(self, viewer: str | None) -> Any:
        if viewer not in self._shown:
            self._shown[viewer] = self.machine.game.view(self._shown_state, viewer)
        return self._shown[viewer]

    def _views(
        self, seq: int, acked: tuple[str | None, str | int] | None
    ) -> tuple[Mapping[str, str], str | None]:
        """Every member's ``game_state`` text for frame ``seq``: the frame around the view encoded
        once, each distinct view once (the actor's frame, which carries a ``ref``, whole)."""
        own_keys = self.machine.game.view_own_keys
        if own_keys is not None and acked is None:
            return self._shared_views(seq, own_keys)
        head, tail = self._frame_around(seq)
        texts: dict[str, str] = {}
        #: Equal texts share one object, which the channel frames once for all who get it.
        distinct: dict[str, str] = {}
        spectators = False
        for session_id in self.members:
            viewer = self._viewer(session_id)
            if viewer is None:
                spectators = True
                continue
            if acked is not None and acked[0] == session_id:
                text = encode(self._state_frame(viewer, seq, acked[1]))
            else:
                text = (head + encode_bytes(self._view(viewer)) + tail).decode()
            texts[session_id] = distinct.setdefault(text, text)
        default = None
        if spectators:
            text = (head + encode_bytes(self._view(None)) + tail).decode()
            default = distinct.setdefault(text, text)
        return texts, default

    def _shared_views(self, seq: int, own_keys: tuple[str, ...]) -> tuple[Mapping[str, str], str | None]:
        """:meth:`_views` for a game whose players' views are the spectator's but for ``own_keys``: the
        frame is encoded once around the public part of the view, and each player's text is that with
        their own keys put in front of the public ones (the same JSON object, keys in another order)."""
        public = dict(self._view(None))
        for key in own_keys:
            public.pop(key, None)
        body = encode_bytes(public)
        head, tail = self._frame_around(seq)
        # What follows a player's own keys, made once: the public ones and the rest of the frame.
        after = tail if body == b"{}" else b"," + body[1:] + tail
        texts: dict[str, str] = {}
        #: The text of each distinct encoding of own keys, made once for the players who share it.
        distinct: dict[bytes, str] = {}
        spectators = False
        # _viewer and _view spelled out: this runs for every member of a real-time room 20 times a second.
        players, shown, view_of, state = (
            self.machine.players,
            self._shown,
            self.machine.game.view,
            self._shown_state,
        )
        for session_id, is_player in self.members.items():
            if not (is_player and session_id in players):
                spectators = True
                continue
            view: Any = shown.get(session_id)
            if view is None and session_id not in shown:
                view = shown[session_id] = view_of(state, session_id)
            mine: dict[str, Any] = {}
            for key in own_keys:
                if key in view:
                    mine[key] = view[key]
            own = encode_bytes(mine)
            text = distinct.get(own)
            if text is None:
                if own == b"{}":
                    text = (head + body + tail).decode()
                elif body == b"{}":
                    text = (head + own + tail).decode()
                else:
                    text = (head + own[:-1] + after).decode()
                distinct[own] = text
            texts[session_id] = text
        default = None
        if spectators:
            default = (head + encode_bytes(self._view(None)) + tail).decode()
        return texts, default

    def _frame_around(self, seq: int) -> tuple[bytes, bytes]:
        """The encoded ``game_state`` of frame ``seq`` without a ``ref``, before and after its view."""
        head, tail = encode_bytes(self._state_frame(None, seq, state=_HOLE)).split(_HOLE_BYTES)
        return head, tail

    def _state_frame(
        self, viewer: str | None, seq: int, ref: str | int | None = None, state: Any = None
    ) -> messages.GameState:
        return messages.GameState(
            seq=seq,
            game=self.machine.game.id,
            game_id=self.record.game_id,
            game_no=self.record.game_no,
            version=self._shown_version,
            state=self._view(viewer) if state is None else state,
            result=dict(self.result) if self.result is not None else None,
            ref=ref,
        )

    @property
    def shown_version(self) -> int:
        return self._shown_version

    def spectator_view(self) -> Any:
        """The view a spectator was last sent: no player's hidden cards are in it."""
        return self._view(None)

    def shown_view(self, session_id: str) -> Any:
        """The view ``session_id`` was last sent (the ``state`` of their ``game_state``): what a seat
        without a socket, a bot, plays from."""
        return self._view(self._viewer(session_id))

    def send_state(self, session_id: str) -> None:
        """The member's view as last shown to the room, for a socket that (re)attached."""
        viewer = self._viewer(session_id)
        self.host.publish_views(
            self.room_id, lambda seq: ({session_id: encode(self._state_frame(viewer, seq))}, None)
        )
