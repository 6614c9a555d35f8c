"""The room runner without a server: a fake ``RunnerHost`` records what it publishes and saves.

Each step's views go out as one frame, numbered once, whose text depends on the receiver; members who
see the same view get the very same ``str`` (encoded once), and spectators share one text.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from typing import Any

import pytest

from roomservice.engine.machine import ACTION, GameMachine, Step
from roomservice.engine.ports import BuildViews
from roomservice.engine.runner import Job, RoomRunner
from roomservice.games.arena import Arena
from roomservice.games.base import Context, Event, Game, InvalidAction, Outcome, PlayerId, State
from roomservice.protocol.messages import RoomFrame, encode
from roomservice.scheduling import Timer
from roomservice.store.games import ActionEntry, Entry, FinishEntry, GameRecord, InputsEntry
from tests.fakes import ManualScheduler

ANN, BOB, CAT, SPY = "ann", "bob", "cat", "spy"


class Twins(Game):
    """Ann and Bob hold the same secret, Cat another; a view shows the viewer's own secret only. Every
    tap is a step with a public event and a private one for the tapper; six taps end it."""

    id = "twins"
    name = "Twins"
    min_players = 1
    max_players = 4

    def setup(self, players: Sequence[PlayerId], options: Mapping[str, Any], ctx: Context) -> Outcome:
        secrets = {p: (7 if p in (ANN, BOB) else 9) for p in players}
        return Outcome({"taps": 0, "secrets": secrets, "deadline": ctx.now + 30})

    def apply(self, state: State, player: PlayerId, action: Any, ctx: Context) -> Outcome:
        if action != "tap":
            raise InvalidAction("bad_move", "Send 'tap'.")
        new = {**state, "taps": state["taps"] + 1, "deadline": ctx.now + 30}
        return Outcome(new, [Event("tapped", {"by": player}), Event("felt", {"n": new["taps"]}, (player,))])

    def view(self, state: State, viewer: PlayerId | None) -> Any:
        return {"taps": state["taps"], "secret": state["secrets"].get(viewer) if viewer else None}

    def result(self, state: State) -> Mapping[str, Any] | None:
        return {"taps": state["taps"]} if state["taps"] >= 6 else None

    def turn_deadline(self, state: State) -> float | None:
        return float(state["deadline"])

    def on_timeout(self, state: State, ctx: Context) -> Outcome:
        return Outcome({**state, "taps": 6}, [Event("timed_out")])


class Host:
    """A ``RunnerHost`` that numbers frames itself and keeps everything it is given."""

    snapshot_every = 100

    def __init__(self, scheduler: ManualScheduler) -> None:
        self.scheduler = scheduler
        self.seq = 0
        #: (seq, texts by session id, text for everyone else) of every frame, in order.
        self.frames: list[tuple[int, Mapping[str, str], str | None]] = []
        self.saved: list[Entry] = []
        self.finished: list[str] = []
        self.published = asyncio.Event()

    def now(self) -> float:
        return self.scheduler.now()

    def call_at(self, when: float, callback: Callable[[], object]) -> Timer:
        return self.scheduler.call_at(when, callback)

    def publish(self, room_id: str, frame: RoomFrame) -> int:
        self.seq += 1
        frame.seq = self.seq
        self.frames.append((self.seq, {}, encode(frame)))
        self.published.set()
        return self.seq

    def shown(self, room_id: str) -> None:
        pass

    def publish_views(self, room_id: str, build: BuildViews) -> None:
        self.seq += 1
        views, default = build(self.seq)
        self.frames.append((self.seq, views, default))
        self.published.set()

    async def save(self, entries: Sequence[Entry]) -> None:
        self.saved.extend(entries)

    def save_later(
        self, entries: Sequence[Entry], failed: Callable[[BaseException], object] | None = None
    ) -> None:
        self.saved.extend(entries)

    async def finish(self, room_id: str) -> None:
        self.finished.append(room_id)

    def states(self) -> list[tuple[int, Mapping[str, str], str | None]]:
        """The ``game_state`` frames."""
        return [f for f in self.frames if '"game_state"' in next(iter([*f[1].values(), f[2] or ""]))]

    async def quiet(self, frames: int) -> None:
        """Wait until at least ``frames`` frames went out."""
        while len(self.frames) < frames:
            self.published.clear()
            await asyncio.wait_for(self.published.wait(), 5)


@pytest.fixture
async def scheduler() -> AsyncIterator[ManualScheduler]:
    scheduler = ManualScheduler()
    yield scheduler
    await scheduler.close()


def _opened(
    game: Game,
    host: Host,
    scheduler: ManualScheduler,
    players: Sequence[str] = (ANN, BOB, CAT),
    members: Mapping[str, bool] | None = None,
    seed: int = 1,
) -> tuple[RoomRunner, GameMachine]:
    """A runner of a new game of ``game`` for ``players``, opened; ``members``: everyone attached to
    the room (default: the players)."""
    machine, events = GameMachine.setup(
        game, seed=seed, players=list(players), options={}, dev=False, now=scheduler.now()
    )
    record = GameRecord("g1", "room-1", 1, game.id, seed, {}, list(players), False, scheduler.now())
    runner = RoomRunner(host, "room-1", "ABCDEF", record, machine, members or dict.fromkeys(players, True))
    runner.open(events)
    return runner, machine


@pytest.fixture
async def runner(scheduler: ManualScheduler) -> AsyncIterator[RoomRunner]:
    members = {ANN: True, BOB: True, CAT: True, SPY: False}
    runner, _ = _opened(Twins(), Host(scheduler), scheduler, members=members)
    yield runner
    await runner.stop()


def host_of(runner: RoomRunner) -> Host:
    assert isinstance(runner.host, Host)
    return runner.host


def decoded(text: str | None) -> dict[str, Any]:
    assert text is not None
    frame: dict[str, Any] = json.loads(text)
    return frame


async def tap(runner: RoomRunner, player: str, ref: str | int | None = None) -> list[str]:
    """Submit a tap and wait for its step's frames; the replies its sender got."""
    host = host_of(runner)
    replies: list[str] = []
    before = len(host.frames)
    runner.submit(Job(ACTION, player, "tap", replies.append, ref))
    await host.quiet(before + 3)  # the public event, the private one, the views
    return replies


