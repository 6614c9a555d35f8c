"""The engine: starts games, owns every room runner of this node, brings games back after a restart,
and connects them to the socket layer (actions in; presence; a view for each socket that attaches).

It sits between the room lifecycle and the hub as the rooms' event sink, so it sees every membership
change right after the hub has sent it out.
"""

from __future__ import annotations

import logging
import secrets
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from roomservice.config import Settings
from roomservice.engine.machine import ACTION, END, LEAVE, REJOIN, GameMachine, Step
from roomservice.engine.runner import Job, RoomRunner
from roomservice.errors import Invalid
from roomservice.games.base import LEAVE_REASONS, LEFT, Event, InvalidAction
from roomservice.games.registry import GameRegistry
from roomservice.protocol import codes
from roomservice.protocol.frames import Action, FrameError
from roomservice.realtime.channel import RoomChannel
from roomservice.realtime.connection import Connection
from roomservice.realtime.hub import Hub
from roomservice.rooms.events import RoomEvent
from roomservice.rooms.model import Room
from roomservice.rooms.service import RoomService
from roomservice.sessions import Session
from roomservice.store import games as repo
from roomservice.store.database import Database
from roomservice.store.journal import Journal
from roomservice.types import Clock, Role, RoomState

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
        hub: Hub,
        journal: Journal,
        clock: Clock,
    ) -> None:
        self.settings = settings
        self.games = games
        self.db = db
        self.rooms = rooms
        self.hub = hub
        self.clock = clock
        self.journal = journal if settings.persist_games else None
        self.runners: dict[str, RoomRunner] = {}
        hub.on_action = self.on_action
        hub.on_attach = self.on_attach
        hub.on_presence = self.on_presence

    # -- persistence -------------------------------------------------------------------------

    async def save(self, entries: Sequence[repo.Entry]) -> None:
        if self.journal is not None:
            await self.journal.write(entries)

    def save_later(self, entries: Sequence[repo.Entry]) -> None:
        if self.journal is not None:
            self.journal.write_later(entries)

    # -- starting and restoring --------------------------------------------------------------

    async def start(self, session: Session, code: str, options: Mapping[str, Any] | None) -> Room:
        """Start (or, from FINISHED, start again) the room's game with ``options``."""
        prepared: list[tuple[repo.GameRecord, GameMachine, list[Event]]] = []

        async def deal(conn: AsyncConnection, room: Room) -> None:
            # Inside the room's start transaction: the players are exactly those seated now, and the
            # game row and its first snapshot commit together with the room's new state.
            game = self.games.get(room.game)
            seed = secrets.randbits(62)
            players = [m.session_id for m in room.players]
            now = self.clock()
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
            )
            await repo.insert_game(conn, record)
            if self.journal is not None:
                await repo.write(conn, [repo.SnapshotEntry(record.game_id, 0, 0, machine.state, now)])
            prepared.append((record, machine, events))

        room = await self.rooms.start(session, code, deal=deal)
        record, machine, events = prepared[-1]
        runner = await self._replace(room, record, machine)
        runner.open(events)
        return room

    async def _replace(self, room: Room, record: repo.GameRecord, machine: GameMachine) -> RoomRunner:
        old = self.runners.pop(room.room_id, None)
        if old is not None:
            await old.stop()
        runner = RoomRunner(self, room.room_id, room.room_code, record, machine, _members(room))
        self.runners[room.room_id] = runner
        return runner

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
        async with self.db.read() as conn:
            snapshot = await repo.latest_snapshot(conn, record.game_id)
            steps = await repo.actions_after(conn, record.game_id, snapshot.step if snapshot else 0)
        room = await self.rooms.get_by_id(record.room_id)
        if room is None:
            return 0
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
            await self.rooms.finish(room.room_id)  # the result was saved, the room's state was not
        runner.arm_timer()
        return 1

    # -- the socket side ---------------------------------------------------------------------

    async def on_action(self, conn: Connection, chan: RoomChannel, frame: Action) -> None:
        runner = self.runners.get(chan.room_id)
        if runner is None:
            raise FrameError(codes.GAME_NOT_STARTED, "No game is running in this room.", frame.ref)
        if conn.session_id not in runner.machine.players or not runner.members.get(conn.session_id):
            raise FrameError("not_a_player", "Only the game's players can act.", frame.ref)
        runner.submit(Job(ACTION, conn.session_id, frame.payload, conn, frame.ref))

    def on_attach(self, conn: Connection, chan: RoomChannel) -> None:
        runner = self.runners.get(chan.room_id)
        if runner is not None and conn.session_id in runner.members:
            runner.send_state(conn.session_id)

    def on_presence(self, room_id: str, session_id: str, online: bool) -> None:
        runner = self.runners.get(room_id)
        if runner is not None and not runner.over and session_id in runner.machine.players:
            runner.submit(Job(REJOIN if online else LEAVE, session_id))

    # -- the room side (RoomEventSink) -------------------------------------------------------

    async def room_events(self, room: Room, events: Sequence[RoomEvent]) -> None:
        await self.hub.room_events(room, events)
        runner = self.runners.get(room.room_id)
        if runner is None:
            return
        for event in events:
            kind = event.frame["type"]
            if kind == "player_joined":
                member = event.frame["player"]
                runner.members[member["session_id"]] = member["role"] == Role.PLAYER.value
            elif kind == "player_left":
                session_id = event.frame["session_id"]
                runner.members.pop(session_id, None)
                closing = any(e.frame["type"] == "room_closed" for e in events)
                if not closing and not runner.over and session_id in runner.machine.players:
                    # The seat is gone for good: the game hears why, and the caller (kick, leave,
                    # the end of a grace) returns once the game has dealt with it.
                    reason = event.frame.get("reason")
                    await runner.call(Job(LEAVE, session_id, reason if reason in LEAVE_REASONS else LEFT))
            elif kind == "room_closed":
                del self.runners[room.room_id]
                await runner.stop()
                return

    async def end(self, session: Session, code: str) -> Room:
        """End the room's running game (host only): FINISHED with ``{"winners": [], "abandoned": true}``."""
        room = await self.rooms.check_end(session, code)
        runner = self.runners.get(room.room_id)
        if runner is None:  # nothing runs it here (a game that was not saved, before a restart)
            await self.rooms.finish(room.room_id)
        elif not runner.over:
            await runner.call(Job(END, session.session_id))  # the runner finishes the room
        return await self.rooms.get(code)

    def poke(self) -> None:
        """Check every game's deadline now."""
        for runner in self.runners.values():
            runner.poke()

    async def close(self) -> None:
        for runner in list(self.runners.values()):
            await runner.stop()
        self.runners.clear()
