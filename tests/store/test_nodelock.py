"""The serving lock: a second holder is refused with a one-line message until the first lets go."""

from __future__ import annotations

from pathlib import Path

import pytest

from roomservice.store import nodelock


async def test_second_holder_is_refused_until_release(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(nodelock, "PATIENCE", 0.1)
    first = await nodelock.acquire(database_url)
    try:
        with pytest.raises(nodelock.NodeBusy) as busy:
            await nodelock.acquire(database_url)
        assert "already serving the database" in str(busy.value)
        assert "\n" not in str(busy.value)
    finally:
        await first.release()
    async with nodelock.hold(database_url):
        pass


def test_sqlite_lock_file_sits_next_to_the_database(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'data' / 'rooms.db'}"
    assert nodelock.lock_path(url) == tmp_path / "data" / "rooms.db.lock"
    assert nodelock.lock_path("sqlite+aiosqlite://") is None
    assert nodelock.lock_path("sqlite+aiosqlite:///:memory:") is None
