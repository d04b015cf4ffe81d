"""Ledger layer: the typed records the run ledger holds. Pure data, no database import.

In: values the runtime and the outcome API produce. Out: frozen `RunRecord` and `Outcome`
dataclasses whose fields are the ledger tables' columns one to one (docs/ledger.md), plus the
closed vocabularies (`STATUSES`, `VERDICTS`, `SOURCES`). Records are appended, never updated:
a verdict that changes is a new `Outcome` naming the one it `overrides`.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
from dataclasses import dataclass
from typing import Any

__all__ = ["ROLLOUT_ACTIONS", "SOURCES", "STATUSES", "VERDICTS", "Outcome", "RolloutRecord", "RunRecord", "utc_now"]

# What became of a run. `ok`: a validated output; the rest name why there is none.
STATUSES = ("ok", "error", "invalid-output", "refused", "max-tokens", "interrupted")
VERDICTS = ("accepted", "modified", "rejected", "rolled-back")
SOURCES = ("human", "pipeline", "code", "judge")
ROLLOUT_ACTIONS = ("canary", "promote", "abort", "pin")


def utc_now() -> str:
    """The current UTC time as ISO 8601 with milliseconds and a `Z` (sorts as text)."""
    now = _dt.datetime.now(_dt.UTC)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"


@dataclass(frozen=True, slots=True)
class RunRecord:
    """One model call made through a `Runtime` (live, record, or replay when asked)."""

    run_id: str  # UUIDv7: sorts by start time
    started_at: str  # ISO 8601 UTC, ms
    ended_at: str
    latency_ms: float  # wall time of the whole run (render, call, validate)
    routine: str
    version: int
    case: str | None  # the locked test case, when the run was one
    mode: str  # live | record | replay
    entry_hash: str  # the lock entry that ran
    lock_digest: str | None  # sha256 of routines.lock's bytes
    git_commit: str | None  # `git rev-parse HEAD` of the project, None outside git
    model_alias: str
    model_snapshot: str  # the pinned snapshot requested
    served_model: str | None  # the model the response names
    params_digest: str  # digest of the locked parameters
    request_hash: str | None
    input_digest: str | None  # digest of the validated input (None: it never validated)
    output_digest: str | None  # digest of the validated output (None: no valid output)
    output_schema_hash: str
    output_valid: bool
    status: str  # one of STATUSES
    error_code: str | None  # a routinec diagnostic code (`api-error`, `invalid-output`, …)
    error_class: str | None  # the exception class
    error_message: str | None  # redacted, one line
    stop_reason: str | None
    response_id: str | None  # the message id (`msg_…`)
    request_id: str | None  # the API's request-id header
    input_tokens: int | None
    output_tokens: int | None
    cache_read_tokens: int | None
    cache_write_tokens: int | None
    invoker: str  # github-actions | gitlab-ci | buildkite | circleci | jenkins | ci | local
    invoker_user: str | None
    invoker_job: str | None
    invoker_run: str | None
    invoker_repository: str | None
    content: str  # redacted | digests: what input_json/output_json hold
    input_json: str | None  # redacted canonical JSON, cut at the size cap
    output_json: str | None
    content_truncated: bool
    routinec_version: str
    # schema version 4 (rollouts): the channel the version came from and why (PIN | SPLIT |
    # DEFAULT); None on records written before, and on runs of a routine without channels.
    channel: str | None = None
    route_reason: str | None = None

    def to_row(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}

    @classmethod
    def from_row(cls, row: Any) -> RunRecord:
        data = dict(row)
        # A spooled record written before schema version 4 lacks the rollout fields.
        return cls(**{f.name: data[f.name] for f in dataclasses.fields(cls) if f.name in data or f.default is dataclasses.MISSING})


@dataclass(frozen=True, slots=True)
class Outcome:
    """What became of a run's output: one verdict, by whom, with a correction if modified."""

    outcome_id: str  # UUIDv7
    run_id: str
    recorded_at: str
    verdict: str  # one of VERDICTS
    source: str  # one of SOURCES
    by: str | None
    comment: str | None  # redacted
    correction_json: str | None  # the corrected output, redacted (content = redacted)
    correction_digest: str | None
    diff_json: str | None  # field-level difference from the run's output: [{path, op, ...}]
    overrides: str | None  # the outcome_id this one supersedes

    def to_row(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}

    @classmethod
    def from_row(cls, row: Any) -> Outcome:
        data = dict(row)
        return cls(**{f.name: data[f.name] for f in dataclasses.fields(cls)})


@dataclass(frozen=True, slots=True)
class RolloutRecord:
    """One change of a routine's channels (`routinec rollout`): who, when, why, from, to."""

    rollout_id: str  # UUIDv7
    recorded_at: str
    routine: str
    action: str  # one of ROLLOUT_ACTIONS
    by: str | None
    why: str | None  # redacted
    from_json: str  # the channels before (canonical JSON; {"stable": N, "canary": …})
    to_json: str  # the channels after
    lock_digest: str  # sha256 of the routines.lock bytes written

    def to_row(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}

    @classmethod
    def from_row(cls, row: Any) -> RolloutRecord:
        data = dict(row)
        return cls(**{f.name: data[f.name] for f in dataclasses.fields(cls)})
