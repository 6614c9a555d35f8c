"""The pieces of the fan-out path that replace slower library calls give the same results."""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime, timedelta

import pytest
from websockets.frames import Frame, Opcode
from websockets.streams import StreamReader

from roomservice.model import Stamps
from roomservice.realtime.wire import frame_text
from roomservice.rooms.model import iso

_MS = timedelta(milliseconds=1)


def _parse(data: bytes) -> Frame:
    reader = StreamReader()
    reader.feed_data(data)
    reader.feed_eof()
    parser = Frame.parse(reader.read_exact, mask=False)
    try:
        next(parser)
    except StopIteration as done:
        frame: Frame = done.value
        return frame
    raise AssertionError("incomplete frame")


@pytest.mark.parametrize("size", [0, 1, 125, 126, 127, 2047, 2048, 65535, 65536, 200_000])
def test_a_framed_text_is_one_final_unmasked_text_frame(size: int) -> None:
    text = ("é" * size)[:size] if size % 2 else "x" * size
    frame = _parse(frame_text(text))
    assert frame.opcode is Opcode.TEXT and frame.fin
    assert bytes(frame.data).decode() == text


def test_iso_writes_what_datetime_writes() -> None:
    rng = random.Random(3)
    stamps = [rng.uniform(0, 4e9) for _ in range(20_000)]
    stamps += [round(rng.uniform(1e9, 2e9), 6) for _ in range(20_000)]
    stamps += [1_800_000_000.0, 1.0000005, 1.9999995, 1_700_000_000.5, 0.0, 1e9 + 0.9999996]
    stamps += [-1.5, -86_400.25, -0.0000004, -1e9 - 0.9999996]  # before 1970: the exact path
    for ts in stamps:
        assert iso(ts) == datetime.fromtimestamp(ts, UTC).isoformat().replace("+00:00", "Z"), ts
    assert iso(None) is None


def test_chat_times_are_milliseconds_floored_as_javascript_writes_them() -> None:
    stamps = Stamps()
    rng = random.Random(5)
    moments = sorted(rng.uniform(1.7e9, 1.8e9) for _ in range(5_000))
    moments += [1_800_000_000.0, 1_800_000_000.0009999, 1_800_000_000.001, 1_800_000_000.9995, 0.0]
    for ts in moments:  # rising, as a clock goes, and once back to the start of the epoch
        text = stamps(ts)
        assert text.endswith("Z") and len(text) == len("2026-11-21T03:06:07.782Z"), text
        written = datetime.fromisoformat(text)
        assert written == datetime.fromtimestamp(math.floor(ts * 1000) // 1000, UTC) + _MS * (
            math.floor(ts * 1000) % 1000
        ), ts
        assert abs(written - datetime.fromtimestamp(ts, UTC)) <= _MS  # datetime rounds to the microsecond
    assert stamps(1_800_000_000.0004) is stamps(1_800_000_000.0001)  # one text for a millisecond
