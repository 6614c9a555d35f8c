"""The chat log keeps the chat frames that were sent and saves them as the JSON objects on the wire."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import msgspec

from roomservice.protocol import messages
from roomservice.rooms.chat import ChatLog


def line(seq: int, text: str) -> messages.Chat[str]:
    frame = messages.Chat(sender="alice", session_id="s-alice", text=text, at="2026-11-21T03:06:07.782988Z")
    frame.seq = seq
    return frame


async def test_saved_lines_come_back_as_chat_frames_merged_by_seq() -> None:
    saved_rows: dict[str, list[dict[str, Any]]] = {
        # As an earlier server wrote them: its dict frames, seq last.
        "r-1": [
            {
                "type": "chat",
                "from": "bob",
                "session_id": "s-bob",
                "text": "first",
                "at": "2026-11-21T03:06:07Z",
                "seq": 5,
            },
            {"type": "chat", "text": 7, "seq": 6},  # not a chat line: left out, not fatal
        ]
    }
    written: list[Mapping[str, msgspec.Raw]] = []

    async def load(room_id: str) -> list[dict[str, Any]]:
        return saved_rows.get(room_id, [])

    async def save(lines: Mapping[str, msgspec.Raw]) -> None:
        written.append(lines)

    log = ChatLog(load, save, size=50)
    said = messages.encode(line(9, "since"))
    log.add("r-1", said)
    lines = await log.lines("r-1")
    frames = [msgspec.json.decode(bytes(x)) for x in lines]
    assert [(x["seq"], x["from"], x["text"]) for x in frames] == [(5, "bob", "first"), (9, "alice", "since")]
    assert bytes(lines[1]) == said.encode() and log.recent("r-1") == lines  # the very text sent

    await log.flush()
    (encoded,) = written
    saved = {room_id: msgspec.json.decode(raw) for room_id, raw in encoded.items()}
    assert saved["r-1"] == frames
    assert saved["r-1"][1]["from"] == "alice" and saved["r-1"][1]["type"] == "chat"
