"""A bare test socket: sends frames, and reads until the frame a test is waiting for."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from websockets.asyncio.client import ClientConnection, connect

from tests.conftest import Server, User


class Sock:
    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.seen: list[dict[str, Any]] = []

    @classmethod
    async def open(
        cls, server: Server, user: User | None = None, token: str | None = None, max_queue: int | None = None
    ) -> Sock:
        """``max_queue=None`` buffers every frame client-side; a small one makes a client that lets
        the server's writes back up when it does not read."""
        token = token if token is not None else (user.token if user else "")
        return cls(await connect(f"{server.ws}?token={token}", max_size=2**22, max_queue=max_queue))

    async def send(self, frame: dict[str, Any] | str) -> None:
        await self.ws.send(frame if isinstance(frame, str) else json.dumps(frame))

    async def next(self, timeout: float = 5.0) -> dict[str, Any]:
        frame: dict[str, Any] = json.loads(await asyncio.wait_for(self.ws.recv(), timeout))
        self.seen.append(frame)
        return frame

    async def expect(self, kind: str, timeout: float = 5.0, **fields: Any) -> dict[str, Any]:
        """Read frames until one of type ``kind`` (with ``fields``) arrives."""

        async def find() -> dict[str, Any]:
            while True:
                frame = await self.next(timeout)
                if frame["type"] == kind and all(frame.get(k) == v for k, v in fields.items()):
                    return frame

        return await asyncio.wait_for(find(), timeout)

    async def closed(self, timeout: float = 5.0) -> int | None:
        """Read until the server closes; the close code."""
        try:
            while True:
                await self.next(timeout)
        except Exception:
            pass
        await asyncio.wait_for(self.ws.wait_closed(), timeout)
        return self.ws.close_code

    async def close(self) -> None:
        await self.ws.close()
