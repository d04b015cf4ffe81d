"""Application layer: `routinec report`, the routine health report.

In: a `Config`, the `--since` window and an optional routine. Out: a `health.figures.Report`
built from the ledger (`health.queries`), the git history of routines.lock (`health.history`)
and the model table, and its two renderings (JSON, one self-contained HTML page) written
atomically. Bad input (an unknown routine, a bad --since, no ledger yet, a corrupt or newer
ledger) is one diagnostic with exit class 2, raised before anything is written.
"""

from __future__ import annotations

import datetime as _dt
import json
from collections import defaultdict
from pathlib import Path
from typing import TYPE_CHECKING

from routinec.codes import Code
from routinec.config import Config, env
from routinec.diagnostics import Diagnostic, DiagnosticError, Severity

if TYPE_CHECKING:
    from routinec.health.figures import (
        CorrectionSignal,
        History,
        ModelStatus,
        Report,
        RoutineFigures,
        SchemaSignal,
        VersioningSignal,
    )
    from routinec.health.queries import LedgerFigures
    from routinec.lockfile import Lock

__all__ = ["build_report", "report_json", "window_start", "write_report"]


def _bad(code: Code, message: str, hint: str | None) -> DiagnosticError:
    return DiagnosticError([Diagnostic(code, Severity.ERROR, message, None, hint)])


def _now() -> _dt.datetime:
    """Now; with ROUTINEC_TODAY pinned, the end of that day (so its runs are in the window)."""
    current = env()
    if current.today_text is None:
        return _dt.datetime.now(_dt.UTC)
    day = current.today
    return _dt.datetime(day.year, day.month, day.day, tzinfo=_dt.UTC) + _dt.timedelta(days=1)


def window_start(since: str) -> str:
    """`30d`, `12h`, `45m` before now, or a date: the window's lower bound, ISO UTC."""
    from routinec.ledger.api import parse_since

    return parse_since(since, _now())


def _current_lock(config: Config, notes: list[str]) -> Lock | None:
    from routinec.lockfile import read_lock

    if not config.lock_path.is_file():
        notes.append(f"no {config.lockfile}: models and locked versions come from the ledger alone")
        return None
    try:
        return read_lock(config.lock_path, check_hashes=False)
    except DiagnosticError as exc:
        notes.append(f"{config.lockfile} was not read: {exc.diagnostics[0].message}")
        return None


def _models(lock: Lock | None, ledger: LedgerFigures, today: _dt.date) -> tuple[ModelStatus, ...]:
    from routinec.health.figures import ModelStatus
    from routinec.modeltable import lifecycle_on, lookup

    pinned: dict[str, tuple[str, str | None, list[str]]] = {}
    for name, entry in sorted((lock.routines if lock else {}).items()):
        pin = entry.model
        pinned.setdefault(pin.snapshot, (pin.lifecycle, pin.retires_at, []))[2].append(name)
    out = []
    for snapshot in sorted(set(pinned) | set(ledger.models)):
        if snapshot in pinned:
            lifecycle, retires_at, routines = pinned[snapshot]
        else:
            info = lookup(snapshot)
            lifecycle, retires_at, routines = (info.lifecycle, info.retires_at, []) if info else ("unknown", None, [])
        stage = lifecycle_on(lifecycle, retires_at, today)
        days_left = None
        if retires_at:
            try:
                days_left = (_dt.date.fromisoformat(retires_at) - today).days
            except ValueError:
                days_left = None
        runs, names = ledger.models.get(snapshot, (0, set()))
        out.append(ModelStatus(snapshot, stage, retires_at, days_left, tuple(routines), runs, tuple(sorted(names))))
    rank = {"retired": 0, "deprecated": 1, "unknown": 2, "active": 3}
    return tuple(sorted(out, key=lambda m: (rank.get(m.lifecycle, 2), m.snapshot)))


def _versioning(history: History, names: list[str]) -> tuple[VersioningSignal, ...]:
    from routinec.health.figures import VersioningSignal, rate

    out = []
    for name in names:
        mine = [c for c in history.changes if c.routine == name]
        schema = [c for c in mine if c.schema_changes]
        breaking = [c for c in mine if c.needed_bump]
        clean = sum(1 for c in mine if c.clean)
        out.append(VersioningSignal(
            name, len(mine), sum(1 for c in mine if c.bumped), len(schema), len(breaking),
            sum(1 for c in breaking if c.bumped), clean, rate(clean, len(mine)),
        ))
    return tuple(out)


