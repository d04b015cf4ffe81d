"""Schema version 4: rollouts. A `rollouts` table (every change of a routine's channels by
`routinec rollout`: who, when, why, from, to, and the lock bytes it wrote), and on `runs` the
channel a run's version came from and the reason (PIN | SPLIT | DEFAULT); both nullable, so
the runs recorded before keep their rows as they were.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("runs", sa.Column("channel", sa.Text))
    op.add_column("runs", sa.Column("route_reason", sa.Text))
    op.create_table(
        "rollouts",
        sa.Column("rollout_id", sa.String(36), primary_key=True),
        sa.Column("recorded_at", sa.Text, nullable=False),
        sa.Column("routine", sa.Text, nullable=False),
        sa.Column("action", sa.Text, nullable=False),
        sa.Column("by", sa.Text),
        sa.Column("why", sa.Text),
        sa.Column("from_json", sa.Text, nullable=False),
        sa.Column("to_json", sa.Text, nullable=False),
        sa.Column("lock_digest", sa.Text, nullable=False),
    )
    op.create_index("ix_rollouts_routine_recorded", "rollouts", ["routine", "recorded_at"])


def downgrade() -> None:
    raise NotImplementedError("the ledger is append-only: no downgrades")
