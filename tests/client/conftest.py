"""Clients of the real server fixture, closed when the test ends."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from roomservice.client import Client
from tests.conftest import Server


class Gate:
    """A socket's reconnect ``sleep`` that waits for the test instead of for time: ``asked`` holds the
    delays the socket wanted, ``waiting`` is set once it waits, and it reconnects after ``open()``."""

    def __init__(self, *, opened: bool = False) -> None:
        self.asked: list[float] = []
        self.waiting = asyncio.Event()
        self._open = asyncio.Event()
        if opened:
            self._open.set()

    async def __call__(self, delay: float) -> None:
        self.asked.append(delay)
        self.waiting.set()
        await self._open.wait()

    def open(self) -> None:
        self._open.set()


class Clients:
    def __init__(self, server: Server) -> None:
        self.server = server
        self._opened: list[Client] = []

    async def new(self, username: str | None = None, token: str | None = None) -> Client:
        """A client of the server; with ``username``, holding a fresh session of that name."""
        client = Client(self.server.http, token)
        self._opened.append(client)
        if username is not None:
            await client.create_session(username)
        return client

    async def close(self) -> None:
        for client in self._opened:
            await client.aclose()


@pytest.fixture
async def clients(server: Server) -> AsyncIterator[Clients]:
    opened = Clients(server)
    yield opened
    await opened.close()