async def test_each_step_is_one_views_frame_with_a_text_per_member(runner: RoomRunner) -> None:
    host = host_of(runner)
    assert len(host.states()) == 1  # the opening views
    for n in range(1, 4):
        assert await tap(runner, CAT) == []
        assert len(host.states()) == 1 + n
    seqs = [seq for seq, _, _ in host.frames]
    assert seqs == list(range(1, len(host.frames) + 1))
    seq, views, default = host.states()[-1]
    assert set(views) == {ANN, BOB, CAT}  # the spectator gets the text for everyone else
    assert decoded(views[ANN])["state"] == {"taps": 3, "secret": 7}
    assert decoded(views[CAT])["state"] == {"taps": 3, "secret": 9}
    assert decoded(default)["state"] == {"taps": 3, "secret": None}
    assert all(decoded(text)["seq"] == seq for text in [*views.values(), default])
    actions = [e for e in host.saved if isinstance(e, ActionEntry)]
    assert [e.step for e in actions] == [1, 2, 3]


async def test_members_who_see_the_same_view_share_one_text(runner: RoomRunner) -> None:
    host = host_of(runner)
    _, views, default = host.states()[0]
    assert views[ANN] is views[BOB]  # the same view: encoded once, one object
    assert views[CAT] is not views[ANN] and views[CAT] != views[ANN]
    assert default is not None and default != views[ANN]

    await tap(runner, ANN, ref="a1")  # the actor's view acknowledges its action: a text of its own
    _, views, _ = host.states()[-1]
    assert decoded(views[ANN])["ref"] == "a1" and "ref" not in decoded(views[BOB])
    assert views[ANN] is not views[BOB]
    await tap(runner, CAT, ref="c1")
    _, views, _ = host.states()[-1]
    assert views[ANN] is views[BOB]


async def test_private_events_go_only_to_their_receiver(runner: RoomRunner) -> None:
    host = host_of(runner)
    await tap(runner, BOB)
    (_, public, everyone), (_, private, nobody), _ = host.frames[-3:]
    assert public == {} and decoded(everyone)["event"] == "tapped"
    assert set(private) == {BOB} and nobody is None and decoded(private[BOB])["event"] == "felt"


async def test_a_refused_action_is_answered_to_its_sender_only(runner: RoomRunner) -> None:
    host = host_of(runner)
    replies: list[str] = []
    answered = asyncio.Event()

    def reply(text: str) -> None:
        replies.append(text)
        answered.set()

    before = len(host.frames)
    runner.submit(Job(ACTION, ANN, "kick", reply, "r9"))
    await asyncio.wait_for(answered.wait(), 5)
    assert decoded(replies[0])["code"] == "bad_move" and decoded(replies[0])["ref"] == "r9"
    assert len(host.frames) == before and runner.machine.state["taps"] == 0


