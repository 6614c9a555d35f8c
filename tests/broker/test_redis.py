"""What the Redis broker adds to the contract: the shared resume log of each room, and catching up on
it after Redis was out of reach."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from urllib.parse import urlsplit, urlunsplit

import pytest
from redis.asyncio import Redis

from roomservice.broker.base import Envelope
from roomservice.broker.redis import PASS, RedisBroker, decode, encode
from tests.broker.conftest import _prefix, _redis
from tests.cluster.harness import Relay
from tests.conftest import REDIS_URL


@pytest.fixture
async def pair() -> AsyncIterator[tuple[RedisBroker, RedisBroker]]:
    prefix = _prefix()
    owner, other = await _redis(prefix), await _redis(prefix)
    assert isinstance(owner, RedisBroker) and isinstance(other, RedisBroker)
    yield owner, other
    await owner.forget(["room"])
    await owner.close()
    await other.close()


def test_an_envelope_survives_the_wire_whole() -> None:
    sent = Envelope("r", 9, "t", "s", "chat", "subject", {"a": "x"})
    assert decode(encode(sent)) == sent
    plain = Envelope("r", 1, "t")
    assert decode(encode(plain)) == plain


async def test_another_node_replays_what_a_client_missed(pair: tuple[RedisBroker, RedisBroker]) -> None:
    owner, other = pair
    for seq in range(1, 101):
        owner.publish(Envelope("room", seq, f'{{"seq":{seq}}}', "s1" if seq == 60 else None))
    await owner.flush()
    assert await other.last_seq("room") == 100
    missed = await other.since("room", 50)
    assert missed is not None
    assert [e.seq for e in missed] == list(range(51, 101))
    assert missed[9].to == "s1" and missed[9].text_for("s2") is None
    # The log keeps the newest 64, so the start is gone.
    assert await other.since("room", 0) is None
    assert await other.since("room", 100) == []
    assert await other.since("nowhere", 0) == []


async def test_a_late_envelope_below_the_log_does_not_enter_it(pair: tuple[RedisBroker, RedisBroker]) -> None:
    owner, other = pair
    for seq in (1, 2, 3):
        owner.publish(Envelope("room", seq, "new"))
    owner.publish(Envelope("room", 2, "stale"))  # a former owner's frame arriving late
    owner.publish(Envelope("room", 4, "new"))
    await owner.flush()
    missed = await other.since("room", 0)
    assert missed is not None and [(e.seq, e.text) for e in missed] == [(s, "new") for s in (1, 2, 3, 4)]


async def test_a_former_owners_late_frame_is_not_delivered_on_other_nodes(
    pair: tuple[RedisBroker, RedisBroker],
) -> None:
    former, other = pair
    got: list[int] = []
    other.subscribe("room", lambda e: got.append(e.seq))
    await other.flush()
    for seq in (1, 2, 9):
        former.publish(Envelope("room", seq, "x"))
    former.publish(Envelope("room", 3, "late"))
    former.publish(Envelope("room", 0, "unnumbered"))
    former.publish(Envelope("room", 10, "x"))
    await former.flush()
    for _ in range(100):
        if len(got) == 5:
            break
        await asyncio.sleep(0.01)
    assert got == [1, 2, 9, 0, 10]


async def test_an_owner_does_not_hear_its_own_room_from_redis(pair: tuple[RedisBroker, RedisBroker]) -> None:
    """Its subscribers get its frames inside publish: the subscription at Redis would only bring
    them back to be dropped. It hears the room again once it no longer owns it."""
    owner, _ = pair
    channel = owner._room_prefix + "room"
    owner.subscribe("room", lambda envelope: None)
    await owner.flush()
    assert await _subscribers(owner, channel) == 1
    owner.own("room")
    await owner.flush()
    assert await _subscribers(owner, channel) == 0
    owner.disown("room", 0)
    await owner.flush()
    assert await _subscribers(owner, channel) == 1


async def _subscribers(broker: RedisBroker, channel: str) -> int:
    for _ in range(100):  # the change is sent by the broker's task: give it its round trip
        counts = dict(await broker._redis.pubsub_numsub(channel))
        count = int(counts[channel.encode()])
        if count == int(broker._hears("room")):
            return count
        await asyncio.sleep(0.01)
    return count


async def test_a_backlog_heard_from_redis_is_handed_out_a_few_dozen_a_pass(
    pair: tuple[RedisBroker, RedisBroker],
) -> None:
    """A node busy for a while reads the frames that waited all at once: they reach its subscribers in
    several event-loop passes, so its sockets write between them (a socket given more than its send
    queue in one pass would be dropped as too slow)."""
    owner, other = pair
    runs = [0]
    due = [False]
    done = asyncio.Event()

    def pass_ended() -> None:
        due[0] = False
        runs.append(0)

    def deliver(envelope: Envelope) -> None:
        if not due[0]:
            due[0] = True
            asyncio.get_running_loop().call_soon(pass_ended)
        runs[-1] += 1
        if sum(runs) == 500:
            done.set()

    other.subscribe("room", deliver)
    await other.flush()
    for seq in range(1, 501):
        owner.publish(Envelope("room", seq, "x" * 100))
    await owner.flush()
    time.sleep(0.3)  # noqa: ASYNC251 (the node is busy: every frame waits on its socket)
    async with asyncio.timeout(5):
        await done.wait()
    assert max(runs) <= PASS


async def _until(test: Callable[[], bool], what: str, timeout: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not test():
        assert asyncio.get_running_loop().time() < deadline, what
        await asyncio.sleep(0.02)


async def test_frames_published_while_a_node_was_cut_off_reach_its_subscribers_in_order_when_it_is_back(
    pair: tuple[RedisBroker, RedisBroker],
) -> None:
    owner, _ = pair
    target = urlsplit(REDIS_URL)
    relay = Relay(target.hostname or "127.0.0.1", target.port or 6379).start()
    through = urlunsplit(target._replace(netloc=f"127.0.0.1:{relay.port}"))
    cut_off = RedisBroker(Redis.from_url(through, socket_timeout=2), prefix=owner._prefix, log_size=64)
    try:
        got: list[int] = []
        cut_off.subscribe("room", lambda e: got.append(e.seq))
        await cut_off.flush()
        owner.publish(Envelope("room", 1, "before"))
        await _until(lambda: got == [1], "the first frame did not arrive")

        relay.cut()
        await _until(lambda: not cut_off.reachable, "the cut was not noticed")
        for seq in (2, 3, 4):
            owner.publish(Envelope("room", seq, "meanwhile"))
        await owner.flush()
        relay.mend()
        await cut_off.flush()  # subscribed again
        owner.publish(Envelope("room", 5, "after"))
        await _until(lambda: len(got) >= 5, f"only {got} arrived")
        assert got == [1, 2, 3, 4, 5]
    finally:
        await cut_off.close()
        relay.close()
