"""Schema version 1, the baseline: runs, outcomes, schema_version (as routinec 0.1 made them).

Frozen: this creates what version 1 had, not today's `store.metadata`. A SQLite ledger made
before Alembic took over (it has `schema_version` row 1 and no `alembic_version`) is stamped
at this revision instead of running it.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "schema_version",
        sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("applied_at", sa.Text, nullable=False),
        sa.Column("routinec_version", sa.Text, nullable=False),
    )
    op.create_table(
        "runs",
        sa.Column("run_id", sa.String(36), primary_key=True),
        sa.Column("started_at", sa.Text, nullable=False),
        sa.Column("ended_at", sa.Text, nullable=False),
        sa.Column("latency_ms", sa.Float, nullable=False),
        sa.Column("routine", sa.Text, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("case", sa.Text),
        sa.Column("mode", sa.Text, nullable=False),
        sa.Column("entry_hash", sa.Text, nullable=False),
        sa.Column("lock_digest", sa.Text),
        sa.Column("git_commit", sa.Text),
        sa.Column("model_alias", sa.Text, nullable=False),
        sa.Column("model_snapshot", sa.Text, nullable=False),
        sa.Column("served_model", sa.Text),
        sa.Column("params_digest", sa.Text, nullable=False),
        sa.Column("request_hash", sa.Text),
        sa.Column("input_digest", sa.Text),
        sa.Column("output_digest", sa.Text),
        sa.Column("output_schema_hash", sa.Text, nullable=False),
        sa.Column("output_valid", sa.Boolean, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("error_code", sa.Text),
        sa.Column("error_class", sa.Text),
        sa.Column("error_message", sa.Text),
        sa.Column("stop_reason", sa.Text),
        sa.Column("response_id", sa.Text),
        sa.Column("request_id", sa.Text),
        sa.Column("input_tokens", sa.Integer),
        sa.Column("output_tokens", sa.Integer),
        sa.Column("cache_read_tokens", sa.Integer),
        sa.Column("cache_write_tokens", sa.Integer),
        sa.Column("invoker", sa.Text, nullable=False),
        sa.Column("invoker_user", sa.Text),
        sa.Column("invoker_job", sa.Text),
        sa.Column("invoker_run", sa.Text),
        sa.Column("invoker_repository", sa.Text),
        sa.Column("content", sa.Text, nullable=False),
        sa.Column("input_json", sa.Text),
        sa.Column("output_json", sa.Text),
        sa.Column("content_truncated", sa.Boolean, nullable=False),
        sa.Column("routinec_version", sa.Text, nullable=False),
    )
    op.create_index("ix_runs_routine_version_started", "runs", ["routine", "version", "started_at"])
    op.create_index("ix_runs_started", "runs", ["started_at"])
    op.create_index("ix_runs_status_started", "runs", ["status", "started_at"])
    op.create_table(
        "outcomes",
        sa.Column("outcome_id", sa.String(36), primary_key=True),
        sa.Column("run_id", sa.String(36), sa.ForeignKey("runs.run_id"), nullable=False),
        sa.Column("recorded_at", sa.Text, nullable=False),
        sa.Column("verdict", sa.Text, nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("by", sa.Text),
        sa.Column("comment", sa.Text),
        sa.Column("correction_json", sa.Text),
        sa.Column("correction_digest", sa.Text),
        sa.Column("diff_json", sa.Text),
        sa.Column("overrides", sa.String(36), sa.ForeignKey("outcomes.outcome_id")),
    )
    op.create_index("ix_outcomes_run", "outcomes", ["run_id", "recorded_at"])
    op.create_index("ix_outcomes_overrides", "outcomes", ["overrides"])


def downgrade() -> None:
    raise NotImplementedError("the ledger is append-only: no downgrades")