async def test_the_turn_timer_runs_on_the_hosts_clock(runner: RoomRunner, scheduler: ManualScheduler) -> None:
    host = host_of(runner)
    await scheduler.advance(29)
    assert runner.result is None and len(host.states()) == 1
    before = len(host.frames)
    await scheduler.advance(1)
    await host.quiet(before + 2)  # the event and the final views
    assert runner.result == {"taps": 6}
    default = host.states()[-1][2]
    assert decoded(default)["result"] == {"taps": 6}
    assert host.finished == ["room-1"]
    assert any(isinstance(e, FinishEntry) for e in host.saved)


class QuietTwins(Twins):
    """Twins whose views follow their own schedule: an accepted action sends no view of its own."""

    views_per_action = False

    def apply(self, state: State, player: PlayerId, action: Any, ctx: Context) -> Outcome:
        if action == "stale":
            return Outcome(state)
        return super().apply(state, player, action, ctx)


async def test_a_game_without_views_per_action_sends_none_for_an_accepted_action(
    scheduler: ManualScheduler,
) -> None:
    runner, _ = _opened(QuietTwins(), Host(scheduler), scheduler)
    host = host_of(runner)
    try:
        assert len(host.states()) == 1  # the opening views still go out
        for n in range(1, 6):
            replies: list[str] = []
            await runner.call(Job(ACTION, ANN, "tap", replies.append, f"t{n}"))
            assert replies == []
        assert len(host.states()) == 1  # five accepted taps: their events, no views
        assert len(host.frames) == 1 + 5 * 2
        assert [e.step for e in host.saved if isinstance(e, ActionEntry)] == [1, 2, 3, 4, 5]

        before = len(host.frames)
        replies = []
        await runner.call(Job(ACTION, BOB, "stale", replies.append, "s"))  # changes nothing
        await runner.call(Job(ACTION, BOB, "kick", replies.append, "k"))  # refused
        assert len(host.frames) == before
        assert [decoded(r)["code"] for r in replies] == ["bad_move"]

        await runner.call(Job(ACTION, CAT, "tap", replies.append, "end"))  # the view that ends it goes out
        assert len(host.states()) == 2
        assert decoded(host.states()[-1][1][ANN])["result"] == {"taps": 6}
    finally:
        await runner.stop()


class Countdown(Game):
    """Ticks 100 times a second and ends at tick 5; an action changes a counter."""

    id = "countdown"
    name = "Countdown"
    realtime = True
    tick_rate = 100.0

    def setup(self, players: Sequence[PlayerId], options: Mapping[str, Any], ctx: Context) -> Outcome:
        return Outcome({"ticks": 0, "taps": 0})

    def apply(self, state: State, player: PlayerId, action: Any, ctx: Context) -> Outcome:
        return Outcome({**state, "taps": state["taps"] + 1})

    def tick(self, state: State, dt: float, ctx: Context) -> Outcome:
        return Outcome(state if state["ticks"] >= 5 else {**state, "ticks": state["ticks"] + 1})

    def view(self, state: State, viewer: PlayerId | None) -> Any:
        return state

    def result(self, state: State) -> Mapping[str, Any] | None:
        return {"winners": []} if state["ticks"] >= 5 else None


class SlowHost(Host):
    """Saves an action's step only when the test lets it: the ticks meanwhile are owed."""

    def __init__(self, scheduler: ManualScheduler) -> None:
        super().__init__(scheduler)
        self.gate = asyncio.Event()

    async def save(self, entries: Sequence[Entry]) -> None:
        await self.gate.wait()
        self.saved.extend(entries)


async def test_a_game_ended_by_a_tick_an_action_owed_is_finished_and_never_ticked_again(
    scheduler: ManualScheduler,
) -> None:
    host = SlowHost(scheduler)
    runner, machine = _opened(Countdown(), host, scheduler, players=[ANN])
    try:
        runner.submit(Job(ACTION, ANN, "tap"))
        for _ in range(500):  # the step waits to be saved; the ticks meanwhile are owed
            if runner._owed_ticks >= 6:
                break
            await asyncio.sleep(0.01)
        host.gate.set()
        await runner.call(Job("settle"))
        await asyncio.sleep(0.1)  # ten more tick periods
        assert runner.result == {"winners": []}
        assert host.finished == ["room-1"]
        assert machine.ticks == 5  # no tick after the end
        assert sum(isinstance(e, FinishEntry) for e in host.saved) == 1
    finally:
        await runner.stop()


