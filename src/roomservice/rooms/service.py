"""The room lifecycle: create, join, leave, start, configure, kick, delete, expire.

Each operation is one database transaction on a locked room row, so membership, capacity and host are
always consistent, whether the request came over HTTP or the socket. Events are handed to the sink only
after the transaction commits.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import logging
import uuid
from collections.abc import Awaitable, Callable, Coroutine, Mapping, Sequence
from typing import Any, Concatenate, ParamSpec, TypeVar

import msgspec
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from roomservice.config import Settings
from roomservice.errors import Conflict, Forbidden, Invalid, NotFound, RoomServiceError
from roomservice.games.registry import GameRegistry
from roomservice.leases.base import Fenced
from roomservice.model import Session
from roomservice.rooms import codes, events
from roomservice.rooms.events import Owners, RoomEvent, RoomEventSink
from roomservice.rooms.model import (
    NAME_MAX,
    PASSWORD_MAX,
    Member,
    Room,
    RoomConfig,
    bots_fit,
    build_config,
)
from roomservice.rooms.passwords import hash_password, verify_password
from roomservice.store import chat, oneshot, seq
from roomservice.store import rooms as repo
from roomservice.store.database import Database
from roomservice.types import Clock, Role, RoomState, wall_clock

log = logging.getLogger(__name__)

_CODE_ATTEMPTS = 8
#: Tries of a one-statement operation that found its room changed under it before the transaction
#: takes over.
_AT_ONCE_TRIES = 4

#: Sets up a room's game inside the start transaction.
#: Deals the game inside the start transaction and returns the new game's id.
Deal = Callable[[AsyncConnection, Room], Awaitable[str]]


P = ParamSpec("P")
T = TypeVar("T")


def _refenced(
    operation: Callable[Concatenate[RoomService, P], Coroutine[Any, Any, T]],
) -> Callable[Concatenate[RoomService, P], Coroutine[Any, Any, T]]:
    """Run a room operation again, as a node that does not own the room, when its write was refused
    because a newer owner claimed the room (several nodes): nothing of the first try was written."""

    async def run(self: RoomService, /, *args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return await operation(self, *args, **kwargs)
        except Fenced as exc:
            if self.owners is None:
                raise
            self.owners.lost(exc.room_id)
            return await operation(self, *args, **kwargs)

    functools.update_wrapper(run, operation)
    return run


def room_not_found(code: str) -> NotFound:
    return NotFound("room_not_found", f"No room with code {code!r}.")


def already_in_room(room: Room) -> Conflict:
    return Conflict(
        "already_in_room",
        f"You are already in room {room.name!r} ({room.room_code}); leave it first.",
        room=room.summary(),
    )


async def _same_account(conn: AsyncConnection, session: Session, other: str | None) -> bool:
    """Whether ``other`` is ``session`` or another session of its account (a host or creator belongs
    to the account: the account may act as them from any of its devices)."""
    if other is None:
        return False
    if other == session.session_id:
        return True
    return session.account_id is not None and await repo.account_of(conn, other) == session.account_id


async def _require_host(conn: AsyncConnection, room: Room, session: Session) -> None:
    if not await _same_account(conn, session, room.host_session_id):
        raise Forbidden("not_host", "Only the host can do that.")


def _validate_name(raw: object) -> str:
    name = raw.strip() if isinstance(raw, str) else ""
    if not 1 <= len(name) <= NAME_MAX:
        raise Invalid("invalid_name", f"A room name is 1–{NAME_MAX} characters.")
    return name


class RoomService:
    def __init__(
        self,
        db: Database,
        games: GameRegistry,
        settings: Settings,
        sink: RoomEventSink | None,
        clock: Clock = wall_clock,
        owners: Owners | None = None,
    ) -> None:
        self.db = db
        self.games = games
        self.settings = settings
        self.sink = sink
        self.clock = clock
        #: Several nodes: the fence this node's writes of a room carry while it owns the room.
        self.owners = owners

        #: PostgreSQL: join and leave in one statement each, in the common case (one node alone: a
        #: node of several writes a room through its fence, in a transaction).
        self._oneshot = None if db.sqlite or (owners is not None and owners.fencing) else oneshot.OneShot(db)
        #: A matchmaking room's config by (game, sizes) (``RoomConfig`` is frozen: rooms share it).
        self._match_configs: dict[tuple[str, tuple[int, int]], RoomConfig] = {}

    async def _fenced(self, conn: AsyncConnection, room_id: str) -> None:
        """Inside a write of the room: refused (``Fenced``) when this node thinks it owns the room and
        a newer owner claimed it, so a node that lost a room never numbers its frames."""
        token = self.owners.fence_of(room_id) if self.owners is not None else None
        if token is not None:
            await seq.check(conn, room_id, token)

    def default_config(self, game_id: str) -> dict[str, Any]:
        game = self.games.get(game_id)
        return {
            "max_players": game.max_players,
            "min_players": game.min_players,
            "timeout_seconds": self.settings.waiting_timeout,
            "allow_spectators": False,
            "keep_when_empty": False,
            "reconnect_grace_seconds": self.settings.reconnect_grace,
            "bots": 0,
        }

    async def _emit(self, room: Room, out: Sequence[RoomEvent]) -> None:
        # Even without frames (a create): the live lobby follows the room itself.
        if self.sink is not None:
            await self.sink.room_events(room, out)

    async def _load(self, conn: AsyncConnection, code: str, *, lock: bool = True) -> tuple[Room, str | None]:
        found = await repo.get_room(conn, code=codes.normalize(code), lock=lock)
        if found is None:
            raise room_not_found(code)
        if lock:
            await self._fenced(conn, found[0].room_id)
        return found

    # -- queries ---------------------------------------------------------------------------------

    async def get(self, code: str) -> Room:
        async with self.db.read() as conn:
            room, _ = await self._load(conn, code, lock=False)
        return room

    async def get_by_id(self, room_id: str) -> Room | None:
        async with self.db.read() as conn:
            found = await repo.get_room(conn, room_id=room_id)
        return found[0] if found else None

    async def room_of(self, session_id: str) -> Room | None:
        async with self.db.read() as conn:
            return await repo.room_of_session(conn, session_id)

    async def in_game(self, session_ids: Sequence[str]) -> set[str]:
        """Which of the sessions sit in a room whose game is running."""
        if not self.db.sqlite:  # one statement, no transaction around it
            async with self.db.direct() as raw:
                rows = await raw.fetch(repo.IN_GAME_SQL, list(session_ids), RoomState.IN_GAME.value)
            return {row[0] for row in rows}
        async with self.db.read() as conn:
            return await repo.in_game(conn, session_ids)

    async def occupied(self) -> list[Room]:
        """Every room someone sits in."""
        async with self.db.read() as conn:
            return await repo.occupied_rooms(conn)

    async def public_rooms(self) -> list[Room]:
        """Every room the lobby lists, with its members: what the live lobby starts from."""
        found: list[Room] = []
        after: tuple[Any, str] | None = None
        async with self.db.read() as conn:
            while True:
                page, after = await repo.lobby_page(
                    conn, filters=[], sort="created_at", descending=True, after=after, limit=1000
                )
                found.extend(page)
                if after is None:
                    return found

    async def search(self, q: str | None, limit: int = 200) -> list[Room]:
        """Every room, private ones too, most recently active first (for operators)."""
        async with self.db.read() as conn:
            return await repo.search_rooms(conn, q, limit)

    async def census(self) -> list[tuple[str, str, int]]:
        """``(game, state, rooms)`` for every game and state that has rooms."""
        async with self.db.read() as conn:
            return await repo.census(conn)

    async def created_by(self, session: Session) -> list[Room]:
        """The rooms the session created, or any session of its account."""
        async with self.db.read() as conn:
            return await repo.rooms_created_by(conn, session.session_id, session.account_id)

    # -- operations ------------------------------------------------------------------------------

    async def create(
        self,
        session: Session,
        *,
        name: object,
        game: str,
        password: str | None = None,
        private: bool = False,
        config: dict[str, Any] | None = None,
    ) -> Room:
        """A new room with ``session`` seated as host."""
        room_name = _validate_name(name)
        game_def = self.games.get(game)
        room_config = build_config(game_def, self.default_config(game), config or {})
        password_hash = await self._hash(password)
        for _ in range(_CODE_ATTEMPTS):
            try:
                return await self._create(session, room_name, game, password_hash, private, room_config)
            except _CodeCollision:
                continue
        raise RoomServiceError("code_exhausted", "Could not allocate a room code; try again.", 503)

    async def _hash(self, password: str | None) -> str | None:
        if password is None or password == "":
            return None
        if len(password) > PASSWORD_MAX:
            raise Invalid("invalid_password", f"A password is at most {PASSWORD_MAX} characters.")
        return await hash_password(password)

    async def _create(
        self,
        session: Session,
        name: str,
        game: str,
        password_hash: str | None,
        private: bool,
        config: RoomConfig,
    ) -> Room:
        now = self.clock()
        try:
            async with self.db.write() as conn:
                seat = await repo.seat_of(conn, session.session_id)
                username, current = seat if seat is not None else (session.username, None)
                if current is not None:
                    elsewhere = await repo.get_room(conn, room_id=current)
                    if elsewhere is not None:
                        raise already_in_room(elsewhere[0])
                host = Member(session.session_id, username, Role.PLAYER, 1, now)
                mine = await repo.rooms_created_by(conn, session.session_id, session.account_id, lock=True)
                if len(mine) >= self.settings.max_rooms_per_session:
                    raise Conflict(
                        "room_limit",
                        f"You already have {len(mine)} rooms; delete one to create another.",
                        rooms=[r.summary() for r in mine],
                    )
                code = codes.new_code()
                while await repo.code_taken(conn, code):
                    code = codes.new_code()
                room = Room(
                    room_id=str(uuid.uuid4()),
                    room_code=code,
                    name=name,
                    game=game,
                    has_password=password_hash is not None,
                    private=private,
                    config=config,
                    state=RoomState.WAITING,
                    host_session_id=session.session_id,
                    creator_session_id=session.session_id,
                    created_at=now,
                    last_activity=now,
                    game_started_at=None,
                    members=(host,),
                )
                await repo.insert_room(conn, room, password_hash)
                await repo.add_member(conn, room.room_id, host)
                room, _ = await self._seat_bots(conn, room)
                await repo.save_room(conn, room)
        except IntegrityError as exc:
            # Either another transaction took this code, or this session sat down elsewhere
            # between our check and our insert.
            sitting = await self.room_of(session.session_id)
            if sitting is not None:
                raise already_in_room(sitting) from exc
            raise _CodeCollision from exc
        await self._emit(room, [])
        return room

    @_refenced
    async def join(
        self, session: Session, code: str, *, password: str | None = None, spectator: bool = False
    ) -> Room:
        """Seat ``session``; joining the room one already sits in returns that seat unchanged.

        One write transaction decides everything. A room with a password is first checked without the
        lock (hashing is slow): the transaction then proceeds only if the room still has that hash."""
        verified: str | None = None
        while True:
            at_once = await self._join_at_once(session, code, spectator, verified)
            if at_once is not None:
                await self._emit(*at_once)
                return at_once[0]
            try:
                async with self.db.write() as conn:
                    result = await self._join(conn, session, code, spectator, verified)
            except IntegrityError as exc:
                # This session sat down elsewhere between our check and our insert.
                current = await self.room_of(session.session_id)
                if current is None:
                    raise
                if current.room_code != codes.normalize(code):
                    raise already_in_room(current) from exc
                return current
            if isinstance(result, _Password):
                # No password cannot match (an empty one is never hashed): refuse without hashing.
                if not password or not await verify_password(result.hash, password):
                    raise Forbidden("wrong_password", "Wrong password for this room.")
                verified = result.hash
                continue
            room, out = result
            await self._emit(room, out)
            return room

    async def _join(
        self, conn: AsyncConnection, session: Session, code: str, spectator: bool, verified: str | None
    ) -> tuple[Room, list[RoomEvent]] | _Password:
        room, password_hash = await self._load(conn, code)
        seat = await repo.seat_of(conn, session.session_id)
        username, current = seat if seat is not None else (session.username, None)
        if current is not None:
            if current == room.room_id:
                return room, []
            elsewhere = await repo.get_room(conn, room_id=current)
            if elsewhere is not None:
                raise already_in_room(elsewhere[0])
        if password_hash is not None and password_hash != verified:
            return _Password(password_hash)
        role = Role.SPECTATOR if spectator else Role.PLAYER
        if spectator and not room.config.allow_spectators:
            raise Forbidden("spectators_not_allowed", "This room does not allow spectators.")
        if role is Role.PLAYER:
            if room.state is RoomState.IN_GAME:
                raise Conflict("game_in_progress", "A game is in progress; join as a spectator.")
            if len(room.players) >= room.config.max_players:
                raise Conflict("room_full", "The room is full.")
        now = self.clock()
        member = Member(
            session.session_id, username, role, max((m.seat for m in room.members), default=0) + 1, now
        )
        room, out = _seat(room, member)
        await repo.add_member(conn, room.room_id, member)
        await repo.save_room(conn, room)
        return room, out

    async def _join_at_once(
        self, session: Session, code: str, spectator: bool, verified: str | None
    ) -> tuple[Room, list[RoomEvent]] | None:
        """The common join as one statement (PostgreSQL); None leaves it to the transaction, which
        decides every other case (refusals included) as before."""
        if self._oneshot is None:
            return None
        role = Role.SPECTATOR if spectator else Role.PLAYER
        for _ in range(_AT_ONCE_TRIES):
            now = self.clock()
            found = await self._oneshot.join(
                codes.normalize(code), session.session_id, role.value, now, verified
            )
            if found is None or (found.fresh and not found.done):
                return None
            if found.done:
                return _seat(found.room, oneshot.seated_member(found, session.session_id, role, now))
            # The room changed while the statement waited for it: run it again on the room as it is.
        return None

    async def _leave_at_once(
        self, session: Session, code: str, reason: str
    ) -> tuple[Room, list[RoomEvent]] | None:
        """The common leave (the room stays open) as one statement (PostgreSQL); None leaves it to
        the transaction."""
        if self._oneshot is None:
            return None
        for _ in range(_AT_ONCE_TRIES):
            now = self.clock()
            found = await self._oneshot.leave(codes.normalize(code), session.session_id, now)
            if found is None or (found.fresh and not found.done):
                return None
            member = found.room.member(session.session_id)
            if found.done and member is not None:
                return _unseat(found.room, member, reason, now)
        return None

    @_refenced
    async def leave(self, session: Session, code: str, reason: str = "left") -> Room | None:
        """Give up one's seat (``reason``: left, or disconnected when a socket's grace ran out).
        Returns the room, or None when it was deleted for being empty."""
        at_once = await self._leave_at_once(session, code, reason)
        if at_once is not None:
            room, out = at_once
        else:
            async with self.db.write() as conn:
                room, _ = await self._load(conn, code)
                member = room.member(session.session_id)
                if member is None:
                    raise Conflict("not_in_room", "You are not in this room.")
                room, out = await self._remove(conn, room, member, reason)
        await self._emit(room, out)
        return None if events.closes_room(out) else room

    async def _seat_bots(self, conn: AsyncConnection, room: Room) -> tuple[Room, list[RoomEvent]]:
        """Seat or unseat bots until the room has ``config.bots`` of them (the newest go first)."""
        bots = room.bots
        out: list[RoomEvent] = []
        for bot in bots[room.config.bots :][::-1]:
            await repo.remove_bot(conn, bot.session_id)
            room = dataclasses.replace(room, members=tuple(m for m in room.members if m is not bot))
            out.append(events.player_left(bot, "left"))
        taken = {m.username for m in room.bots}
        numbers = (n for n in range(1, len(room.members) + room.config.bots + 2) if f"Bot {n}" not in taken)
        for _ in range(room.config.bots - len(bots)):
            seat = max((m.seat for m in room.members), default=0) + 1
            bot = Member(str(uuid.uuid4()), f"Bot {next(numbers)}", Role.PLAYER, seat, self.clock(), bot=True)
            await repo.add_bot(conn, room.room_id, bot)
            room = dataclasses.replace(room, members=(*room.members, bot))
            out.append(events.player_joined(bot))
        return room, out

    async def _remove(
        self, conn: AsyncConnection, room: Room, member: Member, reason: str
    ) -> tuple[Room, list[RoomEvent]]:
        """Unseat ``member``: migrate the host, or close the room when its last person is gone (bots
        do not keep a room alive). A bot taken out of its seat is one bot fewer in the config."""
        remaining = tuple(m for m in room.members if m.session_id != member.session_id)
        nobody_left = not any(m.role is Role.PLAYER and not m.bot for m in remaining)
        if member.role is Role.PLAYER and nobody_left and not room.config.keep_when_empty:
            room = dataclasses.replace(room, members=remaining, last_activity=self.clock())
            await repo.delete_room(conn, room.room_id)
            return room, [events.player_left(member, reason), events.room_closed("empty")]
        if member.bot:
            config = dataclasses.replace(room.config, bots=max(room.config.bots - 1, 0))
            room = dataclasses.replace(room, config=config)
            await repo.remove_bot(conn, member.session_id)
        else:
            await repo.remove_member(conn, member.session_id)
        room, out = _unseat(room, member, reason, self.clock())
        await repo.save_room(conn, room)
        return room, out

    # -- matchmaking rooms ------------------------------------------------------------------

    async def seat_matches(self, asks: Sequence[MatchSeating]) -> list[MatchSeated]:
        """Seat matched players, for many matchmaking rooms at once, in one transaction.

        An ask without ``code`` makes a new unlisted room named "Match " + its code, for its game with
        its sizes (min, max players), seating its sessions in order (the first is the host); one with
        ``code`` seats them in that waiting matchmaking room (the room is None in the answer when it is
        gone or no longer waiting, and every session is refused). A session seated in a room that is
        not in a game leaves it; one playing in a game, or gone, or one past the room's seats, is not
        seated and is returned refused. A new room nobody could sit in is not made. Answers are in the
        order of ``asks``.

        On PostgreSQL the commit does not wait for its WAL record to reach the disk, as a join's does
        not (``store.oneshot``, for the same reason and with the same bound): a crash of PostgreSQL
        itself can undo the seatings of its last moments, never one a later synchronous commit (the
        full room's game started) depends on."""
        refenced = False
        for _ in range(_CODE_ATTEMPTS):
            try:
                async with self.db.write() as conn:
                    answers, left, out = await self._seat_matches(conn, asks)
            except IntegrityError:
                continue  # a code or a seat taken under us: decide again from the start
            except Fenced as exc:
                # A newer owner claimed one of the rooms: nothing was written; once more, as a
                # node that does not own it (as ``_refenced`` does).
                if self.owners is None or refenced:
                    raise
                self.owners.lost(exc.room_id)
                refenced = True
                continue
            for other, other_out in left:
                await self._emit(other, other_out)
            # A new room tells nobody yet (the matchmaker does); a waiting one tells who joined.
            await asyncio.gather(
                *(
                    self._emit(answer.room, joined)
                    for ask, answer, joined in zip(asks, answers, out, strict=True)
                    if ask.code is not None and answer.room is not None and joined
                )
            )
            return answers
        raise RoomServiceError("code_exhausted", "Could not allocate a room code; try again.", 503)

    async def _seat_matches(
        self, conn: AsyncConnection, asks: Sequence[MatchSeating]
    ) -> tuple[list[MatchSeated], list[tuple[Room, list[RoomEvent]]], list[list[RoomEvent]]]:
        now = self.clock()
        # Waiting rooms first, locked in one order (two nodes' batches never wait on each other).
        found: dict[str, Room] = {}
        for code in sorted({ask.code for ask in asks if ask.code is not None}):
            loaded = await repo.get_room(conn, code=code, lock=True)
            if loaded is not None and loaded[0].state is RoomState.WAITING:
                await self._fenced(conn, loaded[0].room_id)
                found[code] = loaded[0]
        codes_new = _new_codes(sum(1 for ask in asks if ask.code is None))
        # PostgreSQL: the commit does not wait for the WAL flush (see ``seat_matches``), set by this
        # statement rather than one of its own.
        seats = await repo.seats_of(conn, (s for ask in asks for s in ask.session_ids), async_commit=True)
        answers: list[MatchSeated] = []
        left: list[tuple[Room, list[RoomEvent]]] = []
        out: list[list[RoomEvent]] = []
        made: list[Room] = []
        changed: list[Room] = []
        seated: list[tuple[str, Member]] = []
        for ask in asks:
            if ask.code is None:
                room = self._match_room(ask, codes_new.pop(), now)
            elif ask.code in found:
                room = found[ask.code]
            else:
                answers.append(MatchSeated(None, list(ask.session_ids)))
                out.append([])
                continue
            refused: list[str] = []
            joined: list[RoomEvent] = []
            # The room is rebuilt once per ask, with everyone it seats (not once per seat).
            members = list(room.members)
            players = len(room.players)
            host = room.host_session_id
            next_seat = max((m.seat for m in members), default=0) + 1
            for session_id in ask.session_ids:
                seat = seats.get(session_id)
                if seat is None:
                    refused.append(session_id)  # the session itself is gone
                    continue
                username, current = seat
                if current == room.room_id:
                    continue
                if current is not None:
                    other = await repo.get_room(conn, room_id=current, lock=True)
                    member = other[0].member(session_id) if other else None
                    if other is not None and member is not None:
                        if other[0].state is RoomState.IN_GAME and member.role is Role.PLAYER:
                            refused.append(session_id)
                            continue
                        left.append(await self._remove(conn, other[0], member, "left"))
                if players >= room.config.max_players:
                    refused.append(session_id)
                    continue
                member = Member(session_id, username, Role.PLAYER, next_seat, now)
                next_seat += 1
                players += 1
                members.append(member)
                if ask.code is not None:  # a new room tells nobody yet
                    joined.append(events.player_joined(member))
                host = host or session_id
                seated.append((room.room_id, member))
                seats[session_id] = (username, room.room_id)
            if len(members) > len(room.members):
                room = dataclasses.replace(
                    room, members=tuple(members), last_activity=now, host_session_id=host
                )
            if ask.code is None:
                if room.players:
                    made.append(room)
            else:
                changed.append(room)
                found[ask.code] = room  # a later ask for the same room sees these seats
            answers.append(MatchSeated(room, refused))
            out.append(joined)
        await repo.insert_rooms(conn, made)
        await repo.add_members(conn, seated)
        await repo.save_rooms(conn, changed)
        return answers, left, out

    def _match_room(self, ask: MatchSeating, code: str, now: float) -> Room:
        config = self._match_configs.get((ask.game, ask.sizes))
        if config is None:  # the same for every match room of the game: built and checked once
            patch = {"min_players": ask.sizes[0], "max_players": ask.sizes[1]}
            config = build_config(self.games.get(ask.game), self.default_config(ask.game), patch)
            self._match_configs[ask.game, ask.sizes] = config
        return Room(
            room_id=str(uuid.uuid4()),
            room_code=code,
            name=f"Match {code}",
            game=ask.game,
            has_password=False,
            private=True,
            config=config,
            state=RoomState.WAITING,
            host_session_id=None,
            creator_session_id=ask.session_ids[0],
            created_at=now,
            last_activity=now,
            game_started_at=None,
            members=(),
        )

    @_refenced
    async def kick(self, session: Session | None, code: str, target: str) -> Room:
        """The host removes a member; ``session`` None: an operator does (anyone, the host too)."""
        async with self.db.write() as conn:
            room, _ = await self._load(conn, code)
            if session is not None:
                await _require_host(conn, room, session)
                if target in (session.session_id, room.host_session_id):
                    raise Invalid("cannot_kick_self", "The host cannot kick themselves; leave instead.")
            member = room.member(target)
            if member is None:
                raise NotFound("not_in_room", "That session is not in this room.")
            room, out = await self._remove(conn, room, member, "kicked")
        await self._emit(room, [events.kicked(member), *out])
        return room

    @_refenced
    async def start(self, session: Session, code: str, deal: Deal | None = None) -> Room:
        """WAITING or FINISHED → IN_GAME. ``deal`` runs inside the transaction, on the locked room as it
        will start, so the game's setup commits (or fails) together with the room's new state."""
        async with self.db.write() as conn:
            room, _ = await self._load(conn, code)
            await _require_host(conn, room, session)
            if room.state is RoomState.IN_GAME:
                raise Conflict("game_in_progress", "A game is already in progress.")
            if len(room.players) < room.config.min_players:
                raise Conflict(
                    "not_enough_players",
                    f"At least {room.config.min_players} players are needed to start.",
                )
            now = self.clock()
            room = dataclasses.replace(room, state=RoomState.IN_GAME, game_started_at=now, last_activity=now)
            if deal is not None:
                room = dataclasses.replace(room, last_game_id=await deal(conn, room))
            await repo.save_room(conn, room)
        await self._emit(room, [events.room_updated(room)])
        return room

    async def check_end(self, session: Session, code: str) -> Room:
        """The room whose running game ``session`` may end: raises ``not_host`` (403) or
        ``game_not_running`` (409)."""
        room = await self.get(code)
        if room.host_session_id != session.session_id:
            async with self.db.read() as conn:
                await _require_host(conn, room, session)
        if room.state is not RoomState.IN_GAME:
            raise Conflict("game_not_running", "No game is running in this room.")
        return room

    @_refenced
    async def finish(
        self, room_id: str, record: Callable[[AsyncConnection, Room], Awaitable[None]] | None = None
    ) -> Room | None:
        """Mark a room's game over (IN_GAME → FINISHED); the host may then start again. ``record``
        runs in the same transaction (the leaderboards count the game), once, as the room finishes."""
        async with self.db.write() as conn:
            found = await repo.get_room(conn, room_id=room_id, lock=True)
            if found is None or found[0].state is not RoomState.IN_GAME:
                return None
            await self._fenced(conn, room_id)
            room = dataclasses.replace(found[0], state=RoomState.FINISHED, last_activity=self.clock())
            await repo.save_room(conn, room)
            if record is not None:
                await record(conn, room)
        await self._emit(room, [events.room_updated(room)])
        return room

    @_refenced
    async def configure(self, session: Session, code: str, patch: dict[str, Any]) -> Room:
        async with self.db.write() as conn:
            room, _ = await self._load(conn, code)
            await _require_host(conn, room, session)
            if room.state is RoomState.IN_GAME:
                raise Conflict("game_in_progress", "The config cannot change during a game.")
            config = build_config(self.games.get(room.game), room.config.to_dict(), patch)
            people = len(room.people)
            if config.max_players < people:
                message = f"max_players cannot be below the {people} players seated."
                raise Invalid(
                    "invalid_config", message, fields=[{"field": "max_players", "message": message}]
                )
            bots_fit(config, people)
            room = dataclasses.replace(room, config=config, last_activity=self.clock())
            room, out = await self._seat_bots(conn, room)
            await repo.save_room(conn, room)
        await self._emit(room, [*out, events.room_updated(room)])
        return room

    @_refenced
    async def delete(self, session: Session | None, code: str) -> Room:
        """Close a room. The host may, and so may its creator, so a creator at the room limit can
        always free a slot; ``session`` None: an operator does."""
        async with self.db.write() as conn:
            room, _ = await self._load(conn, code)
            if session is not None and not (
                await _same_account(conn, session, room.host_session_id)
                or await _same_account(conn, session, room.creator_session_id)
            ):
                raise Forbidden("not_host", "Only the host can delete the room.")
            await repo.delete_room(conn, room.room_id)
        await self._emit(room, [events.room_closed("deleted")])
        return room

    async def touch(self, chat_lines: Mapping[str, msgspec.Raw]) -> None:
        """Record chat activity outside a room operation: each room's recent lines (one encoded JSON
        array a room) and its last_activity, in one transaction."""
        now = self.clock()
        async with self.db.write() as conn:
            await repo.touch_rooms(conn, chat_lines.keys(), now)
            await chat.save(conn, chat_lines, now)

    def _expired(self, room: Room, now: float) -> bool:
        waiting = room.state is RoomState.WAITING
        timeout = room.config.timeout_seconds if waiting else self.settings.game_timeout
        return room.last_activity + timeout < now

    async def expire(self) -> list[Room]:
        """Delete every room idle past its timeout; returns what was deleted."""
        now = self.clock()
        async with self.db.read() as conn:
            candidates = await repo.expired_room_ids(conn, now, self.settings.game_timeout)
        closed: list[Room] = []
        for room_id in candidates:
            async with self.db.write() as conn:
                found = await repo.get_room(conn, room_id=room_id, lock=True)
                # Checked again under the lock: activity may have arrived since the scan.
                if found is None or not self._expired(found[0], now):
                    continue
                await repo.delete_room(conn, room_id)
            room = found[0]
            closed.append(room)
            log.info(
                "room %s: expired after %d s idle (%s, %s)",
                room.room_code,
                int(now - room.last_activity),
                room.state.value,
                room.game,
                extra={"room": room.room_code},
            )
            await self._emit(room, [events.room_closed("expired")])
        return closed


def _seat(room: Room, member: Member) -> tuple[Room, list[RoomEvent]]:
    """``room`` with ``member`` seated (at ``member.joined_at``), and the frames that tell it."""
    out = [events.player_joined(member)]
    host = room.host_session_id
    if host is None and member.role is Role.PLAYER:
        host = member.session_id  # a kept, empty room gets a host again
        out.append(events.host_changed(member))
    room = dataclasses.replace(
        room, members=(*room.members, member), last_activity=member.joined_at, host_session_id=host
    )
    return room, out


def _new_codes(n: int) -> list[str]:
    """``n`` different new room codes, not looked up: one a room already has fails the insert (a
    unique key), and the seating is decided again with new ones. Among 32⁶ codes that is rarer than a
    lookup a round is dear (a statement of its own, a seventh of a round's CPU on PostgreSQL)."""
    chosen: set[str] = set()
    while len(chosen) < n:
        chosen.add(codes.new_code())
    return list(chosen)


def _unseat(room: Room, member: Member, reason: str, now: float) -> tuple[Room, list[RoomEvent]]:
    """``room`` without ``member``, the host passed on when it was theirs, and the frames that tell
    it (the room stays open)."""
    remaining = tuple(m for m in room.members if m.session_id != member.session_id)
    room = dataclasses.replace(room, members=remaining, last_activity=now)
    out = [events.player_left(member, reason)]
    if room.host_session_id == member.session_id:
        people = room.people
        new_host = people[0] if people else None  # seats are in arrival order
        room = dataclasses.replace(room, host_session_id=new_host.session_id if new_host else None)
        out.append(events.host_changed(new_host))
    return room, out


@dataclasses.dataclass(frozen=True, slots=True)
class MatchSeating:
    """One room's part of :meth:`RoomService.seat_matches`: seat ``session_ids`` in the waiting
    matchmaking room ``code``, or (``code`` None) in a new room of ``game`` with ``sizes``."""

    game: str
    sizes: tuple[int, int]
    session_ids: tuple[str, ...]
    code: str | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class MatchSeated:
    """The room as it is after the seating (None: gone or no longer waiting) and the sessions that
    were not seated."""

    room: Room | None
    refused: list[str]


class _CodeCollision(Exception):
    pass


@dataclasses.dataclass(frozen=True, slots=True)
class _Password:
    """The room asks for a password: check it against ``hash`` outside the transaction."""

    hash: str
