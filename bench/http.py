"""A small keep-alive HTTP/1.1 client for the load generator.

General clients spend more CPU per request than the servers under test; on a 2-core machine the load
generator shares the cores with the server, so every microsecond it spends is taken from the server.
This client writes a request and reads a ``Content-Length`` response, nothing more.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import msgspec


class HttpError(Exception):
    def __init__(self, status: int, body: bytes) -> None:
        super().__init__(f"HTTP {status}: {body[:200]!r}")
        self.status = status
        self.body = body


class HttpConnection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, host: str) -> None:
        self._reader = reader
        self._writer = writer
        self._host = host

    @classmethod
    async def open(cls, host: str, port: int) -> HttpConnection:
        reader, writer = await asyncio.open_connection(host, port)
        return cls(reader, writer, f"{host}:{port}")

    async def request(
        self, method: str, path: str, body: Any = None, token: str | None = None, expect: int = 0
    ) -> Any:
        """Send one request and return the decoded JSON body. A status other than ``expect`` (any
        2xx when 0) raises :class:`HttpError`."""
        payload = b"" if body is None else msgspec.json.encode(body)
        head = f"{method} {path} HTTP/1.1\r\nhost: {self._host}\r\ncontent-length: {len(payload)}\r\n"
        if body is not None:
            head += "content-type: application/json\r\n"
        if token:
            head += f"authorization: Bearer {token}\r\n"
        self._writer.write(head.encode() + b"\r\n" + payload)
        status_line = await self._reader.readline()
        if not status_line:
            raise ConnectionError("the server closed the connection")
        status = int(status_line.split(b" ", 2)[1])
        length = 0
        while True:
            line = await self._reader.readline()
            if line in (b"\r\n", b""):
                break
            name, _, value = line.partition(b":")
            if name.lower() == b"content-length":
                length = int(value)
            elif name.lower() == b"transfer-encoding":
                raise HttpError(status, b"chunked responses are not supported")
        data = await self._reader.readexactly(length) if length else b""
        if (expect and status != expect) or (not expect and not 200 <= status < 300):
            raise HttpError(status, data)
        return msgspec.json.decode(data) if data else None

    async def close(self) -> None:
        self._writer.close()
        with contextlib.suppress(ConnectionError, OSError):
            await self._writer.wait_closed()
