"""Leaderboards: each player's result of each finished game, and each player's standing per game.

Revision ID: 0007
Revises: 0005
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "leaderboard_results",
        sa.Column("game_id", sa.String(36), primary_key=True),
        sa.Column("player_id", sa.String(64), primary_key=True),
        sa.Column("game", sa.String(64), nullable=False),
        sa.Column("placement", sa.Integer(), nullable=False),
        sa.Column("win", sa.Boolean(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("finished_at", sa.Float(), nullable=False),
    )
    op.create_table(
        "leaderboard",
        sa.Column("game", sa.String(64), primary_key=True),
        sa.Column("player_id", sa.String(64), primary_key=True),
        sa.Column("username", sa.String(24), nullable=False),
        sa.Column("wins", sa.Integer(), nullable=False),
        sa.Column("played", sa.Integer(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("updated_at", sa.Float(), nullable=False),
    )
    op.create_index("ix_leaderboard_game_score", "leaderboard", ["game", "score"])


def downgrade() -> None:
    op.drop_index("ix_leaderboard_game_score", table_name="leaderboard")
    op.drop_table("leaderboard")
    op.drop_table("leaderboard_results")
