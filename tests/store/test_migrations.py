"""Upgrading a database that already holds games keeps every snapshot, on either backend."""

from __future__ import annotations

import asyncio
import os
import sys

import pytest
from sqlalchemy import text

from roomservice.store import games
from roomservice.store.database import Database
from roomservice.store.migrate import upgrade


async def test_snapshots_survive_the_upgrade_and_may_share_a_step(database_url: str) -> None:
    db = Database(database_url)
    try:
        await upgrade(db, "0003")
        async with db.write() as conn:
            await conn.execute(
                text(
                    "INSERT INTO games (id, room_id, game_no, game, seed, options, players, dev, started_at) "
                    "VALUES ('g', 'r', 1, 'pulse', 7, '{}', '[]', false, 0)"
                )
            )
            await conn.execute(
                text(
                    "INSERT INTO game_snapshots (game_id, step, ticks, state, at) VALUES ('g', 0, 0, '{}', 0)"
                )
            )
        await upgrade(db)
        async with db.write() as conn:
            # A ticking game saved twice at the same step.
            await games.write(conn, [games.SnapshotEntry("g", 0, 150, {"ticks": 150}, 5.0)])
            await games.write(conn, [games.SnapshotEntry("g", 0, 300, {"ticks": 300}, 10.0)])
        async with db.read() as conn:
            latest = await games.latest_snapshot(conn, "g")
            count = await conn.scalar(text("SELECT count(*) FROM game_snapshots"))
        assert latest is not None and latest.ticks == 300 and latest.state == {"ticks": 300}
        assert count == 3
    finally:
        await db.close()


@pytest.mark.slow
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_processes_migrating_together_take_turns(database_url: str) -> None:
    db = Database(database_url)
    try:
        async with db.write() as conn:
            tables = (
                await conn.execute(
                    text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
                )
            ).scalars()
            await conn.execute(
                text("DROP TABLE IF EXISTS " + ", ".join(f'"{t}"' for t in tables) + " CASCADE")
            )
        env = {**os.environ, "ROOMSERVICE_DATABASE_URL": database_url}
        migrations = [
            await asyncio.create_subprocess_exec(
                sys.executable, "-m", "roomservice.cli", "migrate", env=env, stderr=asyncio.subprocess.PIPE
            )
            for _ in range(3)
        ]
        outcomes = [await asyncio.wait_for(p.communicate(), 60) for p in migrations]
        assert [p.returncode for p in migrations] == [0, 0, 0], [err.decode()[-500:] for _, err in outcomes]
        async with db.read() as conn:
            versions = (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalars().all()
            rooms = await conn.scalar(text("SELECT count(*) FROM rooms"))
        assert len(versions) == 1 and rooms == 0
    finally:
        await db.close()
