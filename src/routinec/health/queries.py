"""Health layer: the ledger's figures, computed in the database (SQLAlchemy Core).

In: a connection to the ledger (SQLite or PostgreSQL), the window's lower bound and an
optional routine. Out: `LedgerFigures`: per routine and version the run counts by status,
tokens, latency percentiles, outcome verdicts (superseded outcomes never count) and the
fields corrections changed, plus runs per day and per model. Every query aggregates with
GROUP BY or window functions, both dialects' own; Python only folds the grouped rows.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from routinec.health.figures import DayCount, FieldCount, VersionFigures, rate
from routinec.ledger.model import VERDICTS
from routinec.ledger.store import outcomes, runs

__all__ = ["REPORT_INDEXES", "LedgerFigures", "ledger_figures", "routine_known"]

# Status values that end a run without an output (invalid-output has its own rate).
_NO_OUTPUT = ("error", "refused", "max-tokens", "interrupted")
TOP_FIELDS = 10

# The covering indexes that turn the report's scans into index-only walks (docs/report.md:
# 1,000,000 runs in seconds instead of tens of seconds on SQLite). Ledger schema version 3
# creates them (ledger/migrations/versions/0003); the queries are correct without them (a
# ledger whose indexes were dropped) and use them when they exist.
REPORT_INDEXES = ("ix_runs_report_status", "ix_runs_report_latency")


@dataclass
class LedgerFigures:
    versions: dict[tuple[str, int], VersionFigures] = field(default_factory=dict)
    timeline: dict[str, list[DayCount]] = field(default_factory=dict)
    # snapshot -> (runs, {"routine vN", ...})
    models: dict[str, tuple[int, set[str]]] = field(default_factory=dict)
    total_outcomes: int = 0


def _window(since: str, routine: str | None) -> list[Any]:
    where: list[Any] = [runs.c.started_at >= since]
    if routine is not None:
        where.append(runs.c.routine == routine)
    return where


def routine_known(conn: Connection, routine: str) -> bool:
    """Whether the ledger holds any run of `routine`, at any time."""
    query = sa.select(runs.c.run_id).where(runs.c.routine == routine).limit(1)
    return conn.execute(query).first() is not None


def _leading(conn: Connection, columns: list[str]) -> bool:
    """Whether an index on `runs` starts with `columns`."""
    return any(list(index["column_names"][: len(columns)]) == columns for index in sa.inspect(conn).get_indexes("runs"))


def _scan(where: list[Any], since: str) -> list[Any]:
    """The window as an expression SQLite cannot answer from ix_runs_started: for a scan of
    most of the table, searching that index and fetching each row at random took 12 s for
    1,000,000 runs, against 2 s for reading the table in order."""
    return [runs.c.started_at.concat("") >= since, *where[1:]]


def _by_status(conn: Connection, where: list[Any], since: str) -> list[Any]:
    """Runs, first and last start, and tokens per routine, version, status and model. The
    GROUP BY is the leading columns of the covering index docs/report.md recommends, so with
    it SQLite streams the groups from the index without sorting or touching the table."""
    zero = sa.literal(0)
    keys: tuple[Any, ...] = (runs.c.routine, runs.c.version, runs.c.status, runs.c.model_snapshot)
    if conn.dialect.name == "sqlite" and not _leading(conn, ["routine", "version", "status", "model_snapshot"]):
        # Without it, SQLite would walk the (routine, version, started_at) index for the
        # grouping order and fetch every row at random (21 s for 1,000,000 runs); grouping by
        # an expression makes it scan the table in order and sort (7 s).
        keys = (runs.c.routine.concat("").label("routine"), *keys[1:])
        where = _scan(where, since)
    query = (
        sa.select(
            *keys,
            sa.func.count().label("n"),
            sa.func.min(runs.c.started_at).label("first"),
            sa.func.max(runs.c.started_at).label("last"),
            sa.func.sum(sa.func.coalesce(runs.c.input_tokens, zero)).label("tin"),
            sa.func.sum(sa.func.coalesce(runs.c.output_tokens, zero)).label("tout"),
            sa.func.sum(sa.func.coalesce(runs.c.cache_read_tokens, zero)).label("tcr"),
            sa.func.sum(sa.func.coalesce(runs.c.cache_write_tokens, zero)).label("tcw"),
        )
        .where(*where)
        .group_by(*keys)
    )
    return list(conn.execute(query).all())


def _by_day(conn: Connection, where: list[Any]) -> list[Any]:
    """Runs per routine, version and UTC day: the (routine, version, started_at) index covers it."""
    day = sa.func.substr(runs.c.started_at, 1, 10).label("day")
    query = (
        sa.select(runs.c.routine, runs.c.version, day, sa.func.count().label("n"))
        .where(*where)
        .group_by(runs.c.routine, runs.c.version, day)
    )
    return list(conn.execute(query).all())


def _rank(n: int, p: int) -> int:
    """Nearest rank: ceil(p/100 · n), 1-based."""
    return (n * p + 99) // 100


def _percentiles(
    conn: Connection, where: list[Any], since: str, counts: dict[tuple[str, int], int],
) -> dict[tuple[str, int], dict[int, float]]:
    """Nearest-rank p50 and p95 of latency per version."""
    out: dict[tuple[str, int], dict[int, float]] = defaultdict(dict)
    # With an index led by (routine, version, latency_ms), each percentile is read by offset
    # from the index instead of ranking every run.
    if _leading(conn, ["routine", "version", "latency_ms"]):
        # ORDER BY latency LIMIT 1 OFFSET rank-1, per version: an index range walk each.
        for (routine, version), n in sorted(counts.items()):
            for p in (50, 95):
                query = (
                    sa.select(runs.c.latency_ms)
                    .where(*where, runs.c.routine == routine, runs.c.version == version)
                    .order_by(runs.c.latency_ms).limit(1).offset(_rank(n, p) - 1)
                )
                value = conn.execute(query).scalar()
                if value is not None:
                    out[(routine, version)][p] = float(value)
        return out
    # Without it: ROW_NUMBER and COUNT OVER the versions (SQLite ≥ 3.25 and PostgreSQL alike).
    if conn.dialect.name == "sqlite":
        where = _scan(where, since)
    part = (runs.c.routine, runs.c.version)
    ranked = (
        sa.select(
            runs.c.routine, runs.c.version, runs.c.latency_ms,
            sa.func.row_number().over(partition_by=part, order_by=runs.c.latency_ms).label("rn"),
            sa.func.count().over(partition_by=part).label("n"),
        )
        .where(*where)
        .subquery()
    )
    query = sa.select(ranked.c.routine, ranked.c.version, ranked.c.rn, ranked.c.n, ranked.c.latency_ms).where(
        sa.or_(*(ranked.c.rn == (ranked.c.n * p + 99) // 100 for p in (50, 95)))
    )
    for routine, version, rn, n, latency in conn.execute(query).all():
        for p in (50, 95):
            if rn == _rank(n, p):
                out[(routine, version)][p] = float(latency)
    return out


def _current(alias: Any) -> Any:
    """An outcome counts when no later outcome overrides it. NOT IN an uncorrelated subquery:
    SQLite builds its set once (a correlated NOT EXISTS ran once per outcome and per use),
    PostgreSQL hashes it; `overrides IS NOT NULL` keeps NULL out of the NOT IN."""
    later = outcomes.alias("later")
    return alias.c.outcome_id.not_in(sa.select(later.c.overrides).where(later.c.overrides.is_not(None)))


def _outcome_counts(conn: Connection, where: list[Any]) -> dict[tuple[str, int], dict[str, int]]:
    """Per version: reviewed runs (with an outcome that counts), runs per verdict, outcomes
    that count, and superseded ones. The outcomes that count are grouped by run first, so
    each reviewed run is joined to its record once."""
    o = outcomes.alias("o")
    # `run_id || ''`: grouped by an expression, SQLite scans the outcomes in table order and
    # sorts them (0.7 s for 200,000), instead of walking the run_id index and fetching each
    # row at random (1.6 s); PostgreSQL concatenates text alike.
    run_id = o.c.run_id.concat("").label("run_id")
    per_run = (
        sa.select(
            run_id, sa.func.count().label("n_cur"),
            *(sa.func.max(sa.case((o.c.verdict == verdict, 1), else_=0)).label(f"v{i}") for i, verdict in enumerate(VERDICTS)),
        )
        .where(_current(o))
        .group_by(run_id)
        .subquery()
    )
    query = (
        sa.select(
            runs.c.routine, runs.c.version, sa.func.count().label("reviewed"), sa.func.sum(per_run.c.n_cur).label("counted"),
            *(sa.func.sum(per_run.c[f"v{i}"]).label(f"v{i}") for i in range(len(VERDICTS))),
        )
        .select_from(per_run.join(runs, runs.c.run_id == per_run.c.run_id))
        .where(*where)
        .group_by(runs.c.routine, runs.c.version)
    )
    out: dict[tuple[str, int], dict[str, int]] = defaultdict(lambda: {"reviewed": 0, "counted": 0, "superseded": 0})
    for row in conn.execute(query).mappings():
        counts = out[(row["routine"], int(row["version"]))]
        counts.update(reviewed=int(row["reviewed"]), counted=int(row["counted"] or 0))
        counts.update({verdict: int(row[f"v{i}"] or 0) for i, verdict in enumerate(VERDICTS)})
    old = outcomes.alias("old")
    superseded = (
        sa.select(runs.c.routine, runs.c.version, sa.func.count())
        .select_from(old.join(runs, runs.c.run_id == old.c.run_id))
        .where(*where, ~_current(old))
        .group_by(runs.c.routine, runs.c.version)
    )
    for routine, version, n in conn.execute(superseded).all():
        out[(routine, int(version))]["superseded"] = int(n)
    return dict(out)


def _field(path: str) -> str:
    # List indices become `*`: "files/0/path" and "files/3/path" are the same field.
    return "/".join("*" if part.isdigit() else part for part in path.split("/")) or "/"


def _corrected_fields(conn: Connection, where: list[Any]) -> dict[tuple[str, int], Counter[str]]:
    """The field-level diffs of the `modified` outcomes that count (their JSON is parsed
    here: only corrections, a small share of the rows)."""
    cur = outcomes.alias("cur")
    query = (
        sa.select(runs.c.routine, runs.c.version, cur.c.diff_json)
        .select_from(cur.join(runs, runs.c.run_id == cur.c.run_id))
        .where(*where, cur.c.verdict == "modified", cur.c.diff_json.is_not(None), _current(cur))
    )
    out: dict[tuple[str, int], Counter[str]] = defaultdict(Counter)
    for routine, version, text in conn.execute(query):
        try:
            changes = json.loads(text)
        except ValueError:
            continue
        if not isinstance(changes, list):
            continue
        paths = {_field(str(c.get("path", ""))) for c in changes if isinstance(c, dict)}
        out[(routine, version)].update(paths)
    return out


def ledger_figures(conn: Connection, since: str, routine: str | None) -> LedgerFigures:
    where = _window(since, routine)
    result = LedgerFigures()
    acc: dict[tuple[str, int], dict[str, Any]] = {}
    for row in _by_status(conn, where, since):
        key = (row.routine, int(row.version))
        a = acc.setdefault(key, {"statuses": Counter(), "first": row.first, "last": row.last,
                                 "tokens": [0, 0, 0, 0], "models": set()})
        n = int(row.n)
        a["statuses"][row.status] += n
        a["first"], a["last"] = min(a["first"], row.first), max(a["last"], row.last)
        for i, value in enumerate((row.tin, row.tout, row.tcr, row.tcw)):
            a["tokens"][i] += int(value or 0)
        a["models"].add(row.model_snapshot)
        runs_on, names = result.models.get(row.model_snapshot, (0, set()))
        names.add(f"{row.routine} v{row.version}")
        result.models[row.model_snapshot] = (runs_on + n, names)
    for row in sorted(_by_day(conn, where), key=lambda r: (r.routine, r.day, r.version)):
        result.timeline.setdefault(row.routine, []).append(DayCount(row.day, int(row.version), int(row.n)))
    percentiles = _percentiles(conn, where, since, {k: sum(a["statuses"].values()) for k, a in acc.items()})
    outcome_counts = _outcome_counts(conn, where)
    result.total_outcomes = sum(c["counted"] for c in outcome_counts.values())
    fields = _corrected_fields(conn, where)
    for key in sorted(acc):
        a = acc[key]
        statuses: Counter[str] = a["statuses"]
        total = sum(statuses.values())
        oc = outcome_counts.get(key, {})
        seen = oc.get("reviewed", 0)
        counts = {v: oc.get(v, 0) for v in VERDICTS}
        tin, tout, tcr, tcw = a["tokens"]
        top = sorted(fields.get(key, Counter()).items(), key=lambda item: (-item[1], item[0]))[:TOP_FIELDS]
        result.versions[key] = VersionFigures(
            routine=key[0], version=key[1], runs=total, first_run=a["first"], last_run=a["last"],
            statuses=dict(sorted(statuses.items())),
            error_rate=rate(sum(statuses.get(s, 0) for s in _NO_OUTPUT), total),
            invalid_output_rate=rate(statuses.get("invalid-output", 0), total),
            reviewed_runs=seen, outcome_coverage=rate(seen, total),
            verdicts=counts, verdict_rates={v: rate(n, seen) for v, n in counts.items()},
            superseded_outcomes=oc.get("superseded", 0),
            corrected_fields=tuple(FieldCount(path, n) for path, n in top),
            latency_p50_ms=percentiles.get(key, {}).get(50), latency_p95_ms=percentiles.get(key, {}).get(95),
            input_tokens=tin, output_tokens=tout, cache_read_tokens=tcr, cache_write_tokens=tcw,
            tokens_per_run=rate(tin + tout, total) if total else None,
            models=tuple(sorted(a["models"])),
        )
    return result
