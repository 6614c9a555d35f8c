"""Running the app on uvicorn with the transport settings roomservice relies on."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import uvicorn
from fastapi import FastAPI

from roomservice.config import Settings
from roomservice.logs import redact

__all__ = ["REQUEST_LOGGERS", "RedactSecrets", "install_redaction", "redact", "uvicorn_config", "ws_protocol"]


def ws_protocol(settings: Settings) -> type[asyncio.Protocol] | str:
    """``direct``: roomservice's own WebSocket protocol (``web.wsdirect``: frames parsed by picows,
    read and written without ASGI messages; the app falls back to ASGI by itself under any other
    server); ``asgi``: uvicorn's sans-I/O websockets protocol, unchanged."""
    if settings.ws_transport == "asgi":
        return "websockets-sansio"
    from roomservice.web.wsdirect import DirectWebSocketProtocol

    return DirectWebSocketProtocol


class RedactSecrets(logging.Filter):
    """Keeps session tokens and socket tickets out of uvicorn's logs: the access log and the socket's
    "[accepted]" line print the path with its query string."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str) and "=" in record.msg:
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) and "=" in a else a for a in record.args)
        return True


_REDACT = RedactSecrets()
#: The loggers uvicorn writes request lines to.
REQUEST_LOGGERS = ("uvicorn.access", "uvicorn.error")


def install_redaction() -> None:
    for name in REQUEST_LOGGERS:
        logging.getLogger(name).addFilter(_REDACT)


def uvicorn_config(
    app: FastAPI, settings: Settings, log_level: str = "info", log_config: dict[str, Any] | None = None
) -> uvicorn.Config:
    """The WebSocket transport of ``ws_transport``, frames capped at ``ws_max_frame`` (larger: close 1009),
    per-message compression off, and transport pings every ``ws_heartbeat`` seconds: a socket that does
    not answer within another interval is closed, so a dead peer is noticed within two intervals.
    Proxy headers are honoured from ``forwarded_allow_ips``; tokens and tickets never reach the log.
    ``log_config`` (``roomservice.logs.logging_config``) replaces uvicorn's own logging setup."""
    heartbeat = settings.ws_heartbeat if settings.ws_heartbeat > 0 else None
    extra: dict[str, Any] = {} if log_config is None else {"log_config": log_config}
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        log_level=log_level,
        **extra,
        ws=ws_protocol(settings),
        ws_max_size=settings.ws_max_frame,
        ws_ping_interval=heartbeat,
        ws_ping_timeout=heartbeat,
        ws_per_message_deflate=False,
        proxy_headers=True,
        # None: uvicorn's default, $FORWARDED_ALLOW_IPS or 127.0.0.1.
        forwarded_allow_ips=settings.forwarded_allow_ips or None,
    )
    install_redaction()  # after the Config: it configures uvicorn's loggers
    return config
