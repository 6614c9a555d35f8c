from __future__ import annotations

from roomservice.rooms import codes


def test_codes_use_the_unambiguous_alphabet() -> None:
    seen = {codes.new_code() for _ in range(2000)}
    assert len(seen) > 1990
    for code in seen:
        assert len(code) == 6
        assert not set(code) & set("0O1I")
        assert set(code) <= set(codes.ALPHABET)


def test_codes_are_case_insensitive() -> None:
    assert codes.normalize(" abc234 ") == "ABC234"
