"""What a room runner needs from around it: a small contract, so the runner depends on neither the
engine nor the socket layer."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Protocol

from roomservice.protocol.messages import RoomFrame
from roomservice.scheduling import Timer
from roomservice.store.games import Entry

#: Builds the texts of one per-receiver frame once its seq is known: (texts by session id, the text
#: for everyone else or None).
BuildViews = Callable[[int], tuple[Mapping[str, str], str | None]]
#: Sends one encoded frame to the member who sent an action.
Reply = Callable[[str], None]


class RunnerHost(Protocol):
    snapshot_every: int

    def now(self) -> float:
        """Wall-clock seconds: the time a step happens at."""

    def call_at(self, when: float, callback: Callable[[], object]) -> Timer:
        """Run ``callback`` once ``now()`` reaches ``when`` (the turn timer)."""

    def publish(self, room_id: str, frame: RoomFrame) -> int:
        """Number and send a frame to every member of the room; returns its seq."""

    def publish_views(self, room_id: str, build: BuildViews) -> None:
        """Number one frame whose text depends on the receiver and send it."""

    async def save(self, entries: Sequence[Entry]) -> None:
        """Return once ``entries`` are durable (raises when they could not be written)."""

    def save_later(
        self, entries: Sequence[Entry], failed: Callable[[BaseException], object] | None = None
    ) -> None:
        """Write ``entries`` without waiting (a real-time game's inputs, its periodic snapshots);
        ``failed`` hears of a write that did not go in."""

    async def finish(self, room_id: str) -> None:
        """The game is over: the room moves on (IN_GAME → FINISHED)."""

    def shown(self, room_id: str) -> None:
        """Every member was just sent their view of a new state (bot seats look at theirs)."""
