"""Room codes: six characters a person can read aloud and type, drawn from a secure RNG."""

from __future__ import annotations

import secrets

#: Uppercase letters and digits without the look-alikes 0/O and 1/I.
ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
LENGTH = 6


def new_code() -> str:
    # One draw of random bytes, each byte's low five bits a letter: uniform, as 256 is a multiple of
    # the alphabet's 32 (a fifth of the CPU of a secrets.choice per letter).
    return "".join([ALPHABET[b & 31] for b in secrets.token_bytes(LENGTH)])


def normalize(code: str) -> str:
    """Codes are case-insensitive for people typing them."""
    return code.strip().upper()
