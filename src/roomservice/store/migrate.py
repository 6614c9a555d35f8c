"""Apply the Alembic migrations shipped inside the package."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import text
from sqlalchemy.engine import Connection

from roomservice.store.database import Database

MIGRATIONS = Path(__file__).parent / "migrations"
#: The advisory lock migrations take on PostgreSQL: "rsmigrat" as a big-endian 64-bit number.
MIGRATION_LOCK = int.from_bytes(b"rsmigrat", "big")


def alembic_config(url: str = "") -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    if url:
        cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


async def upgrade(db: Database, revision: str = "head") -> None:
    """Bring the database to ``revision`` (default: the latest).

    On PostgreSQL the whole upgrade is one transaction holding an advisory lock, so processes that
    start together take turns: the first migrates, the others then find nothing left to do. (On
    SQLite one process serves a database; ``store.nodelock`` sees to that before it migrates.)"""

    def run(connection: Connection) -> None:
        cfg = alembic_config()
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, revision)

    async with db.engine.begin() as conn:
        if not db.sqlite:
            # Nodes starting together migrate one after the other: the later ones find it done.
            await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
        await conn.run_sync(run)
