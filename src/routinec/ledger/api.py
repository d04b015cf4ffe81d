"""Ledger layer: `Ledger`, the API over a project's run ledger.

In: a project root (or its `Config`), run records from the runtime, outcomes from callers.
Out: appended records and outcomes, and the queries `runs`, `run`, `outcomes`. Opening
refuses a corrupt or foreign file and a newer schema (exit class 2) before anything is
written; every write is one transaction, so a refused outcome leaves the ledger as it was.
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from routinec import telemetry
from routinec.canonical import canonical_bytes, digest, loads
from routinec.codes import Code, extra_hint
from routinec.config import Config, display_url, env, ledger_url_from_env, load_config
from routinec.ledger.errors import LedgerError
from routinec.ledger.ids import uuid7
from routinec.ledger.model import (
    ROLLOUT_ACTIONS,
    STATUSES,
    Outcome,
    RolloutRecord,
    RunRecord,
    utc_now,
)
from routinec.ledger.outcomes import check_verdict, field_diff, validate_correction
from routinec.redact import Redactor
from routinec.rollout.guard import Counts

__all__ = ["Ledger", "ledger_exists", "ledger_name", "parse_since", "spool_path", "store_path", "store_target"]

_AGO = re.compile(r"(\d+)([dhm])")


def parse_since(text: str, now: _dt.datetime | None = None) -> str:
    """`30d`, `12h`, `45m` (ago) or a date/time (`2026-11-01`, ISO 8601) → an ISO UTC bound."""
    now = now or _dt.datetime.now(_dt.UTC)
    match = _AGO.fullmatch(text.strip())
    if match:
        amount, unit = int(match.group(1)), match.group(2)
        delta = {"d": _dt.timedelta(days=amount), "h": _dt.timedelta(hours=amount), "m": _dt.timedelta(minutes=amount)}[unit]
        when = now - delta
    else:
        try:
            when = _dt.datetime.fromisoformat(text.strip())
        except ValueError:
            raise LedgerError(Code.CONFIG, f"--since {text!r} is neither a duration nor a date",
                              hint="use e.g. 30d, 12h, 45m, 2026-11-01 or 2026-11-01T08:00:00Z") from None
        if when.tzinfo is None:
            when = when.replace(tzinfo=_dt.UTC)
    when = when.astimezone(_dt.UTC)
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


def spool_path(config: Config) -> Path:
    """Where run records wait when the ledger cannot be written."""
    return config.root / ".routinec" / "spool"


def store_target(config: Config) -> Path | str:
    """Where the ledger lives: ROUTINEC_LEDGER_URL, else `[tool.routinec.ledger] url`, else
    `path` (default .routinec/ledger.db). A SQLite file as its path, a server as its URL."""
    from_env = env().ledger_url
    url = ledger_url_from_env(from_env) if from_env is not None else config.ledger_url
    if url is None:
        return config.ledger_path
    if url.lower().startswith("sqlite:///"):
        path = Path(url[len("sqlite:///"):])
        return path if path.is_absolute() else config.root / path
    return url


def store_path(config: Config) -> Path | None:
    """The ledger's SQLite file, or None when the ledger is a server."""
    target = store_target(config)
    return target if isinstance(target, Path) else None


def ledger_exists(config: Config) -> bool:
    """Whether there is a ledger to open before the first record: a file that exists, or a
    configured server (which may be out of reach: then records go to the spool)."""
    target = store_target(config)
    return not isinstance(target, Path) or target.exists()


def ledger_name(config: Config) -> str:
    """The ledger as messages and pages name it: its file (relative to the project when it is
    inside), or its server's URL with any password masked."""
    target = store_target(config)
    if isinstance(target, Path):
        return target.relative_to(config.root).as_posix() if target.is_relative_to(config.root) else str(target)
    return display_url(target)


