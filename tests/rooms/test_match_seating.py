"""Matchmaking rooms made and filled in batches (``RoomService.seat_matches``): several rooms made and
seated in one call, each session decided as a join would decide it, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncConnection

from roomservice.errors import NotFound
from roomservice.rooms import codes
from roomservice.rooms.service import MatchSeating
from roomservice.store import rooms as repo
from roomservice.types import RoomState
from tests.rooms.test_service import World, world  # noqa: F401  (the fixture)

CABO = ("cabo", (2, 4))


async def test_one_call_makes_rooms_and_fills_a_waiting_one(world: World) -> None:  # noqa: F811
    people = [await world.session(f"p{i}") for i in range(7)]
    ids = [p.session_id for p in people]
    [first] = await world.rooms.seat_matches([MatchSeating(*CABO, (ids[0], ids[1]))])
    assert first.room is not None and first.refused == []
    waiting = first.room
    assert world.sink.frames() == []  # a new room tells nobody: the matchmaker does

    world.clock.advance(3)
    answers = await world.rooms.seat_matches(
        [
            MatchSeating(*CABO, (ids[2], ids[3], ids[4])),
            MatchSeating(*CABO, (ids[5],), code=waiting.room_code),
            MatchSeating(*CABO, (ids[6],)),
        ]
    )
    made, filled, alone = (a.room for a in answers)
    assert made is not None and filled is not None and alone is not None
    assert [a.refused for a in answers] == [[], [], []]
    assert len({made.room_code, filled.room_code, alone.room_code}) == 3
    for room, seated in ((made, ids[2:5]), (filled, [*ids[:2], ids[5]]), (alone, [ids[6]])):
        stored = await world.rooms.get(room.room_code)
        assert stored == room
        assert [m.session_id for m in stored.players] == seated
        assert stored.host_session_id == seated[0] and stored.creator_session_id == seated[0]
        assert stored.name == f"Match {stored.room_code}" and stored.private
        assert (stored.config.min_players, stored.config.max_players) == (2, 4)
        assert stored.state is RoomState.WAITING
        assert [m.seat for m in stored.players] == list(range(1, len(seated) + 1))
    assert filled.last_activity == world.clock.now
    [joined] = world.sink.frames()  # only the waiting room hears who joined
    assert joined["type"] == "player_joined" and joined["player"]["session_id"] == ids[5]


async def test_each_session_is_decided_as_a_join_would(world: World) -> None:  # noqa: F811
    names = ("ann", "bob", "cat", "dan", "eve", "fay", "gus")
    ann, bob, cat, dan, eve, fay, gus = [await world.session(n) for n in names]
    playing = await world.rooms.create(ann, name="busy", game="cabo")
    playing = await world.rooms.join(bob, playing.room_code)
    await world.rooms.start(ann, playing.room_code)
    lounging = await world.rooms.create(cat, name="lounge", game="cabo", config={"keep_when_empty": True})
    world.sink.frames()

    everyone = [ann.session_id, bob.session_id, cat.session_id, "no-such-session"]
    assert await world.rooms.in_game(everyone) == {ann.session_id, bob.session_id}
    [answer] = await world.rooms.seat_matches(
        [MatchSeating(*CABO, (ann.session_id, "no-such-session", cat.session_id, dan.session_id))]
    )
    assert answer.room is not None
    # Playing elsewhere, or gone: not seated. Waiting elsewhere: leaves that room.
    assert answer.refused == [ann.session_id, "no-such-session"]
    assert [m.session_id for m in answer.room.players] == [cat.session_id, dan.session_id]
    assert [m.session_id for m in (await world.rooms.get(lounging.room_code)).members] == []
    assert [f["type"] for f in world.sink.frames()][:1] == ["player_left"]

    # Past the room's seats: refused; a room no longer waiting: every session refused.
    full = await world.rooms.seat_matches(
        [
            MatchSeating(*CABO, (eve.session_id, fay.session_id, gus.session_id), code=answer.room.room_code),
            MatchSeating(*CABO, (bob.session_id,), code=playing.room_code),
        ]
    )
    assert full[0].room is not None and full[0].refused == [gus.session_id]
    assert len(full[0].room.players) == 4
    assert full[1].room is None and full[1].refused == [bob.session_id]
    assert await world.rooms.room_of(gus.session_id) is None


async def test_a_new_room_nobody_could_sit_in_is_not_made(world: World) -> None:  # noqa: F811
    [answer] = await world.rooms.seat_matches([MatchSeating(*CABO, ("gone-1", "gone-2"))])
    assert answer.room is not None and answer.room.players == [] and answer.refused == ["gone-1", "gone-2"]
    with pytest.raises(NotFound):
        await world.rooms.get(answer.room.room_code)


class BothInside:
    """Wraps ``seats_of``: on PostgreSQL the first two seating transactions each wait there until both
    have chosen their codes and read their sessions, so neither has written when the other decides.
    (SQLite runs one write at a time: the second starts after the first commits.)"""

    def __init__(self, of: World, monkeypatch: pytest.MonkeyPatch) -> None:
        self.inside = 0
        self.both = asyncio.Event()
        if of.rooms.db.sqlite:
            self.both.set()
        real = repo.seats_of

        async def seats_of(conn: AsyncConnection, ids: Iterable[str], **kw: bool) -> dict[str, Any]:
            self.inside += 1
            if self.inside == 2:
                self.both.set()
            await asyncio.wait_for(self.both.wait(), 5)
            return await real(conn, ids, **kw)

        monkeypatch.setattr(repo, "seats_of", seats_of)


async def test_two_seatings_at_once_drawing_one_code_make_two_rooms(
    world: World,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    drawn = iter(["XXXXX", "XXXXX", "YYYYY", "ZZZZZ"])
    monkeypatch.setattr(codes, "new_code", lambda: next(drawn))
    BothInside(world, monkeypatch)
    ids = [(await world.session(f"p{i}")).session_id for i in range(4)]
    answers = await asyncio.gather(
        world.rooms.seat_matches([MatchSeating(*CABO, (ids[0], ids[1]))]),
        world.rooms.seat_matches([MatchSeating(*CABO, (ids[2], ids[3]))]),
    )
    rooms = [a.room for [a] in answers]
    assert rooms[0] is not None and rooms[1] is not None
    assert {rooms[0].room_code, rooms[1].room_code} == {"XXXXX", "YYYYY"}  # the later one drew again
    for room, seated in zip(rooms, (ids[:2], ids[2:]), strict=True):
        assert [m.session_id for m in (await world.rooms.get(room.room_code)).players] == seated


async def test_a_session_in_two_seatings_at_once_sits_in_one_room(
    world: World,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    BothInside(world, monkeypatch)
    ann, bob, cat = [(await world.session(n)).session_id for n in ("ann", "bob", "cat")]
    answers = await asyncio.gather(
        world.rooms.seat_matches([MatchSeating(*CABO, (ann, bob))]),
        world.rooms.seat_matches([MatchSeating(*CABO, (ann, cat))]),
    )
    assert all(a.refused == [] for [a] in answers)
    # The later transaction found ann seated by the earlier one (a waiting room): she moved, once.
    where = await world.rooms.room_of(ann)
    assert where is not None
    seated = {}
    for [answer] in answers:
        assert answer.room is not None
        for member in (await world.rooms.get(answer.room.room_code)).players:
            assert member.session_id not in seated
            seated[member.session_id] = answer.room.room_code
    assert seated == {
        ann: where.room_code,
        bob: answers[0][0].room.room_code,
        cat: answers[1][0].room.room_code,
    }
