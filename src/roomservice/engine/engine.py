"""The engine: starts games, owns every room runner of this node, brings games back after a restart,
and serves the socket layer as its :class:`GameDesk` (actions in; presence; a view for each socket that
attaches) and each runner as its :class:`RunnerHost`.

It follows the membership of the rooms it runs through their broker channels, like any other receiver
of their frames, so it needs no hook into the room lifecycle.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import secrets
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import msgspec
from sqlalchemy.ext.asyncio import AsyncConnection

from roomservice.broker.base import Broker, Envelope
from roomservice.config import Settings
from roomservice.engine.bots import BotSeats
from roomservice.engine.machine import END, LEAVE, REJOIN, GameMachine, Step
from roomservice.engine.ports import BuildViews, Reply
from roomservice.engine.runner import SETTLE, Job, RoomRunner
from roomservice.errors import Conflict, Invalid
from roomservice.games.base import LEAVE_REASONS, LEFT, Event, InvalidAction
from roomservice.games.registry import GameRegistry
from roomservice.leaderboards.service import Leaderboards
from roomservice.leases.base import Fenced
from roomservice.model import Room, Session
from roomservice.protocol import codes
from roomservice.protocol.frames import FrameError
from roomservice.protocol.messages import RoomFrame
from roomservice.realtime.channel import MEMBERSHIP
from roomservice.realtime.outbox import NotOwner, Outbox
from roomservice.rooms.service import RoomService
from roomservice.scheduling import Clock, Scheduler, Timer
from roomservice.stats import Stats
from roomservice.store import games as repo
from roomservice.store.database import Database
from roomservice.store.journal import Fence, Journal
from roomservice.types import Role, RoomState

log = logging.getLogger(__name__)


def _members(room: Room) -> dict[str, bool]:
    return {m.session_id: m.role is Role.PLAYER for m in room.members}


class Engine:
    def __init__(
        self,
        settings: Settings,
        games: GameRegistry,
        db: Database,
        rooms: RoomService,
        outbox: Outbox,
        broker: Broker,
        journal: Journal,
        scheduler: Scheduler,
        leaderboards: Leaderboards | None = None,
        stats: Stats | None = None,
    ) -> None:
        self.settings = settings
        self.stats = stats
        self.games = games
        self.db = db
        self.rooms = rooms
        self.outbox = outbox
        self.broker = broker
        self.scheduler = scheduler
        #: Wall-clock seconds (the runners' ``RunnerHost.now``): the scheduler's own clock, read for
        #: every input of every room without a call of the engine's in between.
        self.now: Clock = scheduler.now
        self.leaderboards = leaderboards
        self.snapshot_every = settings.snapshot_every
        self.journal = journal if settings.persist_games else None
        self.runners: dict[str, RoomRunner] = {}
        self.bots: dict[str, BotSeats] = {}
        self._follow: dict[str, Callable[[Envelope], None]] = {}
        #: The room of each running game, for the fence its writes carry.
        self._room_of_game: dict[str, str] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        outbox.when_lost(self._lost)

    # -- RunnerHost --------------------------------------------------------------------------

    def call_at(self, when: float, callback: Callable[[], object]) -> Timer:
        return self.scheduler.call_at(when, callback)

    def publish(self, room_id: str, frame: RoomFrame) -> int:
        room_log = self.outbox.get(room_id)
        return self.outbox.publish(room_log, frame) if room_log is not None else 0

    def publish_views(self, room_id: str, build: BuildViews) -> None:
        room_log = self.outbox.get(room_id)
        if room_log is not None:
            seq = self.outbox.next_seq(room_log)
            views, default = build(seq)
            self.outbox.publish_views(room_log, views, default, "game_state")

    async def finish(self, room_id: str) -> None:
        """The room's game is over: the room finishes, its result counted in the leaderboards."""
        runner = self.runners.get(room_id)
        record = None
        if self.leaderboards is not None and runner is not None and runner.result is not None:
            record = self.leaderboards.recorder(runner.record, runner.result)
        if await self.rooms.finish(room_id, record) is None and record is not None:
            # The room was gone (its players saw the result and left) or finished already: the game
            # still counts, once.
            async with self.db.write() as conn:
                await record(conn, None)
        if record is not None:
            await record.published()  # after the commit: the leaderboard index hears of it

    def shown(self, room_id: str) -> None:
        seats = self.bots.get(room_id)
        if seats is not None:
            seats.look()

    async def save(self, entries: Sequence[repo.Entry]) -> None:
        if self.journal is not None:
            fence = self._fence(entries)
            try:
                await self.journal.write(entries, fence)
            except Fenced as exc:
                self.outbox.lost(exc.room_id)  # the runner refuses the step, then stops
                raise

    def save_later(
        self, entries: Sequence[repo.Entry], failed: Callable[[BaseException], object] | None = None
    ) -> None:
        if self.journal is not None:
            try:
                self.journal.write_later(entries, self._fence(entries), failed)
            except Fenced as exc:
                self.outbox.lost(exc.room_id)

    def _fence(self, entries: Sequence[repo.Entry]) -> Fence | None:
        """The room and token a game write carries while other nodes could own the room; raises
        ``Fenced`` when this node no longer owns it."""
        if not self.outbox.fencing or not entries:
            return None
        room_id = self._room_of_game.get(entries[0].game_id, "")
        token = self.outbox.fence_of(room_id)
        if token is None:
            raise Fenced(room_id or entries[0].game_id)
        return room_id, token

    def _lost(self, room_id: str) -> None:
        """Another node owns the room now: its game stops here (it goes on there, from the log)."""
        if room_id in self.runners:
            log.warning("room %s: owned elsewhere now; its game stops here", self.runners[room_id].room_code)
            self._spawn(self._drop(room_id))

    # -- starting and restoring --------------------------------------------------------------

    async def start(self, session: Session, code: str, options: Mapping[str, Any] | None) -> Room:
        """Start (or, from FINISHED, start again) the room's game with ``options``."""
        prepared: list[tuple[repo.GameRecord, GameMachine, list[Event]]] = []
        clock = self.scheduler.now

        async def deal(conn: AsyncConnection, room: Room) -> str:
            # Inside the room's start transaction: the players are exactly those seated now, and the
            # game row and its first snapshot commit together with the room's new state.
            game = self.games.get(room.game)
            seed = secrets.randbits(62)
            players = [m.session_id for m in room.players]
            now = clock()
            try:
                machine, events = GameMachine.setup(
                    game, seed=seed, players=players, options=options or {}, dev=self.settings.dev, now=now
                )
            except InvalidAction as exc:
                raise Invalid(exc.code, exc.message) from None
            record = repo.GameRecord(
                game_id=str(uuid.uuid4()),
                room_id=room.room_id,
                game_no=await repo.next_game_no(conn, room.room_id),
                game=game.id,
                seed=seed,
                options=machine.options,
                players=players,
                dev=self.settings.dev,
                started_at=now,
                bots=[m.session_id for m in room.bots],
            )
            await repo.insert_game(conn, record)
            if self.journal is not None:
                await repo.write(conn, [repo.SnapshotEntry(record.game_id, 0, 0, machine.state, now)])
            prepared.append((record, machine, events))
            return record.game_id

        room = await self.rooms.start(session, code, deal=deal)
        record, machine, events = prepared[-1]
        try:
            runner = await self._replace(room, record, machine)
        except NotOwner:
            # The start committed under this node's fence, then its lease ran out (a stall longer
            # than the lease): the node that took the room restores the game from the snapshot
            # committed with it, so the start stands.
            log.warning("room %s: started, but another node owns it now and runs the game", room.room_code)
            return room
        runner.open(events)
        return room

    async def _replace(self, room: Room, record: repo.GameRecord, machine: GameMachine) -> RoomRunner:
        old = self.runners.pop(room.room_id, None)
        old_bots = self.bots.pop(room.room_id, None)
        if old_bots is not None:
            old_bots.close()
        if old is not None:
            await old.stop()
        await self.outbox.open(room.room_id, room.room_code)  # this node owns the room's frames
        runner = RoomRunner(self, room.room_id, room.room_code, record, machine, _members(room), self.stats)
        self.runners[room.room_id] = runner
        self._room_of_game[record.game_id] = room.room_id
        if room.bots:
            self.bots[room.room_id] = BotSeats(runner, [m.session_id for m in room.bots], self.scheduler)
        if room.room_id not in self._follow:
            follow = self._follow[room.room_id] = functools.partial(self._membership, room.room_id)
            self.broker.subscribe(room.room_id, follow)
        return runner

    async def _drop(self, room_id: str) -> None:
        runner = self.runners.pop(room_id, None)
        if runner is not None:
            self._room_of_game.pop(runner.record.game_id, None)
        seats = self.bots.pop(room_id, None)
        if seats is not None:
            seats.close()
        follow = self._follow.pop(room_id, None)
        if follow is not None:
            self.broker.unsubscribe(room_id, follow)
        if runner is not None:
            await runner.stop()

    async def restore(self) -> int:
        """Bring back the games of rooms that were in (or just after) a game when the server stopped:
        the latest snapshot, then the log after it. Returns how many came back."""
        async with self.db.read() as conn:
            records = await repo.games_of_live_rooms(conn)
        restored = 0
        for record in records:
            try:
                restored += await self._restore(record)
            except Exception:
                log.exception("could not restore game %s of room %s", record.game_id, record.room_id)
        if restored:
            log.info("restored %d game(s)", restored)
        return restored

    async def _restore(self, record: repo.GameRecord) -> int:
        room = await self.rooms.get_by_id(record.room_id)
        if room is None:
            return 0
        try:
            # Owned (and its fence claimed) before its log is read: what a former owner wrote is
            # there to read, and it writes nothing more.
            await self.outbox.open(room.room_id, room.room_code)
        except NotOwner:
            return 0  # another node runs it
        async with self.db.read() as conn:
            snapshot = await repo.latest_snapshot(conn, record.game_id)
            steps = await repo.actions_after(conn, record.game_id, snapshot.step if snapshot else 0)
        if snapshot is None:  # run with persistence off: nothing to come back to
            if room.state is RoomState.IN_GAME:
                await self.rooms.finish(room.room_id)
            return 0
        machine = GameMachine(
            self.games.get(record.game),
            seed=record.seed,
            players=record.players,
            options=record.options,
            dev=record.dev,
            state=snapshot.state,
            started_at=record.started_at,
            step=snapshot.step,
            ticks=snapshot.ticks,
            now=snapshot.at,
            final=record.result,
        )
        machine.replay(Step(s.kind, s.player, s.payload, s.at, s.ticks) for s in steps)
        runner = await self._replace(room, record, machine)
        if runner.over and room.state is RoomState.IN_GAME:
            await self.finish(room.room_id)  # the result was saved, the room's state was not
        runner.arm_timer()
        self.shown(room.room_id)  # bots carry on from the state they were last shown
        log.info(
            "room %s: game %s restored at step %d%s",
            room.room_code,
            record.game_id,
            machine.step,
            " (over)" if runner.over else "",
            extra={"room": room.room_code, "game_id": record.game_id},
        )
        return 1

    # -- the socket side (GameDesk) ---------------------------------------------------------

    def act(self, room_id: str, session_id: str, payload: Any, reply: Reply, ref: str | int | None) -> None:
        runner = self.runners.get(room_id)
        if runner is None:
            raise FrameError(codes.GAME_NOT_STARTED, "No game is running in this room.", ref)
        if session_id not in runner.machine.players or not runner.members.get(session_id):
            if self.stats is not None:
                self.stats.action(runner.machine.game.id, "not_a_player")
            raise FrameError("not_a_player", "Only the game's players can act.", ref)
        runner.act(session_id, payload, reply, ref)

    def input_rate(self, room_id: str) -> float:
        runner = self.runners.get(room_id)
        if runner is None or runner.over:
            return 0.0
        return float(runner.machine.game.input_rate)

    def attached(self, room_id: str, session_id: str) -> None:
        runner = self.runners.get(room_id)
        if runner is not None and session_id in runner.members:
            runner.send_state(session_id)

    def presence(self, room_id: str, session_id: str, online: bool) -> None:
        runner = self.runners.get(room_id)
        if runner is not None and not runner.over and session_id in runner.machine.players:
            runner.submit(Job(REJOIN if online else LEAVE, session_id))

    # -- the rooms' membership, as their channels carry it ----------------------------------

    def _membership(self, room_id: str, envelope: Envelope) -> None:
        if envelope.kind not in MEMBERSHIP:
            return
        runner = self.runners.get(room_id)
        if runner is None:
            return
        if envelope.kind == "player_joined" and envelope.subject is not None:
            member = msgspec.json.decode(envelope.text)["player"]
            runner.members[envelope.subject] = member["role"] == Role.PLAYER.value
        elif envelope.kind == "player_left" and envelope.subject is not None:
            session_id = envelope.subject
            runner.members.pop(session_id, None)
            if not runner.over and session_id in runner.machine.players:
                # The seat is gone for good: the game hears why (a logged step, so replay is exact).
                reason = msgspec.json.decode(envelope.text).get("reason")
                runner.submit(Job(LEAVE, session_id, reason if reason in LEAVE_REASONS else LEFT))
        elif envelope.kind == "room_closed":
            self._spawn(self._drop(room_id))

    def _spawn(self, coro: Any) -> None:
        task: asyncio.Task[Any] = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def settle(self, room_id: str) -> None:
        """Return once the room's game has handled everything queued so far (a lost seat, say), so a
        caller answers with the room as the game left it."""
        runner = self.runners.get(room_id)
        if runner is not None:
            await runner.call(Job(SETTLE))

    async def end(self, session: Session, code: str) -> Room:
        """End the room's running game (host only): FINISHED with ``{"winners": [], "abandoned": true}``."""
        room = await self.rooms.check_end(session, code)
        return await self._end(room, session.session_id)

    async def end_as_operator(self, code: str) -> Room:
        """End the room's running game as its host would, for an operator (a stuck game): the same
        step, logged without a player. Raises ``room_not_found`` (404), ``game_not_running`` (409)."""
        room = await self.rooms.get(code)
        if room.state is not RoomState.IN_GAME:
            raise Conflict("game_not_running", "No game is running in this room.")
        return await self._end(room, None)

    async def _end(self, room: Room, by: str | None) -> Room:
        runner = self.runners.get(room.room_id)
        if runner is None:  # nothing runs it here (a game that was not saved, before a restart)
            await self.rooms.finish(room.room_id)
        elif not runner.over:
            await runner.call(Job(END, by))  # the runner finishes the room
        return await self.rooms.get(room.room_code)

    def spectate(self, room_id: str) -> dict[str, Any] | None:
        """The room's running (or just finished) game as a spectator sees it, or None: what an
        operator may look at, never a player's own view."""
        runner = self.runners.get(room_id)
        if runner is None:
            return None
        return {
            "game_id": runner.record.game_id,
            "game": runner.machine.game.id,
            "game_no": runner.record.game_no,
            "version": runner.shown_version,
            "state": runner.spectator_view(),
            "result": dict(runner.result) if runner.result is not None else None,
        }

    def poke(self) -> None:
        """Check every game's deadline now."""
        for runner in self.runners.values():
            runner.poke()

    async def close(self) -> None:
        for room_id in list(self.runners):
            await self._drop(room_id)
        await asyncio.gather(*self._tasks, return_exceptions=True)
