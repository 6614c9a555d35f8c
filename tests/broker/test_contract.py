"""What every broker promises (``roomservice.broker.base``). Written against the Protocol only: delivery is
awaited with ``flush`` or an event with a timeout, never assumed to have happened inside ``publish``."""

from __future__ import annotations

import asyncio
import logging

import pytest

from roomservice.broker.base import Broker, Envelope

TIMEOUT = 2.0


class Inbox:
    """A subscriber that keeps what it was given and lets a test wait for a number of envelopes."""

    def __init__(self) -> None:
        self.got: list[Envelope] = []
        self._changed = asyncio.Event()

    def deliver(self, envelope: Envelope) -> None:
        self.got.append(envelope)
        self._changed.set()

    async def wait_for(self, count: int) -> list[Envelope]:
        async with asyncio.timeout(TIMEOUT):
            while len(self.got) < count:
                self._changed.clear()
                await self._changed.wait()
        return self.got

    def seqs(self) -> list[int]:
        return [e.seq for e in self.got]


def env(room_id: str, seq: int, to: str | None = None) -> Envelope:
    return Envelope(room_id, seq, f'{{"seq":{seq},"room":"{room_id}"}}', to)


async def test_each_subscriber_sees_its_room_in_publish_order_when_rooms_interleave(broker: Broker) -> None:
    inboxes = {room: (Inbox(), Inbox()) for room in ("a", "b", "c")}
    for room, pair in inboxes.items():
        for inbox in pair:
            broker.subscribe(room, inbox.deliver)
    for seq in range(1, 101):
        for room in ("a", "b", "c")[seq % 3 :] + ("a", "b", "c")[: seq % 3]:
            broker.publish(env(room, seq))
    await broker.flush()
    for room, pair in inboxes.items():
        for inbox in pair:
            await inbox.wait_for(100)
            assert inbox.seqs() == list(range(1, 101))
            assert {e.room_id for e in inbox.got} == {room}


async def test_every_subscriber_of_a_room_gets_every_envelope(broker: Broker) -> None:
    inboxes = [Inbox() for _ in range(5)]
    for inbox in inboxes:
        broker.subscribe("room", inbox.deliver)
    sent = [env("room", seq) for seq in (10, 11, 12)]
    for envelope in sent:
        broker.publish(envelope)
    await broker.flush()
    for inbox in inboxes:
        assert await inbox.wait_for(3) == sent


async def test_envelope_fields_and_to_are_carried_through(broker: Broker) -> None:
    inbox = Inbox()
    broker.subscribe("room", inbox.deliver)
    sent = [
        Envelope("room", 7, '{"type":"chat","text":"héllo"}', "session-1"),
        Envelope("room", 8, '{"type":"chat"}'),
    ]
    for envelope in sent:
        broker.publish(envelope)
    await broker.flush()
    got = await inbox.wait_for(2)
    assert got == sent
    assert [e.to for e in got] == ["session-1", None]


async def test_unsubscribing_one_subscriber_leaves_the_others(broker: Broker) -> None:
    staying, leaving = Inbox(), Inbox()
    broker.subscribe("room", staying.deliver)
    broker.subscribe("room", leaving.deliver)
    broker.publish(env("room", 1))
    await broker.flush()
    await leaving.wait_for(1)
    # A bound method fetched again is the same subscriber.
    broker.unsubscribe("room", leaving.deliver)
    broker.publish(env("room", 2))
    await broker.flush()
    assert (await staying.wait_for(2)) and staying.seqs() == [1, 2]
    assert leaving.seqs() == [1]


async def test_unsubscribing_the_last_subscriber_stops_delivery(broker: Broker) -> None:
    inbox = Inbox()
    broker.subscribe("room", inbox.deliver)
    broker.unsubscribe("room", inbox.deliver)
    broker.publish(env("room", 1))
    await broker.flush()
    # Resubscribing works and sees only what comes after.
    broker.subscribe("room", inbox.deliver)
    broker.publish(env("room", 2))
    await broker.flush()
    await inbox.wait_for(1)
    assert inbox.seqs() == [2]


async def test_unsubscribing_an_unknown_subscriber_or_room_does_nothing(broker: Broker) -> None:
    inbox, stranger = Inbox(), Inbox()
    broker.subscribe("room", inbox.deliver)
    broker.unsubscribe("room", stranger.deliver)
    broker.unsubscribe("nowhere", inbox.deliver)
    broker.publish(env("room", 1))
    await broker.flush()
    assert (await inbox.wait_for(1)) and inbox.seqs() == [1]