class CountingHost(SlowHost):
    """A held save, counting the writes: what queues meanwhile goes in the next write, together."""

    def __init__(self, scheduler: ManualScheduler) -> None:
        super().__init__(scheduler)
        self.writes: list[list[int]] = []

    async def save(self, entries: Sequence[Entry]) -> None:
        await self.gate.wait()
        self.writes.append([e.step for e in entries if isinstance(e, ActionEntry)])
        self.saved.extend(entries)


async def test_actions_queued_during_a_write_share_the_next_write_and_keep_their_order(
    scheduler: ManualScheduler,
) -> None:
    host = CountingHost(scheduler)
    runner, _ = _opened(Twins(), host, scheduler)
    try:
        replies: dict[str, list[str]] = {ANN: [], BOB: [], CAT: []}
        runner.submit(Job(ACTION, ANN, "tap", replies[ANN].append, "a1"))
        for _ in range(100):  # the first step is being written
            if runner._busy:
                break
            await asyncio.sleep(0.01)
        assert runner._busy
        before = len(host.frames)
        refused_after: list[int] = []  # frames out when Cat's refusal was answered

        def cat_reply(text: str) -> None:
            refused_after.append(len(host.frames))
            replies[CAT].append(text)

        runner.submit(Job(ACTION, BOB, "tap", replies[BOB].append, "b1"))
        runner.submit(Job(ACTION, CAT, "kick", cat_reply, "c1"))
        runner.submit(Job(ACTION, CAT, "tap", cat_reply, "c2"))
        host.gate.set()
        await runner.call(Job("settle"))
        assert host.writes == [[1], [2, 3]]  # one write for the three queued while the first was written
        assert [decoded(r)["code"] for r in replies[CAT]] == ["bad_move"]
        # Each accepted step's views show the state that step left, acknowledging its own action.
        states = host.states()[-3:]
        assert [decoded(s[1][ANN])["state"]["taps"] for s in states] == [1, 2, 3]
        assert [decoded(s[1][p]).get("ref") for s, p in zip(states, [ANN, BOB, CAT], strict=True)] == [
            "a1",
            "b1",
            "c2",
        ]
        assert all(seq > before for seq, _, _ in states[1:])
        assert refused_after == [before + 6]  # after Ann's and Bob's steps were seen, not before
    finally:
        await runner.stop()


class Drummer(Countdown):
    """A real-time game whose views follow its ticks; an input sends nothing, and never ends it."""

    id = "drummer"
    tick_rate = 200.0
    views_per_action = False

    def apply(self, state: State, player: PlayerId, action: Any, ctx: Context) -> Outcome:
        if action == "kick":
            raise InvalidAction("bad_move", "Send a beat.")
        return Outcome({**state, "taps": state["taps"] + 1, "last": action})

    def tick(self, state: State, dt: float, ctx: Context) -> Outcome:
        return Outcome({**state, "ticks": state["ticks"] + 1})

    def result(self, state: State) -> Mapping[str, Any] | None:
        return None


async def test_a_ticking_games_inputs_are_logged_once_per_tick_with_the_ticks_before_them(
    scheduler: ManualScheduler,
) -> None:
    players = [ANN, BOB, CAT]
    host = Host(scheduler)
    runner, machine = _opened(Drummer(), host, scheduler)
    try:
        replies: list[str] = []
        sent = []
        for n in range(30):
            player = players[n % 3]
            sent.append((player, n))
            runner.submit(Job(ACTION, player, n, replies.append, n))
            if n % 4 == 0:
                await runner.call(Job(ACTION, ANN, "kick", replies.append, "k"))  # refused: not logged
                await asyncio.sleep(0.004)
        await runner.call(Job("settle"))
        ticks = machine.ticks
        await host.quiet(len(host.frames) + 2)  # two more ticks' views: the first logs the last input
        assert not any(isinstance(e, ActionEntry) for e in host.saved)  # no row per input
        logged = [e for e in host.saved if isinstance(e, InputsEntry)]
        assert 1 < len(logged) < 30  # inputs that came between two ticks share their tick's entry
        assert [(p, payload) for e in logged for p, payload, _ in e.inputs] == sent
        steps = [e.step for e in logged]
        assert steps == sorted(steps) and steps[-1] == 30
        assert all(e.step - len(e.inputs) == prev for e, prev in zip(logged, [0, *steps], strict=False))
        assert all(e.ticks < ticks + 2 for e in logged)
        assert len(replies) == 8 and all(decoded(r)["code"] == "bad_move" for r in replies)
        # Replaying the log (each input after the ticks its entry names) gives the state that ran.
        again, _ = GameMachine.setup(Drummer(), seed=1, players=players, options={}, dev=False, now=0.0)
        again.replay(Step(ACTION, p, payload, at, e.ticks) for e in logged for p, payload, at in e.inputs)
        assert again.state["taps"] == 30 and again.state["last"] == 29 and again.step == 30
    finally:
        await runner.stop()


