"""Rows the store's tests start from."""

from __future__ import annotations

from roomservice.store.database import Database
from roomservice.store.models import RoomRow


async def insert_room(db: Database, room_id: str, code: str, game: str = "cabo") -> None:
    """A room row of ``game``, WAITING, its last activity at 1.0."""
    async with db.write() as conn:
        await conn.execute(
            RoomRow.__table__.insert().values(  # type: ignore[attr-defined]
                id=room_id,
                code=code,
                name="r",
                game=game,
                private=True,
                config={"max_players": 4, "nested": [1, 2]},
                capacity=4,
                idle_timeout=600,
                player_count=0,
                state="WAITING",
                creator_session_id="s",
                created_at=1.0,
                last_activity=1.0,
            )
        )
