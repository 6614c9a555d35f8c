"""What the socket layer needs from the rooms and the games, declared here so it depends on these
small contracts and not on the services that fulfil them (``RoomService``, ``Engine``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from roomservice.model import Room, Session
from roomservice.protocol.frames import WorkshopFrame

if TYPE_CHECKING:
    from roomservice.realtime.connection import Connection

#: Sends one encoded frame to one socket.
Reply = Callable[[str], None]


class RoomDirectory(Protocol):
    async def room_of(self, session_id: str) -> Room | None:
        """The room ``session_id`` sits in, if any."""

    async def occupied(self) -> list[Room]:
        """Every room someone sits in."""

    async def leave(self, session: Session, code: str, reason: str = "left") -> Room | None:
        """Give up a seat (``reason`` ``disconnected`` when a socket's grace ran out)."""


class GameDesk(Protocol):
    def act(self, room_id: str, session_id: str, payload: Any, reply: Reply, ref: str | int | None) -> None:
        """Queue a member's ``action``; raises ``FrameError`` when no game takes it."""

    def input_rate(self, room_id: str) -> float:
        """Actions a second the game running in the room lets each player send (0: none declared)."""

    def attached(self, room_id: str, session_id: str) -> None:
        """A member's socket (re)attached: send it their current view, if a game runs."""

    def presence(self, room_id: str, session_id: str, online: bool) -> None:
        """A seated member's socket went away or came back."""


class ProjectDesk(Protocol):
    async def receive(self, conn: Connection, frame: WorkshopFrame) -> None:
        """A workshop frame from a socket (open, leave, edit, cursor, save, …); raises ``FrameError``
        to refuse it."""

    async def disconnected(self, conn: Connection) -> None:
        """The socket closed: the project it had open keeps its collaborator for the reconnect grace."""
