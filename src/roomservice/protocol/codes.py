"""Close codes and error codes of the socket protocol (see docs/protocol.md)."""

from __future__ import annotations

# Close codes.
CLOSE_UNAUTHORIZED = 4001
CLOSE_REPLACED = 4002
CLOSE_ALREADY_CONNECTED = 4003
CLOSE_TOO_SLOW = 4008
CLOSE_POLICY = 1008  # sustained rate-limit abuse
CLOSE_TOO_BIG = 1009

# Error codes sent in ``error`` frames.
INVALID_JSON = "invalid_json"
UNKNOWN_TYPE = "unknown_type"
INVALID_FRAME = "invalid_frame"
INVALID_CHAT = "invalid_chat"
RATE_LIMITED = "rate_limited"
NOT_IN_ROOM = "not_in_room"
GAME_NOT_STARTED = "game_not_started"
UNAUTHORIZED = "unauthorized"
SESSION_REPLACED = "session_replaced"
SIGNED_OUT = "signed_out"
ALREADY_CONNECTED = "already_connected"
INTERNAL = "internal"
