"""The engine of a node in a cluster: a room's game runs on the room's owner only.

What reaches a node that does not own the room goes to the owner: a member's actions (the owner's
answers to that member come back to the node holding its socket), presence and attaching, and the
host's start and end and the wait for a lost seat (``settle``) as calls. A room nobody owns is taken
by the node that needs it, which brings its game back from snapshot plus log (``claimed``).
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping
from typing import Any

from roomservice.broker.base import Broker
from roomservice.cluster.node import Node
from roomservice.config import Settings
from roomservice.engine.engine import Engine
from roomservice.engine.ports import Reply
from roomservice.errors import ClusterUnavailable
from roomservice.games.registry import GameRegistry
from roomservice.leaderboards.service import Leaderboards
from roomservice.model import Room, Session
from roomservice.protocol import codes
from roomservice.protocol.frames import FrameError, encode, error
from roomservice.realtime.outbox import NotOwner, Outbox
from roomservice.rooms.service import RoomService
from roomservice.scheduling import Scheduler
from roomservice.stats import Stats
from roomservice.store import games as repo
from roomservice.store.database import Database
from roomservice.store.journal import Journal
from roomservice.types import RoomState

log = logging.getLogger(__name__)


class ClusterEngine(Engine):
    """An :class:`Engine` whose owner-only work goes to the room's owner, reached through ``node``."""

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
        *,
        node: Node,
    ) -> None:
        super().__init__(settings, games, db, rooms, outbox, broker, journal, scheduler, leaderboards, stats)
        self.node = node
        #: Rooms whose game is being restored here (the restore takes the room: no second restore).
        self._restoring: set[str] = set()
        #: A real-time game's input rate is unknown on a node that does not run it: the highest of
        #: the installed games stands in (the owner's runner still checks every input).
        self._remote_rate = max((float(g.input_rate) for g in self.games), default=0.0)
        node.handle("act", self._act)
        node.handle("presence", self._presence)
        node.handle("attached", self._attached)
        node.handle("start", self._start)
        node.handle("end", self._end_here)
        node.handle("settle", self._settle)
        self.outbox.when_claimed(self.claimed)

    # -- a room nobody owned is taken here -------------------------------------------------

    async def claimed(self, room_id: str) -> None:
        """This node just took the room: bring its game back, if it has one, and show it to everyone."""
        if room_id in self.runners or room_id in self._restoring:
            return
        async with self.db.read() as conn:
            record = await repo.latest_game(conn, room_id)
        room = await self.rooms.get_by_id(room_id)
        if record is None or room is None or room.state is RoomState.WAITING:
            return
        if await self._restore(record):
            runner = self.runners.get(room_id)
            if runner is not None:
                runner.open([])  # everyone's view, numbered here: sockets anywhere catch up
                log.info("room %s: taken over, game restored at step %d", room.room_code, runner.machine.step)

    async def _restore(self, record: repo.GameRecord) -> int:
        self._restoring.add(record.room_id)
        try:
            return await super()._restore(record)
        finally:
            self._restoring.discard(record.room_id)

    # -- the socket side --------------------------------------------------------------------

    def _owner_elsewhere(self, room_id: str) -> str | None:
        owner = self.node.known_owner(room_id)
        return owner if owner is not None and owner != self.node.node_id else None

    def act(self, room_id: str, session_id: str, payload: Any, reply: Reply, ref: str | int | None) -> None:
        if room_id in self.runners:
            super().act(room_id, session_id, payload, reply, ref)
            return
        owner = self._owner_elsewhere(room_id)
        if owner is None:
            self.node.spawn(self._act_unknown(room_id, session_id, payload, reply, ref))
            return
        body = {"room_id": room_id, "session_id": session_id, "payload": payload, "ref": ref}
        self.node.send(owner, "act", body)

    async def _act_unknown(
        self, room_id: str, session_id: str, payload: Any, reply: Reply, ref: str | int | None
    ) -> None:
        """An action for a room whose owner this node has not seen yet: look it up (taking the room
        when nobody owns it), then act."""
        try:
            owner = await self.node.owner(room_id)
            if owner is None:
                room = await self.rooms.get_by_id(room_id)
                if room is not None:
                    await self.outbox.follow(room.room_id, room.room_code)
                    owner = await self.node.owner(room_id)
        except (ClusterUnavailable, NotOwner):
            owner = None
        try:
            if room_id in self.runners:
                super().act(room_id, session_id, payload, reply, ref)
            elif owner is not None and owner != self.node.node_id:
                body = {"room_id": room_id, "session_id": session_id, "payload": payload, "ref": ref}
                self.node.send(owner, "act", body)
            else:
                raise FrameError(codes.GAME_NOT_STARTED, "No game is running in this room.", ref)
        except FrameError as exc:
            reply(encode(error(exc.code, exc.message, exc.ref)))

    async def _act(self, body: dict[str, Any], sender: str) -> None:
        room_id, session_id, ref = body["room_id"], body["session_id"], body.get("ref")

        def reply(text: str) -> None:
            self.node.send(sender, "text", {"session_id": session_id, "text": text})

        if room_id not in self.runners and self._owner_elsewhere(room_id) is not None:
            reply(encode(error("room_moved", "The room moved to another server; send it again.", ref)))
            return
        try:
            super().act(room_id, session_id, body.get("payload"), reply, ref)
        except FrameError as exc:
            reply(encode(error(exc.code, exc.message, exc.ref)))

    def input_rate(self, room_id: str) -> float:
        if room_id in self.runners:
            return super().input_rate(room_id)
        return self._remote_rate if self._owner_elsewhere(room_id) is not None else 0.0

    def attached(self, room_id: str, session_id: str) -> None:
        if room_id in self.runners:
            super().attached(room_id, session_id)
        elif (owner := self._owner_elsewhere(room_id)) is not None:
            self.node.send(owner, "attached", {"room_id": room_id, "session_id": session_id})

    def presence(self, room_id: str, session_id: str, online: bool) -> None:
        if room_id in self.runners:
            super().presence(room_id, session_id, online)
        elif (owner := self._owner_elsewhere(room_id)) is not None:
            body = {"room_id": room_id, "session_id": session_id, "online": online}
            self.node.send(owner, "presence", body)

    async def _attached(self, body: dict[str, Any], sender: str) -> None:
        super().attached(body["room_id"], body["session_id"])

    async def _presence(self, body: dict[str, Any], sender: str) -> None:
        super().presence(body["room_id"], body["session_id"], bool(body["online"]))

    # -- owner-only operations --------------------------------------------------------------

    async def _where(self, room: Room) -> str | None:
        """None when this node owns the room (taking it if nobody does); else the owner."""
        try:
            if await self.outbox.follow(room.room_id, room.room_code) is not None:
                return None
        except NotOwner:
            pass
        owner = await self.node.owner(room.room_id)
        if owner is None or owner == self.node.node_id:
            raise ClusterUnavailable(f"room {room.room_code} has no owner now")
        return owner

    async def start(self, session: Session, code: str, options: Mapping[str, Any] | None) -> Room:
        room = await self.rooms.get(code)
        owner = await self._where(room)
        if owner is None:
            return await super().start(session, code, options)
        body = {
            "session": dataclasses.asdict(session),
            "code": code,
            "options": dict(options) if options else None,
        }
        await self.node.call(owner, "start", body)
        return await self.rooms.get(code)

    async def end(self, session: Session, code: str) -> Room:
        room = await self.rooms.check_end(session, code)
        owner = await self._where(room)
        if owner is None:
            return await super().end(session, code)
        await self.node.call(owner, "end", {"session": dataclasses.asdict(session), "code": code})
        return await self.rooms.get(code)

    async def settle(self, room_id: str) -> None:
        if room_id in self.runners:
            await super().settle(room_id)
            return
        owner = self._owner_elsewhere(room_id) or await self.node.owner(room_id)
        if owner is not None and owner != self.node.node_id:
            try:
                await self.node.call(owner, "settle", {"room_id": room_id})
            except ClusterUnavailable:
                log.warning("room %s: its owner did not settle in time", room_id)

    async def _here(self, code: str) -> None:
        """Raise unless this node owns the room a call for its owner reached (it may have moved)."""
        if await self._where(await self.rooms.get(code)) is not None:
            raise ClusterUnavailable(f"room {code} moved to another node")

    async def _start(self, body: dict[str, Any], sender: str) -> None:
        await self._here(body["code"])
        await super().start(Session(**body["session"]), body["code"], body.get("options"))

    async def _end_here(self, body: dict[str, Any], sender: str) -> None:
        await self._here(body["code"])
        await super().end(Session(**body["session"]), body["code"])

    async def _settle(self, body: dict[str, Any], sender: str) -> None:
        await super().settle(body["room_id"])
