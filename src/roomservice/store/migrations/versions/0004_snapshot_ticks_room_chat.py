"""Snapshots keyed by step and tick; each room's chat saved as one row.

A ticking game is snapshotted every few seconds at the same step, so ``ticks`` joins the key. Chat
lines move from one row per line to one row per room, rewritten whole: its cost no longer grows with
the chat rate.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-21
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.rename_table("game_snapshots", "game_snapshots_0002")
    op.create_table(
        "game_snapshots",
        sa.Column("game_id", sa.String(36), sa.ForeignKey("games.id", ondelete="CASCADE"), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("ticks", sa.Integer(), nullable=False),
        sa.Column("state", sa.JSON(), nullable=False),
        sa.Column("at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("game_id", "step", "ticks", name="pk_game_snapshots"),
    )
    op.execute(
        "INSERT INTO game_snapshots (game_id, step, ticks, state, at) "
        "SELECT game_id, step, ticks, state, at FROM game_snapshots_0002"
    )
    op.drop_table("game_snapshots_0002")

    op.create_table(
        "room_chat",
        sa.Column("room_id", sa.String(36), primary_key=True),
        sa.Column("lines", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.Float(), nullable=False),
    )
    op.drop_table("chat_messages")


def downgrade() -> None:
    op.create_table(
        "chat_messages",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("room_id", sa.String(36), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("session_id", sa.String(36), nullable=False),
        sa.Column("username", sa.String(24), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("at", sa.String(40), nullable=False),
    )
    op.create_index("ix_chat_messages_room", "chat_messages", ["room_id", "seq"])
    op.drop_table("room_chat")
