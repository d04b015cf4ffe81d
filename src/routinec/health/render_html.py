"""Health layer: the report as one self-contained HTML page.

In: a `figures.Report`. Out: HTML text with inline CSS and inline SVG charts (`charts`):
no script, no font, no image, no link to anything, so the file opens from a CI artifact
with the network off. Every value is escaped; the page is a function of the report alone.
"""

from __future__ import annotations

import datetime as _dt
from html import escape

from routinec.health.charts import VERDICT_COLOURS, hbars, stacked_columns
from routinec.health.figures import History, LockChange, Report, RoutineFigures
from routinec.ledger.model import VERDICTS

__all__ = ["render_html"]

_CSS = """
:root { color-scheme: light; --fg:#1b1f24; --muted:#5b6570; --line:#d8dee4; --bg:#ffffff; --soft:#f4f6f8;
  --bad:#b42318; --warn:#9a6700; --good:#1a7f37; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg);
  background: var(--bg); margin: 0; padding: 24px 32px 48px; max-width: 1180px; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 18px; margin: 32px 0 8px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
h3 { font-size: 15px; margin: 20px 0 6px; } .muted { color: var(--muted); }
.cards { display: flex; gap: 12px; flex-wrap: wrap; margin: 16px 0; }
.card { background: var(--soft); border: 1px solid var(--line); border-radius: 6px; padding: 10px 14px; min-width: 150px; }
.card b { display: block; font-size: 20px; } .card span { color: var(--muted); font-size: 12px; }
table { border-collapse: collapse; margin: 8px 0 12px; font-size: 13px; }
th, td { border-bottom: 1px solid var(--line); padding: 4px 10px; text-align: left; vertical-align: top; }
th { background: var(--soft); font-weight: 600; } td.n { text-align: right; font-variant-numeric: tabular-nums; }
.badge { display: inline-block; border-radius: 10px; padding: 0 8px; font-size: 12px; border: 1px solid currentColor; }
.bad { color: var(--bad); } .warn { color: var(--warn); } .good { color: var(--good); }
.chart { display: block; margin: 8px 0; max-width: 100%; height: auto; }
.chart-title { font-size: 13px; font-weight: 600; fill: var(--fg); }
.axis { font-size: 11px; fill: var(--muted); } .grid { stroke: var(--line); stroke-width: 1; }
.track { fill: var(--soft); } .note { background: #fff8c5; border: 1px solid #d4a72c; border-radius: 6px; padding: 6px 10px; margin: 8px 0; }
code { font-size: 12px; background: var(--soft); padding: 0 3px; border-radius: 3px; }
"""


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.1f}%"


def _ms(value: float | None) -> str:
    return "–" if value is None else f"{value:,.0f} ms"


def _int(value: int) -> str:
    return f"{value:,}"