async def test_a_game_whose_views_differ_only_in_own_keys_gets_the_same_frames_encoded_once(
    scheduler: ManualScheduler,
) -> None:
    members = {ANN: True, BOB: True, CAT: True, SPY: False}
    players = [ANN, BOB, CAT]
    runner, _ = _opened(Arena(), Host(scheduler), scheduler, members=members, seed=3)
    try:
        move = {"seq": 4, "tick": 0, "move": [1, 0.5], "aim": 1.0, "fire": True}
        await runner.call(Job(ACTION, BOB, move, lambda text: None, 1))
        await host_of(runner).quiet(len(host_of(runner).frames) + 8)  # 12 ticks, 8 views
        seq, views, default = host_of(runner).states()[-1]
        for viewer in players:
            assert decoded(views[viewer]) == decoded(encode(runner._state_frame(viewer, seq)))
        assert decoded(views[BOB])["state"]["ack"] == 4 and decoded(views[ANN])["state"]["ack"] is None
        assert decoded(default) == decoded(encode(runner._state_frame(None, seq)))
    finally:
        await runner.stop()


class Shouter(Drummer):
    """A drummer whose ``shout`` is an input with a public event: a step the runner writes and waits for."""

    id = "shouter"

    def apply(self, state: State, player: PlayerId, action: Any, ctx: Context) -> Outcome:
        outcome = super().apply(state, player, action, ctx)
        return Outcome(outcome.state, [Event("shouted", {"by": player})] if action == "shout" else [])


async def test_an_input_taken_at_once_still_waits_for_a_step_being_written_before_it(
    scheduler: ManualScheduler,
) -> None:
    host = SlowHost(scheduler)
    runner, machine = _opened(Shouter(), host, scheduler)
    try:
        replies: list[str] = []
        runner.submit(Job(ACTION, ANN, 1, replies.append, 1))  # between passes: applied as it comes
        assert machine.state["taps"] == 1
        runner.submit(Job(ACTION, BOB, "shout", replies.append, 2))  # an event: written, waited for
        for _ in range(100):
            if runner._busy:
                break
            await asyncio.sleep(0.01)
        assert runner._busy
        runner.submit(Job(ACTION, CAT, 3, replies.append, 3))  # waits for the shout's write
        runner.submit(Job(ACTION, CAT, "kick", replies.append, 4))  # refused after it, not before
        assert machine.state["taps"] == 2 and replies == []
        host.gate.set()
        await runner.call(Job("settle"))
        assert machine.state["taps"] == 3 and machine.state["last"] == 3
        assert [decoded(r)["code"] for r in replies] == ["bad_move"]
        await host.quiet(len(host.frames) + 2)  # the next tick logs the input after the shout
        logged = [
            (e.step, [(p, payload) for p, payload, _ in e.inputs])
            if isinstance(e, InputsEntry)
            else (e.step, [(e.player, e.payload)])
            for e in host.saved
            if isinstance(e, InputsEntry | ActionEntry)
        ]
        assert logged == [(1, [(ANN, 1)]), (2, [(BOB, "shout")]), (3, [(CAT, 3)])]
    finally:
        await runner.stop()


async def test_an_input_after_the_runner_stopped_changes_nothing(scheduler: ManualScheduler) -> None:
    host = Host(scheduler)
    runner, machine = _opened(Drummer(), host, scheduler)
    runner.submit(Job(ACTION, ANN, 1))
    await runner.stop()
    logged = [e for e in host.saved if isinstance(e, InputsEntry)]
    runner.submit(Job(ACTION, BOB, 2))
    assert machine.state["taps"] == 1 and machine.step == 1
    assert [(p, payload) for e in logged for p, payload, _ in e.inputs] == [(ANN, 1)]
