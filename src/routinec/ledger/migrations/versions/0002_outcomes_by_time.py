"""Schema version 2: an index on outcomes(recorded_at), for the report's outcome-rate queries
over a time window (runs are already indexed by time, and outcomes by run).

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_outcomes_recorded", "outcomes", ["recorded_at"])


def downgrade() -> None:
    raise NotImplementedError("the ledger is append-only: no downgrades")
