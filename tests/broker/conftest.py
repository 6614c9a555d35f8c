"""Every broker implementation, for the contract suite. A networked implementation is one more entry in
``IMPLEMENTATIONS`` (and in ``SHARED`` when two instances of it reach each other's subscribers)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from roomservice.broker.base import Broker
from roomservice.broker.local import LocalBroker

#: A new broker instance, as one node of a deployment would build it.
MakeBroker = Callable[[], Awaitable[Broker]]


async def _local() -> Broker:
    return LocalBroker()


IMPLEMENTATIONS: dict[str, MakeBroker] = {"local": _local}

#: Implementations whose instances share one backend, like two nodes of a cluster.
SHARED: list[str] = []


@pytest.fixture(params=sorted(IMPLEMENTATIONS))
async def broker(request: pytest.FixtureRequest) -> AsyncIterator[Broker]:
    made = await IMPLEMENTATIONS[request.param]()
    yield made
    await made.close()


@pytest.fixture(params=SHARED)
async def two_nodes(request: pytest.FixtureRequest) -> AsyncIterator[tuple[Broker, Broker]]:
    first = await IMPLEMENTATIONS[request.param]()
    second = await IMPLEMENTATIONS[request.param]()
    yield first, second
    await first.close()
    await second.close()
