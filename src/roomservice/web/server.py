"""Running the app on uvicorn with the transport settings roomservice relies on."""

from __future__ import annotations

import asyncio

import uvicorn
from fastapi import FastAPI

from roomservice.config import Settings


def ws_protocol(settings: Settings) -> type[asyncio.Protocol] | str:
    """``direct``: uvicorn's sans-I/O protocol with roomservice's direct write path (the app falls
    back to ASGI sends by itself under any other server); ``asgi``: uvicorn's own, unchanged."""
    if settings.ws_transport == "asgi":
        return "websockets-sansio"
    from roomservice.web.wsproto import DirectWebSocketProtocol

    return DirectWebSocketProtocol


def uvicorn_config(app: FastAPI, settings: Settings, log_level: str = "info") -> uvicorn.Config:
    """The sans-I/O websockets transport, frames capped at ``ws_max_frame`` (larger: close 1009),
    per-message compression off, and transport pings every ``ws_heartbeat`` seconds: a socket that does
    not answer within another interval is closed, so a dead peer is noticed within two intervals."""
    heartbeat = settings.ws_heartbeat if settings.ws_heartbeat > 0 else None
    return uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        log_level=log_level,
        ws=ws_protocol(settings),
        ws_max_size=settings.ws_max_frame,
        ws_ping_interval=heartbeat,
        ws_ping_timeout=heartbeat,
        ws_per_message_deflate=False,
        proxy_headers=True,
    )
