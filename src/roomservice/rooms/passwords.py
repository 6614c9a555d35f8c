"""Room passwords, hashed with Argon2id. Hashing is slow on purpose, so it runs off the event loop."""

from __future__ import annotations

import asyncio

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()


async def hash_password(password: str) -> str:
    return await asyncio.to_thread(_hasher.hash, password)


async def verify_password(hashed: str, password: str) -> bool:
    def check() -> bool:
        try:
            return bool(_hasher.verify(hashed, password))
        except (VerificationError, InvalidHashError):
            return False

    return await asyncio.to_thread(check)
