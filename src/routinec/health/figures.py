"""Health layer: the typed model of the health report. Pure data, no database import.

In: values computed by `health.queries` (the ledger), `health.history` (git history of
routines.lock) and the model table. Out: one frozen `Report` whose `to_json()` is the
`--format json` artifact (sorted keys, rates rounded to 4 places) and whose fields the HTML
renderer draws. Every figure is described in docs/report.md.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "ConsumerEdge",
    "CorrectionSignal",
    "DayCount",
    "FieldCount",
    "History",
    "LockChange",
    "ModelStatus",
    "Report",
    "RolloutEvent",
    "RolloutFigures",
    "RolloutSide",
    "RoutineFigures",
    "SchemaChange",
    "SchemaSignal",
    "VersionFigures",
    "VersioningSignal",
    "rate",
]


def rate(part: int, whole: int) -> float | None:
    """part / whole rounded to 4 places; None when there is nothing to divide by."""
    return round(part / whole, 4) if whole else None


# -- the ledger: per routine and version ---------------------------------------------------------


@dataclass(frozen=True)
class DayCount:
    """Runs of one version on one UTC day (the runs-over-time chart)."""

    day: str  # YYYY-MM-DD
    version: int
    runs: int


@dataclass(frozen=True)
class FieldCount:
    """A field of the output that corrections changed: how many `modified` outcomes touched it."""

    path: str  # JSON Pointer, list indices as `*`
    corrections: int


@dataclass(frozen=True)
class VersionFigures:
    routine: str
    version: int
    runs: int
    first_run: str | None
    last_run: str | None
    statuses: dict[str, int]  # status -> runs
    error_rate: float | None  # runs that ended without an output (error, refused, max-tokens, interrupted)
    invalid_output_rate: float | None  # runs whose output failed the output schema
    reviewed_runs: int  # runs with at least one outcome that counts (superseded ones never do)
    outcome_coverage: float | None  # reviewed_runs / runs
    verdicts: dict[str, int]  # verdict -> reviewed runs with that verdict
    verdict_rates: dict[str, float | None]  # verdict -> share of reviewed runs
    superseded_outcomes: int  # outcomes a later one overrides: listed, never counted
    corrected_fields: tuple[FieldCount, ...]  # most corrected first, at most 10
    latency_p50_ms: float | None
    latency_p95_ms: float | None
    input_tokens: int
    output_tokens: int
    cache_read_tokens: int
    cache_write_tokens: int
    tokens_per_run: float | None  # (input + output) / runs
    models: tuple[str, ...]  # snapshots that served the runs

    @property
    def rollback_rate(self) -> float | None:
        return self.verdict_rates.get("rolled-back")

    @property
    def correction_rate(self) -> float | None:
        return self.verdict_rates.get("modified")


@dataclass(frozen=True)
class RoutineFigures:
    name: str
    locked_version: int | None  # the version routines.lock holds now (None: not in the lock)
    runs: int
    versions: tuple[VersionFigures, ...]  # ascending version
    timeline: tuple[DayCount, ...]  # by day, then version


@dataclass(frozen=True)
class ModelStatus:
    """A model the lock pins or the ledger saw, and where it stands today."""

    snapshot: str
    lifecycle: str  # active | deprecated | retired | unknown, as of the report's day
    retires_at: str | None
    days_left: int | None  # until retirement (negative: retired that many days ago)
    in_lock: tuple[str, ...]  # routines whose lock entry pins it
    runs: int  # runs it served in the window
    routines: tuple[str, ...]  # "name vN" that ran on it in the window


# -- git history of routines.lock ----------------------------------------------------------------


@dataclass(frozen=True)
class ConsumerEdge:
    """A consumer listed by the routine, checked with `compat.accepts` before and after."""

    consumer: str
    accepted_before: bool | None  # None: the edge did not exist before
    accepted_after: bool
    broke: bool  # accepted (or new) before, rejects now
    findings: tuple[str, ...]  # the ERR findings after, `path: [rule] message`


@dataclass(frozen=True)
class SchemaChange:
    """One schema of a lock entry that changed, classified by `compat.compare`."""

    schema: str  # output | input
    compatibility: str  # FULL | BACKWARD | FORWARD | NONE | UNKNOWN (not comparable)
    breaking: bool  # an ERR finding: needs a version bump
    rules: tuple[str, ...]  # rule ids of the ERR and WARN findings


@dataclass(frozen=True)
class LockChange:
    """What one commit did to one routine's lock entry."""

    commit: str  # full sha
    date: str  # committer date, ISO 8601 UTC
    subject: str
    routine: str
    kind: str  # added | changed | removed
    from_version: int | None
    to_version: int | None
    bumped: bool  # the version went up
    schema_changes: tuple[SchemaChange, ...]
    consumers: tuple[ConsumerEdge, ...]  # checked when the output or a consumer schema changed
    clean: bool  # no breaking change without its bump, no version going down

    @property
    def needed_bump(self) -> bool:
        return any(s.breaking for s in self.schema_changes)