async def test_a_subscriber_registered_twice_is_called_twice_until_unsubscribed_once(broker: Broker) -> None:
    inbox = Inbox()
    broker.subscribe("room", inbox.deliver)
    broker.subscribe("room", inbox.deliver)
    broker.publish(env("room", 1))
    await broker.flush()
    await inbox.wait_for(2)
    broker.unsubscribe("room", inbox.deliver)
    broker.publish(env("room", 2))
    await broker.flush()
    await inbox.wait_for(3)
    assert inbox.seqs() == [1, 1, 2]


async def test_rooms_are_isolated(broker: Broker) -> None:
    mine, other = Inbox(), Inbox()
    broker.subscribe("mine", mine.deliver)
    broker.subscribe("other", other.deliver)
    broker.publish(env("mine", 1))
    broker.publish(env("nobody-listens", 2))
    broker.publish(env("other", 3))
    await broker.flush()
    assert [e.room_id for e in await mine.wait_for(1)] == ["mine"]
    assert [e.room_id for e in await other.wait_for(1)] == ["other"]
    assert mine.seqs() == [1] and other.seqs() == [3]


async def test_a_raising_subscriber_is_logged_and_does_not_stop_the_others(
    broker: Broker, caplog: pytest.LogCaptureFixture
) -> None:
    before, after = Inbox(), Inbox()
    calls: list[int] = []

    def broken(envelope: Envelope) -> None:
        calls.append(envelope.seq)
        raise RuntimeError("subscriber bug")

    broker.subscribe("room", before.deliver)
    broker.subscribe("room", broken)
    broker.subscribe("room", after.deliver)
    with caplog.at_level(logging.ERROR, logger="roomservice.broker"):
        broker.publish(env("room", 1))
        broker.publish(env("room", 2))
        await broker.flush()
        await before.wait_for(2)
        await after.wait_for(2)
    assert before.seqs() == after.seqs() == [1, 2]
    assert calls == [1, 2]
    failures = [r for r in caplog.records if r.name == "roomservice.broker" and r.exc_info]
    assert len(failures) == 2
    assert "subscriber bug" in caplog.text


