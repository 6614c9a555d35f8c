"""What room operations tell the real-time layer. Frames are plain dicts with a ``type``; the
real-time hub numbers them per room and fans them out."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any, Protocol

from roomservice.rooms.model import Member, Room


@dataclasses.dataclass(frozen=True, slots=True)
class RoomEvent:
    """One frame for a room's members; ``to`` sends it to that session only."""

    frame: dict[str, Any]
    to: str | None = None
    #: The session a membership frame is about, for receivers that react without decoding it.
    subject: str | None = None


class RoomEventSink(Protocol):
    async def room_events(self, room: Room, events: Sequence[RoomEvent]) -> None:
        """Called after the transaction that produced ``events`` has committed. ``room`` is the room
        as it now stands (after a delete: as it last stood, members included)."""


def player_joined(member: Member) -> RoomEvent:
    return RoomEvent({"type": "player_joined", "player": member.to_dict()}, subject=member.session_id)


def player_left(member: Member, reason: str) -> RoomEvent:
    return RoomEvent(
        {
            "type": "player_left",
            "session_id": member.session_id,
            "username": member.username,
            "role": member.role.value,
            "reason": reason,
        },
        subject=member.session_id,
    )


def host_changed(host: Member | None) -> RoomEvent:
    return RoomEvent(
        {
            "type": "host_changed",
            "host_session_id": host.session_id if host else None,
            "username": host.username if host else None,
        }
    )


def room_updated(room: Room) -> RoomEvent:
    return RoomEvent({"type": "room_updated", "room": room.to_dict()})


def kicked(member: Member) -> RoomEvent:
    return RoomEvent(
        {"type": "kicked", "session_id": member.session_id}, to=member.session_id, subject=member.session_id
    )


def room_closed(reason: str) -> RoomEvent:
    return RoomEvent({"type": "room_closed", "reason": reason})
