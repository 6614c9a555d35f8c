"""Each room's frame-number high-water mark.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "room_seq",
        sa.Column("room_id", sa.String(36), primary_key=True),
        sa.Column("hwm", sa.BigInteger(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("room_seq")