async def test_a_lone_raising_subscriber_does_not_reach_the_publisher(
    broker: Broker, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(envelope: Envelope) -> None:
        raise ValueError("lone bug")

    broker.subscribe("room", broken)
    with caplog.at_level(logging.ERROR, logger="roomservice.broker"):
        broker.publish(env("room", 1))
        await broker.flush()
    assert "lone bug" in caplog.text


async def test_a_subscriber_publishing_to_its_own_room_keeps_publish_order_for_all(broker: Broker) -> None:
    first, second = Inbox(), Inbox()

    def echo(envelope: Envelope) -> None:
        first.deliver(envelope)
        if envelope.seq < 3:
            broker.publish(env("room", envelope.seq + 1))

    broker.subscribe("room", echo)
    broker.subscribe("room", second.deliver)
    broker.publish(env("room", 1))
    await broker.flush()
    await first.wait_for(3)
    await second.wait_for(3)
    assert first.seqs() == second.seqs() == [1, 2, 3]


async def test_a_subscriber_may_unsubscribe_itself_while_being_called(broker: Broker) -> None:
    once, steady = Inbox(), Inbox()

    def leave_after_one(envelope: Envelope) -> None:
        once.deliver(envelope)
        broker.unsubscribe("room", leave_after_one)

    broker.subscribe("room", leave_after_one)
    broker.subscribe("room", steady.deliver)
    for seq in (1, 2, 3):
        broker.publish(env("room", seq))
    await broker.flush()
    await steady.wait_for(3)
    assert once.seqs() == [1]
    assert steady.seqs() == [1, 2, 3]


async def test_flush_with_nothing_published_returns(broker: Broker) -> None:
    async with asyncio.timeout(TIMEOUT):
        await broker.flush()


async def test_after_close_publish_is_dropped_without_error(broker: Broker) -> None:
    inbox = Inbox()
    broker.subscribe("room", inbox.deliver)
    broker.publish(env("room", 1))
    await broker.flush()
    await inbox.wait_for(1)
    await broker.close()
    broker.publish(env("room", 2))
    broker.subscribe("room", inbox.deliver)
    broker.publish(env("room", 3))
    await broker.close()  # idempotent
    await broker.flush()
    assert inbox.seqs() == [1]


async def test_a_subscriber_on_another_node_gets_the_room_in_order(two_nodes: tuple[Broker, Broker]) -> None:
    here, there = two_nodes
    local, remote = Inbox(), Inbox()
    here.subscribe("room", local.deliver)
    there.subscribe("room", remote.deliver)
    await there.flush()  # the subscription is in place
    for seq in range(1, 21):
        here.publish(env("room", seq, to="s" if seq % 2 else None))
    await here.flush()
    assert [e.seq for e in await local.wait_for(20)] == list(range(1, 21))
    got = await remote.wait_for(20)
    assert [e.seq for e in got] == list(range(1, 21))
    assert [e.to for e in got] == ["s" if seq % 2 else None for seq in range(1, 21)]


async def test_a_node_without_subscribers_of_a_room_hears_nothing_of_it(
    two_nodes: tuple[Broker, Broker],
) -> None:
    here, there = two_nodes
    remote, other = Inbox(), Inbox()
    there.subscribe("room", remote.deliver)
    there.subscribe("other", other.deliver)
    await there.flush()
    here.publish(env("room", 1))
    await here.flush()
    await remote.wait_for(1)
    there.unsubscribe("room", remote.deliver)
    await there.flush()
    here.publish(env("room", 2))
    here.publish(env("other", 3))
    await here.flush()
    await other.wait_for(1)
    assert remote.seqs() == [1]


async def test_views_cross_nodes_with_equal_texts_as_one_object(two_nodes: tuple[Broker, Broker]) -> None:
    here, there = two_nodes
    remote = Inbox()
    there.subscribe("room", remote.deliver)
    await there.flush()
    same = '{"type":"game_state","seq":5}'
    here.publish(Envelope("room", 5, "", None, "game_state", None, {"a": same, "b": same, "c": "x"}))
    await here.flush()
    (got,) = await remote.wait_for(1)
    assert got.views == {"a": same, "b": same, "c": "x"} and got.kind == "game_state"
    assert got.views["a"] is got.views["b"]
    assert got.text_for("b") == same and got.text_for("z") is None


async def test_both_nodes_publishing_each_see_the_other_in_order(two_nodes: tuple[Broker, Broker]) -> None:
    here, there = two_nodes
    a, b = Inbox(), Inbox()
    here.subscribe("room", a.deliver)
    there.subscribe("room", b.deliver)
    await here.flush()
    await there.flush()
    for seq in range(1, 11):
        here.publish(env("room", seq))
    await here.flush()
    await b.wait_for(10)
    for seq in range(11, 21):
        there.publish(env("room", seq))
    await there.flush()
    assert [e.seq for e in await a.wait_for(20)] == list(range(1, 21))
    assert [e.seq for e in await b.wait_for(20)] == list(range(1, 21))


async def test_an_owners_subscribers_get_every_envelope_in_order_then_and_after(broker: Broker) -> None:
    inbox = Inbox()
    broker.subscribe("room", inbox.deliver)
    await broker.flush()
    broker.own("room")
    for seq in range(1, 11):
        broker.publish(env("room", seq))
    broker.disown("room", 10)
    for seq in range(11, 16):
        broker.publish(env("room", seq))
    await broker.flush()
    assert [e.seq for e in await inbox.wait_for(15)] == list(range(1, 16))
    await asyncio.sleep(0.05)
    assert inbox.seqs() == list(range(1, 16))  # nothing twice


async def test_a_former_owner_hears_the_new_owner_from_the_frame_after_its_last(
    two_nodes: tuple[Broker, Broker],
) -> None:
    """Ownership moves from ``here`` to ``there`` before ``here`` knows it (a paused owner): ``there``
    publishes frames ``here`` may not hear at once, then ``here`` disowns the room. ``here``'s
    subscriber still gets every frame, in order, once each."""
    here, there = two_nodes
    a, b = Inbox(), Inbox()
    here.subscribe("room", a.deliver)
    there.subscribe("room", b.deliver)
    await here.flush()
    await there.flush()
    here.own("room")
    for seq in range(1, 11):
        here.publish(env("room", seq))
    await here.flush()
    await b.wait_for(10)
    there.own("room")
    for seq in range(11, 21):
        there.publish(env("room", seq))
    await there.flush()
    here.disown("room", 10)
    for seq in range(21, 31):
        there.publish(env("room", seq))
    await there.flush()
    await here.flush()
    assert [e.seq for e in await a.wait_for(30)] == list(range(1, 31))
    assert [e.seq for e in await b.wait_for(30)] == list(range(1, 31))
    await asyncio.sleep(0.05)
    assert len(a.got) == 30 and len(b.got) == 30
