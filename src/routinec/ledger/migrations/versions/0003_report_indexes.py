"""Schema version 3: covering indexes for `routinec report`, so its per-routine, per-version
aggregates (statuses, models, tokens; latency percentiles) walk an index instead of sorting
and fetching every run (docs/report.md: 1,000,000 runs in ~4 s of CPU instead of ~16 s).

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_runs_report_status", "runs",
        ["routine", "version", "status", "model_snapshot", "started_at",
         "input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens"],
    )
    op.create_index("ix_runs_report_latency", "runs", ["routine", "version", "latency_ms", "started_at"])


def downgrade() -> None:
    raise NotImplementedError("the ledger is append-only: no downgrades")