def _table(head: list[str], rows: list[list[str]], numeric: set[int] | None = None, cls: str = "") -> str:
    numeric = numeric or set()
    out = [f'<table class="{cls}"><thead><tr>' + "".join(f"<th>{escape(h)}</th>" for h in head) + "</tr></thead><tbody>"]
    for row in rows:
        cells = "".join(f'<td class="n">{c}</td>' if i in numeric else f"<td>{c}</td>" for i, c in enumerate(row))
        out.append(f"<tr>{cells}</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def _days(since: str, routine: RoutineFigures) -> list[str]:
    """Every day from the first run (or the window's start, if later) to the last."""
    if not routine.timeline:
        return []
    first = max(_dt.date.fromisoformat(routine.timeline[0].day), _dt.date.fromisoformat(since[:10]))
    last = _dt.date.fromisoformat(max(d.day for d in routine.timeline))
    first = min(first, last)
    return [(first + _dt.timedelta(days=i)).isoformat() for i in range((last - first).days + 1)]


def _runs_chart(report: Report, routine: RoutineFigures) -> str:
    days = _days(report.since, routine)
    if not days:
        return '<p class="muted">No runs in the window.</p>'
    versions = sorted({d.version for d in routine.timeline})
    index = {day: i for i, day in enumerate(days)}
    series = []
    for version in versions:
        values = [0.0] * len(days)
        for d in routine.timeline:
            if d.version == version and d.day in index:
                values[index[d.day]] += d.runs
        series.append((f"v{version}", values))
    return stacked_columns(f"{routine.name}: runs per day, by version", days, series)


def _version_table(routine: RoutineFigures) -> str:
    rows = []
    for v in routine.versions:
        verdicts = " ".join(f'{escape(k)} {_pct(v.verdict_rates.get(k))}' for k in VERDICTS if v.verdicts.get(k))
        rows.append([
            f"v{v.version}", _int(v.runs), _pct(v.error_rate), _pct(v.invalid_output_rate),
            _pct(v.outcome_coverage), verdicts or "–", _ms(v.latency_p50_ms), _ms(v.latency_p95_ms),
            "–" if v.tokens_per_run is None else f"{v.tokens_per_run:,.0f}",
            _int(v.input_tokens + v.output_tokens), escape(", ".join(v.models)),
        ])
    head = ["version", "runs", "error", "invalid output", "outcome coverage", "verdicts (of reviewed runs)",
            "latency p50", "latency p95", "tokens/run", "tokens", "models"]
    return _table(head, rows, {1, 2, 3, 4, 6, 7, 8, 9}, "versions")


def _fields_table(routine: RoutineFigures) -> str:
    rows = [[f"v{v.version}", f"<code>{escape(f.path)}</code>", _int(f.corrections)]
            for v in routine.versions for f in v.corrected_fields]
    if not rows:
        return '<p class="muted">No corrections recorded.</p>'
    return _table(["version", "field", "corrections"], rows, {2}, "fields")


def _routine_section(report: Report, routine: RoutineFigures) -> str:
    locked = f"locked at v{routine.locked_version}" if routine.locked_version is not None else "not in the lock"
    parts = [f'<h3 id="r-{escape(routine.name)}">{escape(routine.name)} <span class="muted">({locked}, {_int(routine.runs)} runs)</span></h3>']
    parts.append(_runs_chart(report, routine))
    if routine.versions:
        parts.append(_version_table(routine))
        parts.append("<h4>Fields most often corrected</h4>")
        parts.append(_fields_table(routine))
    return "".join(parts)


def _versioning(report: Report) -> str:
    history = report.history
    if not history.available:
        return f'<p class="note">{escape(history.note or "no history")}</p>'
    rows = [[escape(s.routine), _int(s.lock_changes), _int(s.version_bumps), _int(s.schema_changes),
             _int(s.breaking_changes), _int(s.breaking_with_bump), _int(s.clean_changes), _pct(s.clean_rate)]
            for s in report.versioning]
    chart = hbars(
        "Lock changes per routine: clean, and not clean",
        [(s.routine, {"clean": float(s.clean_changes), "not clean": float(s.lock_changes - s.clean_changes)})
         for s in report.versioning if s.lock_changes],
        ["clean", "not clean"], {"clean": "#009E73", "not clean": "#D55E00"},
    ) if any(s.lock_changes for s in report.versioning) else '<p class="muted">No lock changes in the window.</p>'
    table = _table(["routine", "lock changes", "version bumps", "schema changes", "breaking", "breaking with bump",
                    "clean", "clean rate"], rows, {1, 2, 3, 4, 5, 6, 7}, "versioning")
    return chart + table


def _corrections(report: Report) -> str:
    rows = [(f"{c.routine} v{c.version}", c) for c in report.corrections]
    if not rows:
        return '<p class="muted">No runs in the window.</p>'
    chart = hbars(
        "Verdicts per version (share of reviewed runs)",
        [(label, {k: float(v) for k in VERDICTS if (v := _rate_of(report, c.routine, c.version, k)) is not None})
         for label, c in rows],
        list(VERDICTS), VERDICT_COLOURS, scale=1.0, unit="%",
    )
    table = _table(
        ["routine", "runs", "reviewed", "rolled back", "modified", "rollback rate", "correction rate"],
        [[escape(label), _int(c.runs), _int(c.reviewed_runs), _int(c.rolled_back), _int(c.modified),
          _pct(c.rollback_rate), _pct(c.correction_rate)] for label, c in rows],
        {1, 2, 3, 4, 5, 6}, "corrections",
    )
    return chart + table


def _rate_of(report: Report, routine: str, version: int, verdict: str) -> float | None:
    for r in report.routines:
        for v in r.versions:
            if r.name == routine and v.version == version:
                return v.verdict_rates.get(verdict)
    return None


def _rollouts(report: Report) -> str:
    if not report.rollouts:
        return '<p class="muted">No rollouts: every routine runs its one locked entry.</p>'
    parts = []
    for r in report.rollouts:
        state = ""
        if r.guard_state is not None:
            cls = {"pass": "good", "fail": "bad"}.get(r.guard_state, "warn")
            state = (f' · guard <code>{escape(r.guard or "")}</code> <span class="badge {cls}">{escape(r.guard_state)}</span>'
                     f' <span class="muted">{escape(r.guard_message or "")}</span>')
        since = f' · compared since {escape(r.since)}' if r.since else ""
        parts.append(f'<h3>{escape(r.routine)}</h3><p>stable v{r.stable}'
                     + (f", canary v{r.canary}" if r.canary is not None else "") + f"{state}{since}</p>")
        parts.append(_table(
            ["channel", "version", "weight", "runs", "outcomes", "rejected", "modified", "invalid output", "errors"],
            [[escape(s.channel), f"v{s.version}", "–" if s.weight is None else f"{s.weight}%", _int(s.runs), _int(s.outcomes),
              _pct(s.rejected_rate), _pct(s.modified_rate), _pct(s.invalid_output_rate), _pct(s.error_rate)]
             for s in r.sides],
            {2, 3, 4, 5, 6, 7, 8}, "rollout-sides",
        ))
        if r.history:
            parts.append(_table(
                ["when", "action", "by", "why", "from", "to"],
                [[escape(e.recorded_at[:19].replace("T", " ")), escape(e.action), escape(e.by or "–"), escape(e.why or "–"),
                  escape(e.before), escape(e.after)] for e in r.history],
                set(), "rollout-history",
            ))
    return "".join(parts)


def _compat_badge(change_compat: str, breaking: bool) -> str:
    cls = "bad" if breaking else ("good" if change_compat in ("FULL", "BACKWARD") else "warn")
    return f'<span class="badge {cls}">{escape(change_compat)}</span>'


def _change_rows(history: History) -> list[list[str]]:
    rows = []
    for c in history.changes:
        if not c.schema_changes and not c.consumers:
            continue
        rows.append(_change_row(c))
    return rows


def _change_row(c: LockChange) -> list[str]:
    move = f"v{c.from_version}" if c.from_version is not None else "new"
    move += f" → v{c.to_version}" if c.to_version is not None and c.to_version != c.from_version else ""
    schemas = "<br>".join(
        f"{escape(s.schema)} {_compat_badge(s.compatibility, s.breaking)}"
        + (f' <span class="muted">{escape(", ".join(s.rules))}</span>' if s.rules else "")
        for s in c.schema_changes
    ) or '<span class="muted">consumers only</span>'
    bump = ('<span class="good">bumped</span>' if c.bumped else
            ('<span class="bad">needed, missing</span>' if c.needed_bump else '<span class="muted">not needed</span>'))
    edges = "<br>".join(
        f'{escape(e.consumer)}: ' + ('<span class="bad">broke</span>' if e.broke else
                                     '<span class="bad">rejects</span>' if not e.accepted_after else
                                     '<span class="good">accepts</span>')
        for e in c.consumers
    ) or '<span class="muted">none listed</span>'
    return [f"<code>{escape(c.commit[:10])}</code>", escape(c.date[:10]), escape(c.routine), escape(move),
            schemas, bump, edges]


def _schema_section(report: Report) -> str:
    history = report.history
    if not history.available:
        return f'<p class="note">{escape(history.note or "no history")}</p>'
    s = report.schema_signal
    cards = _cards([
        (_int(s.schema_changes), "schema changes"), (_int(s.breaking_changes), "breaking"),
        (_int(s.consumer_edges_checked), "consumer edges checked"), (_int(s.consumer_edges_broken), "edges broken"),
        (_int(s.changes_without_consumer_break), "output changes all consumers accepted"),
    ])
    rows = _change_rows(history)
    if not rows:
        return cards + '<p class="muted">No schema or consumer changes in the window.</p>'
    return cards + _table(["commit", "date", "routine", "version", "schema change (compat)", "version bump", "consumers"],
                          rows, set(), "schema-changes")


def _models(report: Report) -> str:
    if not report.models:
        return '<p class="muted">No models.</p>'
    rows = []
    for m in report.models:
        cls = {"retired": "bad", "deprecated": "warn", "active": "good"}.get(m.lifecycle, "warn")
        when = "–"
        if m.retires_at:
            when = escape(m.retires_at) + (
                f" ({m.days_left} days left)" if m.days_left is not None and m.days_left > 0
                else f" ({-m.days_left if m.days_left else 0} days ago)" if m.days_left is not None else "")
        rows.append([f"<code>{escape(m.snapshot)}</code>", f'<span class="badge {cls}">{escape(m.lifecycle)}</span>', when,
                     escape(", ".join(m.in_lock)) or "–", _int(m.runs), escape(", ".join(m.routines)) or "–"])
    return _table(["model", "lifecycle", "retires", "pinned by (lock)", "runs", "ran"], rows, {4}, "models")


def _cards(items: list[tuple[str, str]]) -> str:
    return '<div class="cards">' + "".join(f'<div class="card"><b>{v}</b><span>{escape(k)}</span></div>' for v, k in items) + "</div>"


def render_html(report: Report) -> str:
    reviewed = sum(v.reviewed_runs for r in report.routines for v in r.versions)
    at_risk = sum(1 for m in report.models if m.lifecycle in ("retired", "deprecated"))
    scope = f" · routine {escape(report.routine_filter)}" if report.routine_filter else ""
    body = [
        f"<h1>Routine health: {escape(report.project)}</h1>",
        f'<p class="muted">Runs since {escape(report.since)} · report day {escape(report.today)} · ledger '
        f"<code>{escape(report.ledger)}</code> · lock <code>{escape(report.history.lockfile)}</code>{scope}</p>",
        _cards([
            (_int(report.total_runs), "runs"), (_int(len(report.routines)), "routines"),
            (_pct(reviewed / report.total_runs if report.total_runs else None), "runs with an outcome"),
            (_int(report.total_outcomes), "outcomes (current)"), (_int(at_risk), "models deprecated or retired"),
        ]),
        *(f'<p class="note">{escape(n)}</p>' for n in report.notes),
        '<h2 id="versioned">Versioned cleanly</h2>',
        '<p class="muted">Changes to each routine\'s lock entry in the window (git history of the lock); a change is clean '
        "unless it broke a schema without a version bump or moved the version down.</p>",
        _versioning(report),
        '<h2 id="corrections">Rollback and correction rate per version</h2>',
        '<p class="muted">Outcomes that count (superseded outcomes never do); rates are shares of reviewed runs.</p>',
        _corrections(report),
        '<h2 id="rollouts">Rollouts: canary vs stable</h2>',
        '<p class="muted">Each channel\'s version over the canary\'s window (docs/rollout.md), and every change of channels.</p>',
        _rollouts(report),
        '<h2 id="schemas">Schema changes vs consumers</h2>',
        '<p class="muted">Each schema change classified by the compat engine; each consumer edge checked before and after.</p>',
        _schema_section(report),
        '<h2 id="routines">Routines</h2>',
        *(_routine_section(report, r) for r in report.routines),
        '<h2 id="models">Models</h2>',
        _models(report),
        '<p class="muted">routinec report · routinec-report/1 · every figure: docs/report.md</p>',
    ]
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">"
        f"<title>Routine health: {escape(report.project)}</title><style>{_CSS}</style></head><body>"
        + "\n".join(body)
        + "</body></html>\n"
    )
