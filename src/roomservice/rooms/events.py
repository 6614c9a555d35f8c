"""What room operations tell the real-time layer: typed frames (``protocol.messages``) that the
room's owner numbers and fans out."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Protocol

from roomservice.protocol import messages
from roomservice.rooms.model import Member, Room


@dataclasses.dataclass(frozen=True, slots=True)
class RoomEvent:
    """One frame for a room's members; ``to`` sends it to that session only."""

    frame: messages.RoomFrame
    to: str | None = None
    #: The session a membership frame is about, for receivers that react without decoding it.
    subject: str | None = None


class Owners(Protocol):
    """Which rooms this node owns while other nodes could own rooms too (``realtime.outbox.Outbox``)."""

    #: Whether other nodes may own rooms: then a room's writes carry its fence.
    fencing: bool

    def fence_of(self, room_id: str) -> int | None:
        """The lease token this node's writes of the room carry, or None (not owned here, or one node
        alone: nothing to fence)."""

    def lost(self, room_id: str) -> None:
        """A write of the room was refused by its fence: another node owns it now."""


class RoomEventSink(Protocol):
    async def room_events(self, room: Room, events: Sequence[RoomEvent]) -> None:
        """Called after the transaction that produced ``events`` has committed. ``room`` is the room
        as it now stands (after a delete: as it last stood, members included). ``events`` is empty
        when the room changed without a frame for its members (a create)."""


def player_joined(member: Member) -> RoomEvent:
    return RoomEvent(messages.PlayerJoined(player=member.to_dict()), subject=member.session_id)


def player_left(member: Member, reason: str) -> RoomEvent:
    frame = messages.PlayerLeft(
        session_id=member.session_id, username=member.username, role=member.role.value, reason=reason
    )
    return RoomEvent(frame, subject=member.session_id)


def host_changed(host: Member | None) -> RoomEvent:
    return RoomEvent(
        messages.HostChanged(
            host_session_id=host.session_id if host else None, username=host.username if host else None
        )
    )


def room_updated(room: Room) -> RoomEvent:
    return RoomEvent(messages.RoomUpdated(room=room.to_dict()))


def kicked(member: Member) -> RoomEvent:
    frame = messages.Kicked(session_id=member.session_id)
    return RoomEvent(frame, to=member.session_id, subject=member.session_id)


def room_closed(reason: str) -> RoomEvent:
    return RoomEvent(messages.RoomClosed(reason=reason))


def closes_room(events: Sequence[RoomEvent]) -> bool:
    """Whether ``events`` end with the room gone."""
    return any(isinstance(e.frame, messages.RoomClosed) for e in events)