@dataclass(frozen=True)
class History:
    available: bool  # False: not a git checkout, no git, or the lock never committed
    note: str | None  # why not, or what was skipped
    lockfile: str  # the lock's path in the repository
    commits: int  # commits in the window that touched the lock
    changes: tuple[LockChange, ...]  # oldest first


# -- the three signals --------------------------------------------------------------------------


@dataclass(frozen=True)
class VersioningSignal:
    """Versioned cleanly: per routine, from the lock's git history in the window."""

    routine: str
    lock_changes: int
    version_bumps: int
    schema_changes: int  # lock changes that changed the input or output schema
    breaking_changes: int  # lock changes with a breaking schema change
    breaking_with_bump: int  # ... that came with the version bump they needed
    clean_changes: int
    clean_rate: float | None


@dataclass(frozen=True)
class CorrectionSignal:
    """Rollback and correction rate per version, from the ledger's outcomes."""

    routine: str
    version: int
    runs: int
    reviewed_runs: int
    rolled_back: int
    modified: int
    rollback_rate: float | None
    correction_rate: float | None


@dataclass(frozen=True)
class SchemaSignal:
    """Schema changes against consumers: each change, and whether an edge broke."""

    schema_changes: int
    breaking_changes: int
    output_changes: int
    consumer_edges_checked: int
    consumer_edges_broken: int
    changes_without_consumer_break: int  # output changes with consumers, all of which still accept


# -- rollouts: channels side by side, and their history ------------------------------------------


@dataclass(frozen=True)
class RolloutSide:
    """One channel's version over the canary's window (or the report's, without a canary)."""

    channel: str  # stable | canary | canary (aborted) | canary (promoted)
    version: int
    weight: int | None  # the canary's share of keys; None for stable
    runs: int
    outcomes: int
    rejected_rate: float | None  # (rejected + rolled-back) / outcomes
    modified_rate: float | None  # modified / outcomes
    invalid_output_rate: float | None  # runs without a valid output / runs
    error_rate: float | None  # failed runs / runs


@dataclass(frozen=True)
class RolloutEvent:
    recorded_at: str
    action: str  # canary | promote | abort | pin
    by: str | None
    why: str | None
    before: str  # channels as text: "stable v1, canary v2 at 20%"
    after: str


@dataclass(frozen=True)
class RolloutFigures:
    routine: str
    stable: int
    canary: int | None  # the running canary's version
    guard: str | None  # "rejected<=+5% after 50"
    guard_state: str | None  # pass | fail | pending (None: no running canary with a guard)
    guard_message: str | None
    since: str | None  # when the compared canary started
    sides: tuple[RolloutSide, ...]
    history: tuple[RolloutEvent, ...]


@dataclass(frozen=True)
class Report:
    project: str
    today: str  # the report's day (ROUTINEC_TODAY pins it)
    since: str  # ISO 8601 UTC: runs and lock commits from here on
    routine_filter: str | None
    ledger: str  # where the runs came from (a file name or a URL without credentials)
    total_runs: int
    total_outcomes: int  # outcomes that count, in the window
    routines: tuple[RoutineFigures, ...]
    models: tuple[ModelStatus, ...]
    history: History
    versioning: tuple[VersioningSignal, ...]
    corrections: tuple[CorrectionSignal, ...]
    schema_signal: SchemaSignal
    notes: tuple[str, ...] = field(default=())
    rollouts: tuple[RolloutFigures, ...] = field(default=())

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = _plain(self)
        data["format"] = "routinec-report/1"
        return data


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, float):
        return round(value, 4)
    return value