class Ledger:
    """A project's run ledger. `Ledger.open(root)` like `Runtime(root)`."""

    def __init__(self, config: Config) -> None:
        try:
            from routinec.ledger.store import Store
        except ModuleNotFoundError as exc:
            if exc.name != "sqlalchemy":
                raise
            raise LedgerError(Code.MISSING_EXTRA, "the run ledger needs SQLAlchemy, which is not installed",
                              hint=extra_hint("ledger")) from None

        self.config = config
        self.path = store_path(config)  # None for a server
        self.store = Store(store_target(config))
        self._redactor = Redactor(config.redact)

    @classmethod
    def open(cls, project_root: str | Path | None = None, *, config: Config | None = None) -> Ledger:
        return cls(config or load_config(Path(project_root) if project_root is not None else None))

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.store.close()

    # -- run records ----------------------------------------------------------------------------

    def append(self, record: RunRecord) -> None:
        self.store.append_run(record)

    def append_many(self, records: Sequence[RunRecord]) -> None:
        """One transaction for the batch (imports, benchmarks, a spool being delivered)."""
        self.store.append_runs(records)

    def sync(self) -> Any:
        """Deliver the spooled run records (`routinec ledger sync`); a `spool.Delivery`."""
        from routinec.ledger.spool import Spool

        return Spool(spool_path(self.config)).deliver(self.store)

    def run(self, run_id: str) -> RunRecord:
        found = self.store.run(run_id.strip())
        if found is None:
            raise LedgerError(Code.UNKNOWN_RUN, f"no run {run_id!r} in {self.store.name}",
                              hint="list runs with 'routinec ledger ls'; a run of another project is in that project's ledger",
                              path=self.path)
        return found

    def runs(
        self, *, routine: str | None = None, version: int | None = None, status: str | None = None,
        since: str | _dt.datetime | None = None, limit: int | None = None,
    ) -> list[RunRecord]:
        if status is not None and status not in STATUSES:
            raise LedgerError(Code.CONFIG, f"unknown run status {status!r}", hint=f"use one of {', '.join(STATUSES)}")
        bound = None
        if isinstance(since, _dt.datetime):
            bound = parse_since(since.isoformat())
        elif since is not None:
            bound = parse_since(since)
        return self.store.runs(routine=routine, version=version, status=status, since=bound, limit=limit)

    # -- outcomes ------------------------------------------------------------------------------------

    def outcomes(self, run_id: str) -> list[Outcome]:
        """Every outcome of the run, oldest first (superseded ones included)."""
        return self.store.outcomes([run_id])

    def current_outcomes(self, run_id: str) -> list[Outcome]:
        """The outcomes that count: those no later outcome overrides."""
        every = self.outcomes(run_id)
        superseded = {o.overrides for o in every if o.overrides}
        return [o for o in every if o.outcome_id not in superseded]

    def outcome(
        self, run_id: str, verdict: str, *, correction: Any = None, by: str | None = None,
        comment: str | None = None, source: str = "human", overrides: str | None = None,
    ) -> Outcome:
        """Append what became of run `run_id`'s output; returns the stored outcome."""
        check_verdict(verdict, source, correction)
        run = self.run(run_id)
        diff = None
        correction_json = correction_digest = None
        if correction is not None:
            # JSON text, or a JSON value (Decimals and floats alike): numbers compared as decimals.
            correction = loads(correction if isinstance(correction, str | bytes) else canonical_bytes(correction))
            validate_correction(self.config, run, correction)
            correction_digest = digest(correction)
            keep_values = run.content == "redacted"
            if keep_values:
                correction_json = canonical_bytes(self._redactor.value(correction)).decode("utf-8")
            if run.output_json is not None and not run.content_truncated:
                changes = field_diff(loads(run.output_json), loads(correction_json or "null"))
            else:
                changes = [{"path": "", "op": "replaced"}]  # no stored original to compare with
            diff = canonical_bytes(changes).decode("utf-8")
        record = Outcome(
            outcome_id=uuid7(),
            run_id=run.run_id,
            recorded_at=utc_now(),
            verdict=verdict,
            source=source,
            by=by,
            comment=self._redactor.text(comment) if comment is not None else None,
            correction_json=correction_json,
            correction_digest=correction_digest,
            diff_json=diff,
            overrides=overrides,
        )
        self.store.append_outcome(record)
        # A `gen_ai.evaluation.result` event when a tracer provider is set; else nothing.
        telemetry.evaluation_event(
            run_id=run.run_id, routine=run.routine, version=run.version, response_id=run.response_id,
            verdict=verdict, source=source, outcome_id=record.outcome_id, overrides=overrides,
            fields_changed=len(loads(diff)) if diff is not None else None,
        )
        return record

    # -- rollouts ---------------------------------------------------------------------------------

    def rollout(
        self, routine: str, action: str, *, by: str | None, why: str | None, before: Any, after: Any,
        lock_digest: str,
    ) -> RolloutRecord:
        """Append one change of `routine`'s channels (`before`/`after`: channels JSON)."""
        if action not in ROLLOUT_ACTIONS:
            raise LedgerError(Code.INTERNAL, f"unknown rollout action {action!r}")
        record = RolloutRecord(
            rollout_id=uuid7(), recorded_at=utc_now(), routine=routine, action=action, by=by,
            why=self._redactor.text(why) if why is not None else None,
            from_json=canonical_bytes(before).decode("utf-8"), to_json=canonical_bytes(after).decode("utf-8"),
            lock_digest=lock_digest,
        )
        self.store.append_rollout(record)
        return record

    def rollouts(self, routine: str | None = None) -> list[RolloutRecord]:
        """Every change of channels, oldest first."""
        return self.store.rollouts(routine)

    def counts(self, routine: str, version: int, since: str | None = None) -> Counts:
        """What a canary guard reads: `routine` at `version`'s runs and current outcomes."""
        raw = self.store.version_counts(routine, version, since)
        return Counts(
            runs=sum(n for k, n in raw.items() if k.startswith("status:")),
            invalid_output=sum(raw.get(f"status:{s}", 0) for s in ("invalid-output", "refused", "max-tokens")),
            errors=raw.get("status:error", 0),
            outcomes=sum(n for k, n in raw.items() if k.startswith("verdict:")),
            rejected=raw.get("verdict:rejected", 0) + raw.get("verdict:rolled-back", 0),
            modified=raw.get("verdict:modified", 0),
        )