def _corrections(routines: tuple[RoutineFigures, ...]) -> tuple[CorrectionSignal, ...]:
    from routinec.health.figures import CorrectionSignal

    return tuple(
        CorrectionSignal(v.routine, v.version, v.runs, v.reviewed_runs, v.verdicts.get("rolled-back", 0),
                         v.verdicts.get("modified", 0), v.rollback_rate, v.correction_rate)
        for r in routines for v in r.versions
    )


def _schema_signal(history: History) -> SchemaSignal:
    from routinec.health.figures import SchemaSignal

    schema = [s for c in history.changes for s in c.schema_changes]
    outputs = [c for c in history.changes if any(s.schema == "output" for s in c.schema_changes)]
    edges = [e for c in history.changes for e in c.consumers]
    return SchemaSignal(
        schema_changes=len(schema),
        breaking_changes=sum(1 for s in schema if s.breaking),
        output_changes=len(outputs),
        consumer_edges_checked=len(edges),
        consumer_edges_broken=sum(1 for e in edges if e.broke),
        changes_without_consumer_break=sum(1 for c in outputs if c.consumers and not any(e.broke for e in c.consumers)),
    )


def _check_ledger_exists(config: Config) -> None:
    """A report reads a ledger; it never creates an empty one."""
    from routinec.ledger.api import ledger_exists, ledger_name

    if not ledger_exists(config):  # a SQLite file that is not there (a server is always tried)
        raise _bad(
            Code.LEDGER_UNAVAILABLE, f"no run ledger yet at {ledger_name(config)}",
            "record runs first ('routinec record', or 'routinec test --ledger' for replayed ones), then run the report",
        )


def build_report(config: Config, *, since: str = "30d", routine: str | None = None) -> Report:
    from routinec.health.figures import Report, RoutineFigures
    from routinec.health.history import lock_history

    bound = window_start(since)
    today = env().today
    _check_ledger_exists(config)
    from routinec.health.queries import ledger_figures, routine_known
    from routinec.ledger.api import Ledger, ledger_name

    notes: list[str] = []
    lock = _current_lock(config, notes)
    with Ledger.open(config=config) as ledger:
        if (routine is not None and (lock is None or routine not in lock.routines)
                and not ledger.store.read(lambda conn: routine_known(conn, routine))):
            known = sorted(lock.routines) if lock else []
            raise _bad(Code.UNKNOWN_ROUTINE, f"no routine {routine!r} in {config.lockfile} or the run ledger",
                       f"known routines: {', '.join(known)}" if known else "check the name")
        figures: LedgerFigures = ledger.store.read(lambda conn: ledger_figures(conn, bound, routine))
        shown = ledger_name(config)
        from routinec.health.rollout import rollout_figures

        rollouts = rollout_figures(ledger, lock, bound, routine)
    history = lock_history(config.root, config.lock_path, bound, routine)
    if history.note and history.available:
        notes.append(history.note)
    by_routine: dict[str, list[object]] = defaultdict(list)
    for (name, _version), item in figures.versions.items():
        by_routine[name].append(item)
    names = set(by_routine) | {c.routine for c in history.changes}
    if lock is not None:
        names |= set(lock.routines) if routine is None else {routine} & set(lock.routines)
    if routine is not None:
        names |= {routine}
    ordered = sorted(names)
    routines = tuple(
        RoutineFigures(
            name=name,
            locked_version=lock.routines[name].version if lock is not None and name in lock.routines else None,
            runs=sum(v.runs for v in figures.versions.values() if v.routine == name),
            versions=tuple(v for k, v in sorted(figures.versions.items()) if k[0] == name),
            timeline=tuple(figures.timeline.get(name, ())),
        )
        for name in ordered
    )
    if routine is not None:
        lock_for_models = None if lock is None else type(lock)(lock.format_version, lock.compiler_version,
                                                                {k: v for k, v in lock.routines.items() if k == routine})
    else:
        lock_for_models = lock
    return Report(
        project=config.root.name,
        today=today.isoformat(),
        since=bound,
        routine_filter=routine,
        ledger=shown,
        total_runs=sum(r.runs for r in routines),
        total_outcomes=figures.total_outcomes,
        routines=routines,
        models=_models(lock_for_models, figures, today),
        history=history,
        versioning=_versioning(history, ordered),
        corrections=_corrections(routines),
        schema_signal=_schema_signal(history),
        notes=tuple(notes),
        rollouts=rollouts,
    )


def report_json(report: Report) -> str:
    return json.dumps(report.to_json(), sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def write_report(report: Report, fmt: str, output: Path) -> None:
    """Write the HTML page or the JSON to `output` (temp file + rename: all or nothing)."""
    from routinec.canonical import atomic_write

    if fmt == "json":
        data = report_json(report).encode("utf-8")
    else:
        from routinec.health.render_html import render_html

        data = render_html(report).encode("utf-8")
    atomic_write(output, data)
