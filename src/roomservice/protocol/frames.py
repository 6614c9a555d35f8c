"""Client frames: decoded and validated once, with a coded error for anything malformed."""

from __future__ import annotations

from typing import Any

import msgspec

from roomservice.protocol import codes

# Server frames are built and encoded in ``messages``; these two stay importable from here.
from roomservice.protocol.messages import encode as encode
from roomservice.protocol.messages import error as error

CHAT_MAX = 500


class _Frame(msgspec.Struct, tag_field="type", forbid_unknown_fields=False):
    ref: str | int | None = None


class Chat(_Frame, tag="chat"):
    text: str = ""


class Ping(_Frame, tag="ping"):
    pass


class Resume(_Frame, tag="resume"):
    room_code: str = ""
    last_seq: int = -1


class Action(_Frame, tag="action"):
    payload: Any = None


ClientFrame = Chat | Ping | Resume | Action
TYPES = ("chat", "ping", "resume", "action")

_decoder = msgspec.json.Decoder(ClientFrame)


class FrameError(Exception):
    """A frame that cannot be handled; answered with an ``error`` frame, the socket stays open."""

    def __init__(self, code: str, message: str, ref: str | int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.ref = ref


def _ref_of(raw: Any) -> str | int | None:
    ref = raw.get("ref") if isinstance(raw, dict) else None
    return ref if isinstance(ref, str | int) and not isinstance(ref, bool) else None


def decode(data: str | bytes) -> ClientFrame:
    """Decode one client frame or raise :class:`FrameError` saying what is wrong with it."""
    try:
        frame: ClientFrame = _decoder.decode(data)
    except msgspec.ValidationError as exc:
        raw = msgspec.json.decode(data)  # valid JSON, since validation got that far
        ref = _ref_of(raw)
        kind = raw.get("type") if isinstance(raw, dict) else None
        if not isinstance(raw, dict) or kind is None:
            raise FrameError(codes.INVALID_FRAME, "A frame is a JSON object with a 'type'.", ref) from None
        if kind not in TYPES:
            raise FrameError(codes.UNKNOWN_TYPE, f"Unknown frame type {kind!r}.", ref) from None
        raise FrameError(codes.INVALID_FRAME, f"Bad {kind} frame: {exc}", ref) from None
    except msgspec.DecodeError:
        raise FrameError(codes.INVALID_JSON, "The frame is not valid JSON.") from None
    if isinstance(frame, Chat) and not 1 <= len(frame.text.strip()) <= CHAT_MAX:
        raise FrameError(codes.INVALID_CHAT, f"Chat text is 1–{CHAT_MAX} characters.", frame.ref)
    return frame
