"""The background task that closes idle rooms."""

from __future__ import annotations

import asyncio
import logging

from roomservice.rooms.service import RoomService

log = logging.getLogger(__name__)


async def run_expiry(service: RoomService, interval: float) -> None:
    """Call :meth:`RoomService.expire` every ``interval`` seconds until cancelled. A failed pass is
    logged and the next one runs on schedule."""
    while True:
        await asyncio.sleep(interval)
        try:
            await service.expire()
        except Exception:
            log.exception("room expiry pass failed")
