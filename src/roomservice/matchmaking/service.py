"""The matchmaker: files tickets, turns a group that reached its game's minimum into a room, seats later
tickets in it until it is full, and starts it when full or when its countdown runs out.

The queue backend (``base.MatchQueue``) makes each allocation step atomic. Turning a group into a
room and seating are done by the node that sees the group grow, one group at a time on this node (a
lock per group), after the filing has answered (reading the ticket here waits for it). They run in
rounds: the groups that grew while a round was under way are settled
together in the next one, their queue steps sent at once and every room of the round made and seated
in one transaction (``RoomService.seat_matches``), so a burst of tickets costs a few writes, not one
per room and per seat. The countdowns and one sweep that expires tickets run on the injected scheduler.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import logging
import random
import secrets
from collections.abc import Awaitable, Mapping, Sequence
from functools import partial
from typing import Any, Protocol

import msgspec

from roomservice.batching import Batches
from roomservice.broker.base import Broker, Envelope
from roomservice.config import Settings
from roomservice.errors import Conflict, Invalid, NotFound, RoomServiceError
from roomservice.games.base import Context, InvalidAction
from roomservice.games.registry import GameRegistry
from roomservice.matchmaking.base import AlreadyQueued, MatchQueue, Stats, Status, Ticket
from roomservice.model import Room, Session
from roomservice.protocol.messages import MatchCountdown, MatchFound, MatchTimeout, ServerFrame
from roomservice.rooms.events import RoomEvent, RoomEventSink
from roomservice.rooms.service import MatchSeating, RoomService
from roomservice.scheduling import Scheduler, Timer
from roomservice.types import RoomState

log = logging.getLogger(__name__)


class Sockets(Protocol):
    """The hub, as the matchmaker uses it."""

    async def seated(self, session_id: str, room: Room) -> None: ...
    def send_to(self, session_id: str, frame: ServerFrame) -> bool: ...


class Starter(Protocol):
    """The engine, as the matchmaker uses it: start a room's game as its host would."""

    async def start(self, session: Session, code: str, options: Mapping[str, Any] | None) -> Room: ...


def ticket_not_found(ticket_id: str) -> NotFound:
    return NotFound("ticket_not_found", f"No ticket {ticket_id!r} of yours.")


def _pool(game: str, options: Mapping[str, Any]) -> str:
    if not options:
        return game + "|{}"  # the usual ticket: no options
    return game + "|" + json.dumps(options, sort_keys=True, separators=(",", ":"))


