"""Every leases implementation, for the contract suite. A networked implementation is one more entry in
``IMPLEMENTATIONS`` (and in ``SHARED`` when its nodes see each other's leases)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Protocol

import pytest

from roomservice.leases.base import Leases
from roomservice.leases.local import LocalLeases
from tests.conftest import FakeClock


class Backend(Protocol):
    """Where one implementation's leases live; nodes made by one backend share it when it is in SHARED."""

    async def node(self, node_id: str) -> Leases:
        """A node joining the deployment."""

    async def restart(self, node_id: str) -> Leases:
        """A new process for a node that stopped (its state in memory is gone)."""

    async def close(self) -> None: ...


class LocalBackend:
    """Each node is alone. A restart comes back at least a millisecond later, as a real process does:
    the local token counter starts from the clock, so it needs the clock to have moved."""

    def __init__(self) -> None:
        self.clock = FakeClock()

    async def node(self, node_id: str) -> Leases:
        return LocalLeases(node_id, self.clock)

    async def restart(self, node_id: str) -> Leases:
        self.clock.advance(0.001)
        return LocalLeases(node_id, self.clock)

    async def close(self) -> None:
        pass


IMPLEMENTATIONS: dict[str, Callable[[], Backend]] = {"local": LocalBackend}

#: Implementations whose nodes share one store of leases, like the nodes of a cluster.
SHARED: list[str] = []


@pytest.fixture(params=sorted(IMPLEMENTATIONS))
async def backend(request: pytest.FixtureRequest) -> AsyncIterator[Backend]:
    made = IMPLEMENTATIONS[request.param]()
    yield made
    await made.close()


@pytest.fixture(params=SHARED)
async def shared(request: pytest.FixtureRequest) -> AsyncIterator[Backend]:
    made = IMPLEMENTATIONS[request.param]()
    yield made
    await made.close()
