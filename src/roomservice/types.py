"""Small shared types: room states, member roles and the injectable clock."""

from __future__ import annotations

import enum
import time
from collections.abc import Callable

#: Seconds since the epoch. Injected everywhere time matters so tests never sleep.
Clock = Callable[[], float]


#: Seconds since the epoch: ``time.time`` itself (read for every chat line; no wrapper call).
wall_clock: Clock = time.time


class RoomState(enum.StrEnum):
    WAITING = "WAITING"
    IN_GAME = "IN_GAME"
    FINISHED = "FINISHED"


class Role(enum.StrEnum):
    PLAYER = "player"
    SPECTATOR = "spectator"
