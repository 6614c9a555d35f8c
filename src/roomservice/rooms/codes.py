"""Room codes: six characters a person can read aloud and type, drawn from a secure RNG."""

from __future__ import annotations

import secrets

#: Uppercase letters and digits without the look-alikes 0/O and 1/I.
ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
LENGTH = 6


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def normalize(code: str) -> str:
    """Codes are case-insensitive for people typing them."""
    return code.strip().upper()
