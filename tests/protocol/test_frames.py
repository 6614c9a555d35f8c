"""Decoding client frames without a server: any bad input is a coded FrameError, never another exception."""

from __future__ import annotations

import pytest

from roomservice.protocol.frames import (
    CHAT_MAX,
    INT_MAX,
    MAX_DEPTH,
    Action,
    Chat,
    FrameError,
    Ping,
    Resume,
    decode,
)


def _refused(data: str | bytes) -> FrameError:
    with pytest.raises(FrameError) as caught:
        decode(data)
    return caught.value


def _nested(depth: int, inner: str = "1") -> str:
    """An action frame nesting ``depth`` levels, the frame itself counted."""
    return '{"type":"action","payload":' + "[" * (depth - 1) + inner + "]" * (depth - 1) + "}"


@pytest.mark.parametrize(
    "text",
    [
        "[oops",
        "123abc",
        "{nope",
        '{"type":"ping"',
        '{"type":"ping",',
        "",
        " ",
        '{"type":"chat","text":"\\ud800"}',
    ],
)
def test_text_that_is_not_json_is_invalid_json(text: str) -> None:
    assert _refused(text).code == "invalid_json"


def test_bytes_that_are_not_utf8_are_invalid_json() -> None:
    assert _refused(b'{"type":"chat","text":"\xff\xfe"}').code == "invalid_json"


def test_a_str_holding_a_lone_surrogate_is_invalid_json() -> None:
    assert _refused('{"type":"chat","text":"\ud800"}').code == "invalid_json"


@pytest.mark.parametrize(
    "text",
    [
        '{"type":"ping","ref":1e400}',
        '{"type":"action","payload":{"x":[1e400]},"ref":"a"}',
        '{"type":"action","payload":-1e400}',
        '{"type":"action","payload":' + "9" * 5000 + "}",
        '{"type":"resume","room_code":"ABCDEF","last_seq":123456789012345678901234567890}',
        '{"type":"ping","ref":123456789012345678901234567890}',
        '{"type":"ping","ref":-9007199254740992}',
    ],
)
def test_numbers_out_of_range_are_invalid_frame(text: str) -> None:
    error = _refused(text)
    assert error.code == "invalid_frame"
    assert error.ref is None  # a ref out of range is not echoed: the client could not read it back


def test_refs_and_seqs_within_the_safe_integers_pass() -> None:
    assert decode('{"type":"ping","ref":9007199254740991}') == Ping(ref=INT_MAX)
    frame = decode('{"type":"resume","room_code":"A","last_seq":-9007199254740991}')
    assert frame == Resume(room_code="A", last_seq=-INT_MAX)


def test_nesting_up_to_the_limit_passes_and_one_more_is_refused() -> None:
    assert isinstance(decode(_nested(MAX_DEPTH)), Action)
    assert isinstance(decode(_nested(MAX_DEPTH, "")), Action)
    for depth in (MAX_DEPTH + 1, MAX_DEPTH + 2, 600, 5000):
        for inner in ("1", ""):
            assert _refused(_nested(depth, inner)).code == "invalid_frame", (depth, inner)


def test_the_shortest_frame_too_deep_is_refused() -> None:
    text = '{"type":"action","payload":' + "[" * MAX_DEPTH + "]" * MAX_DEPTH + "}"
    assert _refused(text).code == "invalid_frame"


def test_nesting_counts_anywhere_in_the_frame() -> None:
    deep_objects = '{"a":' * MAX_DEPTH + "1" + "}" * MAX_DEPTH
    # An unknown field is ignored, but not its nesting.
    error = _refused('{"type":"ping","ref":"p","extra":' + deep_objects + "}")
    assert (error.code, error.ref) == ("invalid_frame", "p")
    assert _refused('{"type":"chat","text":"hi","x":[' + deep_objects + "]}").code == "invalid_frame"
    assert _refused('{"type":"dance","x":' + deep_objects + "}").code == "invalid_frame"
    assert _refused("[" * 40 + "]" * 40).code == "invalid_frame"
    # Brackets inside strings are text, not nesting.
    text = "[" * 400
    assert decode('{"type":"chat","text":"' + text[:CHAT_MAX] + '"}') == Chat(text=text[:CHAT_MAX])


def test_unknown_fields_are_ignored() -> None:
    assert decode('{"type":"chat","text":"hi","color":"red","x":{"y":[1]}}') == Chat(text="hi")
    assert decode('{"type":"ping","ref":3,"x":null}') == Ping(ref=3)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("[]", "invalid_frame"),
        ("null", "invalid_frame"),
        ('"chat"', "invalid_frame"),
        ("17", "invalid_frame"),
        ('{"text":"no type"}', "invalid_frame"),
        ('{"type":5}', "invalid_frame"),
        ('{"type":["chat"]}', "invalid_frame"),
        ('{"type":"dance"}', "unknown_type"),
        ('{"type":"chat","text":5}', "invalid_frame"),
        ('{"type":"ping","ref":true}', "invalid_frame"),
        ('{"type":"ping","ref":1.5}', "invalid_frame"),
        ('{"type":"resume","last_seq":"7"}', "invalid_frame"),
        ('{"type":"resume","room_code":7}', "invalid_frame"),
    ],
)
def test_wrong_shapes_and_types(text: str, code: str) -> None:
    assert _refused(text).code == code


def test_the_ref_of_a_refused_frame_is_echoed() -> None:
    assert _refused('{"type":"dance","ref":"r1"}').ref == "r1"
    assert _refused('{"type":"chat","text":5,"ref":7}').ref == 7


def test_chat_length_is_measured_as_sent() -> None:
    padded = " " * 30_000 + "a"
    assert _refused('{"type":"chat","text":"' + padded + '"}').code == "invalid_chat"
    assert _refused('{"type":"chat","text":"' + "x" * (CHAT_MAX + 1) + '"}').code == "invalid_chat"
    assert _refused('{"type":"chat","text":"' + " " * (CHAT_MAX - 1) + 'a "}').code == "invalid_chat"
    exact = " " * (CHAT_MAX - 1) + "a"
    assert decode('{"type":"chat","text":"' + exact + '"}') == Chat(text=exact)
    assert decode('{"type":"chat","text":" hi "}') == Chat(text=" hi ")  # kept as sent


@pytest.mark.parametrize("text", ["", " ", "\\n\\t ", "\\u3000"])
def test_empty_or_blank_chat_is_refused(text: str) -> None:
    assert _refused('{"type":"chat","text":"' + text + '"}').code == "invalid_chat"


def test_bytes_decode_like_text() -> None:
    assert decode(b'{"type":"chat","text":"hi","ref":"c"}') == Chat(text="hi", ref="c")
    assert _refused(b'{"type":"action","payload":' + b"[" * 40 + b"]" * 40 + b"}").code == "invalid_frame"
