"""Application layer: `routinec outcome`, `routinec ledger ls` and `routinec ledger show`.

In: a `Config` and the parsed flags. Out: the stored outcome, or run records with their
outcomes, as plain JSON-ready dicts for the CLI to render. Bad input (an unknown run, a
verdict outside the list, a correction that does not validate or does not parse) is a
diagnostic with exit class 2, raised before anything is written.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from routinec.codes import Code
from routinec.config import Config, env
from routinec.diagnostics import Diagnostic, DiagnosticError, Severity, Span

if TYPE_CHECKING:
    from routinec.ledger.model import Outcome, RunRecord
    from routinec.ledger.spool import Delivery

__all__ = ["list_runs", "record_outcome", "run_json", "show_run", "sync_spool"]


def _read_correction(path: Path) -> Any:
    try:
        return json.loads(path.read_bytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DiagnosticError([Diagnostic(
            Code.INVALID_JSON, Severity.ERROR, f"the correction is not JSON: {exc}", Span(str(path)),
            "write the corrected output as one JSON object",
        )]) from None


def record_outcome(
    config: Config, run_id: str, verdict: str, *, correction: Path | None = None, by: str | None = None,
    comment: str | None = None, source: str = "human", overrides: str | None = None,
) -> Outcome:
    from routinec.ledger.api import Ledger
    from routinec.ledger.invoker import detect_invoker

    value = _read_correction(correction) if correction is not None else None
    if by is None:
        by = detect_invoker(dict(env().invoker_vars)).user
    with Ledger.open(config=config) as ledger:
        return ledger.outcome(run_id, verdict, correction=value, by=by, comment=comment, source=source, overrides=overrides)


def list_runs(
    config: Config, *, routine: str | None = None, version: int | None = None, status: str | None = None,
    since: str | None = None, limit: int | None = None,
) -> list[dict[str, Any]]:
    from routinec.ledger.api import Ledger

    with Ledger.open(config=config) as ledger:
        records = ledger.runs(routine=routine, version=version, status=status, since=since)
        if limit:
            records = records[-limit:]  # the most recent
        found = ledger.store.outcomes([r.run_id for r in records]) if records else []
    by_run: dict[str, list[Outcome]] = {}
    for item in found:
        by_run.setdefault(item.run_id, []).append(item)
    return [run_json(r, by_run.get(r.run_id, []), content=False) for r in records]


def show_run(config: Config, run_id: str) -> dict[str, Any]:
    from routinec.ledger.api import Ledger

    with Ledger.open(config=config) as ledger:
        record = ledger.run(run_id)
        return run_json(record, ledger.outcomes(record.run_id), content=True)


def _current(outcomes: list[Outcome]) -> list[Outcome]:
    superseded = {o.overrides for o in outcomes if o.overrides}
    return [o for o in outcomes if o.outcome_id not in superseded]


def run_json(record: RunRecord, outcomes: list[Outcome], *, content: bool) -> dict[str, Any]:
    """A run record with its outcomes as one JSON object (`verdict`: the outcomes that count)."""
    data = record.to_row()
    if not content:
        data.pop("input_json")
        data.pop("output_json")
    else:
        for key in ("input_json", "output_json"):
            text = data.pop(key)
            name = key.removesuffix("_json")
            data[name] = json.loads(text) if text is not None and not record.content_truncated else text
    items = []
    current = {o.outcome_id for o in _current(outcomes)}
    for item in outcomes:
        row = item.to_row()
        for key in ("correction_json", "diff_json"):
            text = row.pop(key)
            row[key.removesuffix("_json")] = json.loads(text) if text is not None else None
        row["superseded"] = item.outcome_id not in current
        items.append(row)
    data["outcomes"] = items
    data["verdict"] = sorted({o.verdict for o in outcomes if o.outcome_id in current})
    return data


def sync_spool(config: Config) -> Delivery:
    from routinec.ledger.api import Ledger

    with Ledger.open(config=config) as ledger:
        delivered: Delivery = ledger.sync()
        return delivered
