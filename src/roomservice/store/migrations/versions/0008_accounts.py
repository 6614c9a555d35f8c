"""Accounts: a username (unique whatever its case) and an Argon2id password hash; a session may belong
to one, and a session signed out (logout, "sign out other devices") is marked revoked.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "accounts",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("username", sa.String(24), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
    )
    # Usernames are ASCII (letters, digits, '_' and '-'), so lower() folds case the same on both backends.
    op.create_index("uq_accounts_username", "accounts", [sa.text("lower(username)")], unique=True)
    with op.batch_alter_table("sessions") as batch:
        batch.add_column(sa.Column("account_id", sa.String(36), nullable=True))
        batch.add_column(sa.Column("revoked_at", sa.Float(), nullable=True))
        batch.create_foreign_key(
            "fk_sessions_account", "accounts", ["account_id"], ["id"], ondelete="CASCADE"
        )
    op.create_index("ix_sessions_account", "sessions", ["account_id"])


def downgrade() -> None:
    op.drop_index("ix_sessions_account", table_name="sessions")
    with op.batch_alter_table("sessions") as batch:
        batch.drop_constraint("fk_sessions_account", type_="foreignkey")
        batch.drop_column("revoked_at")
        batch.drop_column("account_id")
    op.drop_index("uq_accounts_username", table_name="accounts")
    op.drop_table("accounts")
