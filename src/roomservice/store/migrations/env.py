"""Alembic environment. Runs on the connection handed in by :func:`roomservice.store.migrate.upgrade`,
or, from the ``alembic`` command line, on ``sqlalchemy.url`` / ``ROOMSERVICE_DATABASE_URL``."""

from __future__ import annotations

import asyncio
import os

from alembic import context
from sqlalchemy.engine import Connection

from roomservice.store.database import create_engine
from roomservice.store.models import Base

config = context.config
target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_online(url: str) -> None:
    engine = create_engine(url)
    async with engine.begin() as conn:
        await conn.run_sync(_run)
    await engine.dispose()


connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    url = os.environ.get("ROOMSERVICE_DATABASE_URL") or config.get_main_option("sqlalchemy.url")
    if not url:
        raise SystemExit("set ROOMSERVICE_DATABASE_URL or sqlalchemy.url")
    asyncio.run(_run_online(url))
