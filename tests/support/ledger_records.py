"""Synthetic run records for ledger tests and benchmarks (no model call involved)."""

from __future__ import annotations

from typing import Any

from routinec.ledger.ids import uuid7
from routinec.ledger.model import RunRecord, utc_now


def make_run(**overrides: Any) -> RunRecord:
    now = utc_now()
    fields: dict[str, Any] = dict(
        run_id=uuid7(), started_at=now, ended_at=now, latency_ms=12.5, routine="summarize_pr", version=1,
        case=None, mode="live", entry_hash="sha256:" + "e" * 64, lock_digest="sha256:" + "l" * 64,
        git_commit=None, model_alias="claude-haiku-4-5", model_snapshot="claude-haiku-4-5-20251001",
        served_model="claude-haiku-4-5-20251001", params_digest="sha256:" + "p" * 64,
        request_hash="sha256:" + "r" * 64, input_digest="sha256:" + "i" * 64, output_digest="sha256:" + "o" * 64,
        output_schema_hash="sha256:" + "s" * 64, output_valid=True, status="ok", error_code=None,
        error_class=None, error_message=None, stop_reason="end_turn", response_id="msg_x", request_id="req_x",
        input_tokens=120, output_tokens=40, cache_read_tokens=0, cache_write_tokens=0, invoker="local",
        invoker_user="bench", invoker_job=None, invoker_run=None, invoker_repository=None, content="redacted",
        input_json='{"diff":"-a\\n+b","title":"Fix"}', output_json='{"risk":"low","summary":"s"}',
        content_truncated=False, routinec_version="0.1.0",
    )
    fields.update(overrides)
    return RunRecord(**fields)