def _options(pool: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(pool.split("|", 1)[1])
    return loaded


class ZeroSeeded(random.Random):
    """``random.Random(0)``, seeded when first drawn from or asked for its state: the options' check
    of a ticket seldom draws, and seeding costs more than the rest of making the context (about
    9 µs). Every method draws through ``random`` or ``getrandbits``, so the draws are Random(0)'s."""

    def __init__(self) -> None:
        self._seeded = False
        self.gauss_next = None  # as seed() leaves it

    def _seed_now(self) -> None:
        self._seeded = True
        super().seed(0)

    def seed(self, a: Any = None, version: int = 2) -> None:
        self._seeded = True
        super().seed(a, version)

    def random(self) -> float:
        if not self._seeded:
            self._seed_now()
        return super().random()

    def getrandbits(self, k: int, /) -> int:
        if not self._seeded:
            self._seed_now()
        return super().getrandbits(k)

    def getstate(self) -> tuple[Any, ...]:
        if not self._seeded:
            self._seed_now()
        return super().getstate()

    def setstate(self, state: tuple[Any, ...]) -> None:
        self._seeded = True
        super().setstate(state)


@dataclasses.dataclass(slots=True)
class MatchRoom:
    """A matchmaking room this node made and follows until it starts."""

    group_id: str
    room_id: str
    room_code: str
    game: str
    pool: str
    #: Seated tickets: session id -> ticket id.
    tickets: dict[str, str]
    countdown: Timer | None = None
    starts_at: float | None = None


class Matchmaker:
    def __init__(
        self,
        settings: Settings,
        games: GameRegistry,
        queue: MatchQueue,
        rooms: RoomService,
        sink: RoomEventSink,
        broker: Broker,
        sockets: Sockets,
        starter: Starter,
        scheduler: Scheduler,
    ) -> None:
        self.settings = settings
        self.games = games
        self.queue = queue
        self.rooms = rooms
        self.sink = sink
        self.broker = broker
        self.sockets = sockets
        self.starter = starter
        self.scheduler = scheduler
        self.matches: dict[str, MatchRoom] = {}
        self._locks: dict[str, tuple[asyncio.Lock, list[int]]] = {}
        #: Searching tickets filed here: ticket id -> when it expires, in filing order (so in order of
        #: expiry: the timeout is one setting). One timer, the sweep, stands for all of them.
        self._expiry: dict[str, float] = {}
        self._sweep: Timer | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        #: The newest settling asked for each group by a ticket filed here, until it is done.
        self._pending: dict[str, asyncio.Future[None]] = {}
        #: Groups asked to settle at the same moment settle in one round.
        self._settling: Batches[str, None] = Batches(self._settle_round)
        #: Whether a session is playing, looked up with those of the other tickets filed meanwhile.
        self._in_game: Batches[str, bool] = Batches(self._in_game_round)

    # -- tickets -----------------------------------------------------------------------------

    async def file(self, session: Session, game: str, options: object = None) -> Ticket:
        """A searching ticket for ``session``, placed in a group; the group is settled after (see
        :meth:`ticket`)."""
        game_def = self.games.get(game)
        if options is None:
            options = {}
        if not isinstance(options, dict):
            raise Invalid("invalid_options", "options must be an object.")
        ctx = Context(now=self.scheduler.now(), rng=ZeroSeeded(), dev=self.settings.dev)
        try:
            checked = game_def.validate_options(options, ctx)
        except InvalidAction as exc:
            raise Invalid(exc.code, exc.message) from None
        current = (
            await self.rooms.room_of(session.session_id) if await self._in_game(session.session_id) else None
        )
        if current is not None and current.state is RoomState.IN_GAME:
            raise Conflict(
                "already_in_game",
                f"You are playing in room {current.room_code}; finish or leave it first.",
                room=current.summary(),
            )
        queued_at = self.scheduler.now()
        sizes = game_def.match_sizes()
        try:
            placement = await self.queue.add(
                ticket_id=secrets.token_hex(16),  # as random as a uuid4's hex, a fifth of its CPU
                session_id=session.session_id,
                username=session.username,
                game=game,
                pool=_pool(game, checked),
                queued_at=queued_at,
                max_size=sizes[1],
            )
        except AlreadyQueued as exc:
            raise Conflict(
                "already_queued", "You already have a live ticket; cancel it first.", ticket_id=exc.ticket_id
            ) from None
        ticket = placement.ticket
        expires_at = queued_at + self.settings.match_timeout
        self._expiry[ticket.ticket_id] = expires_at
        if self._sweep is None:
            self._sweep = self.scheduler.call_at(expires_at, self._expire_due)
        below = placement.size < sizes[0] and placement.room_code is None
        if not below or ticket.group_id in self.matches:
            # A group below the minimum without a room has nothing to settle: the ticket that
            # brings it to the minimum settles it. Not waited for: under a burst the groups of many
            # tickets settle together in one round, and a ticket read here waits for it (``ticket``).
            self._settle_later(ticket.group_id)
        return ticket

    def _settle_later(self, group_id: str) -> None:
        settled = self._settling.ask(group_id)
        self._pending[group_id] = settled
        settled.add_done_callback(partial(self._settled, group_id))

    def _settled(self, group_id: str, settled: asyncio.Future[None]) -> None:
        if self._pending.get(group_id) is settled:
            del self._pending[group_id]
        if not settled.cancelled() and (error := settled.exception()) is not None:
            log.error("settling group %s failed", group_id, exc_info=error)

    async def ticket(self, session: Session, ticket_id: str) -> Ticket:
        found = await self.queue.get(ticket_id)
        if found is None or found.session_id != session.session_id:
            raise ticket_not_found(ticket_id)
        settling = self._pending.get(found.group_id)
        if settling is not None:
            # Its group is settling on this node: the answer is what that makes of it, so a ticket
            # read (or cancelled) right after the one that filled its group reads it matched.
            await asyncio.wait([settling])
            found = await self.queue.get(ticket_id) or found
        if (
            found.status is Status.SEARCHING
            and self.scheduler.now() >= found.queued_at + self.settings.match_timeout
        ):
            found = await self._expire(ticket_id) or found  # its timer belongs to a node that is gone
        return found

    async def cancel(self, session: Session, ticket_id: str) -> Ticket:
        found = await self.ticket(session, ticket_id)
        if found.status is Status.SEARCHING:
            found = await self.queue.withdraw(ticket_id, Status.CANCELLED) or found
        if found.status is Status.MATCHED:
            raise Conflict(
                "already_matched",
                f"This ticket is matched into room {found.room_code}; leave the room instead.",
                room_code=found.room_code,
            )
        self._forget_expiry(ticket_id)
        return found

    async def stats(self, game: str) -> Stats:
        self.games.get(game)
        return await self.queue.stats(game)

    async def _expire(self, ticket_id: str) -> Ticket | None:
        self._forget_expiry(ticket_id)
        before = await self.queue.get(ticket_id)
        if before is None or before.status is not Status.SEARCHING:
            return before
        after = await self.queue.withdraw(ticket_id, Status.EXPIRED)
        if after is not None and after.status is Status.EXPIRED:
            self.sockets.send_to(after.session_id, MatchTimeout(ticket_id=ticket_id))
        return after

    def _forget_expiry(self, ticket_id: str) -> None:
        self._expiry.pop(ticket_id, None)

    async def _expire_due(self) -> None:
        """The sweep: expire the tickets filed here whose time is up, then wait for the next one's."""
        self._sweep = None
        now = self.scheduler.now()
        due: list[str] = []
        for ticket_id, expires_at in self._expiry.items():
            if expires_at > now:
                self._sweep = self.scheduler.call_at(expires_at, self._expire_due)
                break
            due.append(ticket_id)
        await asyncio.gather(*(self._expire(ticket_id) for ticket_id in due))

    # -- groups and rooms --------------------------------------------------------------------

    def _lock(self, group_id: str) -> _GroupLock:
        return _GroupLock(self._locks, group_id)

    async def settle(self, group_id: str) -> None:
        """Bring the group's room up to date with the queue: make it once the group reaches the
        minimum, seat newly matched tickets, start the countdown, or start the game when full.

        Groups asked for while a round is under way are settled together in the next round: their
        rooms are made and their players seated in one transaction, their queue steps sent at once."""
        await self._settling(group_id)

    async def _in_game_round(self, session_ids: list[str]) -> list[bool]:
        playing = await self.rooms.in_game(session_ids)
        return [s in playing for s in session_ids]

    async def _settle_round(self, group_ids: list[str]) -> list[None]:
        await self._settle(sorted(set(group_ids)))
        return [None] * len(group_ids)

    async def _settle(self, group_ids: Sequence[str]) -> None:
        # The groups other work holds (a countdown ending, a player leaving) are waited for apart:
        # the free ones are settled at once rather than behind them.
        busy = [g for g in group_ids if g in self._locks]
        free = [g for g in group_ids if g not in self._locks]
        await asyncio.gather(*(self._settle_locked(part) for part in (free, busy) if part))

    async def _settle_locked(self, group_ids: Sequence[str]) -> None:
        async with contextlib.AsyncExitStack() as held:
            for group_id in group_ids:  # in one order: a node's other work holds one group at a time
                await held.enter_async_context(self._lock(group_id))
            await self._settle_held(group_ids)

    async def _settle_held(self, group_ids: Sequence[str]) -> None:
        # A group whose room this node made needs no reading first: its newly filed tickets are
        # matched into that room (the queue skips a closed group).
        asked: list[tuple[str, MatchRoom | None, int]] = [
            (g, self.matches[g], 1) for g in group_ids if g in self.matches
        ]
        unknown = [g for g in group_ids if g not in self.matches]
        for group in await asyncio.gather(*(self.queue.group(g) for g in unknown)):
            if group is None or group.closed:
                continue
            lo = self.games.get(group.game).match_sizes()[0]
            if group.room_code is None and group.size < lo:
                continue  # still searching
            # A group without its room is matched only while it still holds the minimum (atomically).
            asked.append((group.group_id, None, lo if group.room_code is None else 1))
        now = self.scheduler.now()
        matched = await asyncio.gather(*(self.queue.match(g, now, m) for g, _, m in asked))
        work: list[tuple[str, MatchRoom | None, list[Ticket]]] = []
        asks: list[MatchSeating] = []
        for (group_id, match, _), tickets in zip(asked, matched, strict=True):
            for ticket in tickets:
                self._forget_expiry(ticket.ticket_id)
            if not tickets:
                continue
            game = tickets[0].game
            sizes = self.games.get(game).match_sizes()
            sessions = tuple(t.session_id for t in tickets)
            # The room the group had when matched: another node may have named it since it was read.
            code = tickets[0].room_code if match is None else match.room_code
            asks.append(MatchSeating(game, sizes, sessions, code))
            work.append((group_id, match, tickets))
        if not asks:
            return
        answers = await self.rooms.seat_matches(asks)
        seated_rooms: list[tuple[MatchRoom, Room, list[Ticket]]] = []
        refused: list[Ticket] = []
        closing: list[str] = []
        binding: list[Awaitable[bool]] = []
        bound: list[str] = []
        for (group_id, match, tickets), answer in zip(work, answers, strict=True):
            room = answer.room
            if room is None or not room.players:
                refused.extend(tickets)  # its room is gone, or nobody could sit in the new one
                if match is None:
                    closing.append(group_id)
                continue
            if match is None:
                binding.append(self.queue.bind(group_id, room.room_code))
                bound.append(group_id)
                ticket = tickets[0]
                match = MatchRoom(group_id, room.room_id, room.room_code, ticket.game, ticket.pool, {})
                self.matches[group_id] = match
                self.broker.subscribe(room.room_id, self._follower(match))
            refused.extend(t for t in tickets if t.session_id in answer.refused)
            seated_rooms.append((match, room, [t for t in tickets if t.session_id not in answer.refused]))
        for group_id, waiting in zip(bound, await asyncio.gather(*binding), strict=True):
            if waiting:  # filed while the room was made, refused by another node's round: seat them
                self._spawn(self.settle(group_id))
        await self._refuse(refused)
        await asyncio.gather(*(self.queue.close(g) for g in closing))
        starting: list[Awaitable[None]] = []
        telling: list[Awaitable[None]] = []  # together: the new rooms' logs are opened in one write
        for match, room, seated in seated_rooms:
            for ticket in seated:
                match.tickets[ticket.session_id] = ticket.ticket_id
                notice = MatchFound(ticket_id=ticket.ticket_id, room_code=match.room_code)
                self.sockets.send_to(ticket.session_id, notice)
                await self.sockets.seated(ticket.session_id, room)
            lo, hi = self.games.get(match.game).match_sizes()
            players = len(room.players)
            if players >= hi:
                starting.append(self._start(match, room))
            elif match.countdown is None and players >= lo:
                starts_at = self.scheduler.now() + self.settings.match_countdown
                match.starts_at = starts_at
                match.countdown = self.scheduler.call_at(starts_at, partial(self._countdown_over, match))
                telling.append(self.sink.room_events(room, [_countdown(match)]))
            elif match.countdown is not None and seated:
                telling.append(self.sink.room_events(room, [_countdown(match, t.session_id) for t in seated]))
        await asyncio.gather(*telling)
        await asyncio.gather(*starting)

    async def _refuse(self, tickets: Sequence[Ticket]) -> None:
        """Tickets whose sessions could not be seated (playing elsewhere, or gone) end cancelled."""
        await asyncio.gather(*(self.queue.leave(ticket.ticket_id) for ticket in tickets))

    async def _countdown_over(self, match: MatchRoom) -> None:
        async with self._lock(match.group_id):
            match.countdown = None
            if self.matches.get(match.group_id) is not match:
                return
            room = await self.rooms.get_by_id(match.room_id)
            lo = self.games.get(match.game).match_sizes()[0]
            if room is None or room.state is not RoomState.WAITING:
                await self._done(match)
            elif len(room.players) >= lo:
                await self._start(match)
            # else: too few are left; the next ticket to reach the minimum counts down again

    async def _start(self, match: MatchRoom, room: Room | None = None) -> None:
        """Close the group (no ticket joins it any more), then start the game as its host would.
        ``room``: the room as just seated (else read); read again if it changed meanwhile."""
        await self._done(match)
        failed: RoomServiceError | None = None
        for _ in range(2):
            if room is None:
                room = await self.rooms.get_by_id(match.room_id)
            if room is None or room.host_session_id is None or room.state is not RoomState.WAITING:
                return
            host = Session(room.host_session_id, "", 0.0)
            try:
                await self.starter.start(host, match.room_code, _options(match.pool))
                return
            except RoomServiceError as exc:
                failed, room = exc, None
        if failed is not None:
            log.warning("match room %s did not start: %s", match.room_code, failed.message)

    async def _done(self, match: MatchRoom) -> None:
        if self.matches.pop(match.group_id, None) is None:
            return
        if match.countdown is not None:
            match.countdown.cancel()
            match.countdown = None
        self.broker.unsubscribe(match.room_id, self._follower(match))
        moved = await self.queue.close(match.group_id)
        for group_id in moved:
            self._spawn(self.settle(group_id))

    # -- following a match room --------------------------------------------------------------

    def _follower(self, match: MatchRoom) -> _Follower:
        return _Follower(self, match)

    def _on_frame(self, match: MatchRoom, envelope: Envelope) -> None:
        if envelope.kind == "player_left" and envelope.subject in match.tickets:
            self._spawn(self._left(match, envelope.subject))
        elif envelope.kind == "room_closed":
            self._spawn(self._gone(match))
        elif envelope.kind == "room_updated":
            state = msgspec.json.decode(envelope.text).get("room", {}).get("state")
            if state != RoomState.WAITING.value:
                self._spawn(self._gone(match))  # started by its host before the countdown ended

    async def _left(self, match: MatchRoom, session_id: str) -> None:
        """A player left during the countdown: their ticket ends cancelled and the seat is free."""
        async with self._lock(match.group_id):
            ticket_id = match.tickets.pop(session_id, None)
            if ticket_id is not None and self.matches.get(match.group_id) is match:
                await self.queue.leave(ticket_id)

    async def _gone(self, match: MatchRoom) -> None:
        async with self._lock(match.group_id):
            await self._done(match)

    def _spawn(self, work: Awaitable[Any]) -> None:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and (error := task.exception()) is not None:
            log.error("matchmaking task failed", exc_info=error)

    async def idle(self) -> None:
        """Wait until the work under way is done: filed tickets' groups settled, and what room frames
        started (players leaving, rooms started)."""
        while self._tasks or self._settling.busy:
            await self._settling.idle()
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def close(self) -> None:
        # A round under way finishes first: its players are seated and told, and the queue it uses
        # is still open.
        await self._in_game.idle()
        await self._settling.idle()
        if self._sweep is not None:
            self._sweep.cancel()
            self._sweep = None
        self._expiry.clear()
        for match in list(self.matches.values()):
            if match.countdown is not None:
                match.countdown.cancel()
            self.broker.unsubscribe(match.room_id, self._follower(match))
        self.matches.clear()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.queue.aclose()


def _countdown(match: MatchRoom, to: str | None = None) -> RoomEvent:
    starts_at = round((match.starts_at or 0.0) * 1000)
    return RoomEvent(MatchCountdown(room_code=match.room_code, starts_at=starts_at), to=to)


@dataclasses.dataclass(frozen=True, slots=True)
class _Follower:
    """A match room's broker subscriber; equal for the same match, so unsubscribe finds it."""

    owner: Matchmaker
    match: MatchRoom

    def __call__(self, envelope: Envelope) -> None:
        self.owner._on_frame(self.match, envelope)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Follower) and other.owner is self.owner and other.match is self.match

    def __hash__(self) -> int:
        return hash((id(self.owner), id(self.match)))


class _GroupLock:
    """One group at a time on this node; the lock is dropped once nobody waits for it."""

    def __init__(self, locks: dict[str, tuple[asyncio.Lock, list[int]]], group_id: str) -> None:
        self._locks = locks
        self._group_id = group_id

    async def __aenter__(self) -> None:
        lock, users = self._locks.setdefault(self._group_id, (asyncio.Lock(), [0]))
        users[0] += 1
        try:
            await lock.acquire()
        except BaseException:
            self._release_user()
            raise

    async def __aexit__(self, *exc: object) -> None:
        self._locks[self._group_id][0].release()
        self._release_user()

    def _release_user(self) -> None:
        users = self._locks[self._group_id][1]
        users[0] -= 1
        if users[0] == 0:
            del self._locks[self._group_id]
