"""CLI layer: `routinec show ROUTINE[/CASE]`. Parse flags, call routinec.commands.show, render
(text for people; JSON lines and the closing summary record for tools), exit (0 shown;
1 a lock problem, as in every command; 2 an unknown routine or case, bad input)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from routinec.cli.complete import complete_target
from routinec.cli.options import guard, load_or_exit, output_options, project_option, summary_extra

if TYPE_CHECKING:
    from routinec.commands.show import CaseView, RoutineView

__all__ = ["show"]

_VERDICT = {
    "matches": "matches",
    "differs": "DIFFERS",
    "no-golden": "no golden",
    "not-recorded": "nothing to compare",
    "unusable": "golden unusable",
}

_LISTED = {
    "matches": "matching",
    "differs": "DIFFERING",
    "no-golden": "without a golden",
    "not-recorded": "not recorded",
    "unusable": "with an unusable golden",
}


@click.command(epilog="""\b
Examples:
  routinec show                           # every locked routine: version, model, its cases at a glance
  routinec show summarize_pr              # its lock summary and each case: recorded? golden? matching?
  routinec show summarize_pr/small_fix    # input, recorded output, golden and the diff, field by field
  routinec show summarize_pr/small_fix --format json""")
@click.argument("target", metavar="[ROUTINE[/CASE]]", required=False, shell_complete=complete_target)
@output_options(("text", "json"))
@project_option
@guard
def show(target: str | None, fmt: str, project: Path | None) -> None:
    """Show a routine's test cases, or one case's input, recorded output, golden and diff
    (with no argument: every locked routine, one line each)."""
    from routinec.commands.show import RoutineView, show_all
    from routinec.commands.show import show as build
    from routinec.redact import Redactor, redact_text

    config = load_or_exit(project, fmt)
    if target is None:
        views = show_all(config)
        verdicts = [c.verdict for v in views for c in v.cases]
        summary_extra(routines=len(views), cases=len(verdicts), **{k.replace("-", "_"): verdicts.count(k) for k in _VERDICT})
        if fmt == "json":
            text = "\n".join(json.dumps(_routine_json(v), sort_keys=True) for v in views)
        else:
            text = "\n".join(_listing_line(v) for v in views) if views else "(no routines in the lock)"
        click.echo(redact_text(text, Redactor(config.redact)))
        return
    view = build(config, target)
    cases = view.cases if isinstance(view, RoutineView) else [view]
    verdicts = [c.verdict for c in cases]
    summary_extra(cases=len(cases), **{k.replace("-", "_"): verdicts.count(k) for k in _VERDICT})
    if fmt == "json":
        lines = [json.dumps(_routine_json(view), sort_keys=True)] if isinstance(view, RoutineView) else []
        lines.extend(json.dumps(_case_json(c), sort_keys=True) for c in cases)
        text = "\n".join(lines)
    else:
        text = "\n".join(_routine_text(view) if isinstance(view, RoutineView) else _case_text(view))
    # Transcripts are redacted when written; inputs and goldens are not: the same rules apply here.
    click.echo(redact_text(text, Redactor(config.redact)))


def _routine_json(view: RoutineView) -> dict[str, Any]:
    return {
        "kind": "routine", "routine": view.routine, "version": view.version, "model": view.model,
        "snapshot": view.snapshot, "lifecycle": view.lifecycle, "params": view.params, "source": view.source,
        "entry_hash": view.entry_hash, "cases": [c.case for c in view.cases],
    }


def _case_json(view: CaseView) -> dict[str, Any]:
    from routinec.runtime.entry import to_wire

    t = view.transcript
    return {
        "kind": "case", "routine": view.routine, "case": view.case, "verdict": view.verdict,
        "input": view.input, "input_problem": view.input_problem,
        "transcript": {"path": t.path, "state": t.state, "origin": t.origin, "problem": t.problem},
        "output": to_wire(t.output) if t.has_output else None,
        "golden": {"path": view.golden_path, "state": view.golden_state, "problem": view.golden_problem,
                   "value": to_wire(view.golden)},
        "diffs": [d.to_json() for d in view.diffs],
    }


def _fields(value: Any) -> list[str]:
    from routinec.runtime.golden import field_lines

    return [f"  {line}" for line in field_lines(value)]


def _case_text(view: CaseView) -> list[str]:
    t = view.transcript
    lines = [view.name, "input:"]
    lines.extend(_fields(view.input) if view.input_problem is None else [f"  (unreadable) {view.input_problem}"])
    origin = f", {t.origin}" if t.origin else ""
    lines.append(f"recorded output ({t.path}{origin}, {t.state}):")
    if t.has_output:
        lines.extend(_fields(t.output))
    if t.problem is not None:
        lines.append(f"  {'(stale) ' if t.has_output else ''}{t.problem}")
    lines.append(f"golden ({view.golden_path}, {view.golden_state}):")
    if view.golden_state == "present" or view.golden is not None:
        lines.extend(_fields(view.golden))
    if view.golden_problem is not None:
        lines.append(f"  {view.golden_problem}")
    lines.append(_verdict_line(view))
    lines.extend(f"  {d.render()}" for d in view.diffs)
    return lines


def _verdict_line(view: CaseView) -> str:
    if view.verdict == "matches":
        return "diff: none; the recorded output matches the golden"
    if view.verdict == "differs":
        n = len(dict.fromkeys(d.path for d in view.diffs))
        return f"diff: {n} field{'s' if n != 1 else ''} differ{'s' if n == 1 else ''} ('routinec test' fails):"
    if view.verdict == "no-golden":
        return f"diff: no golden yet; review the output, then run 'routinec test {view.routine} --update-golden'"
    if view.verdict == "unusable":
        return "diff: none; the golden cannot be compared (above)"
    return f"diff: nothing recorded to compare; run 'routinec record {view.routine} --case {view.case}'"


def _listing_line(view: RoutineView) -> str:
    verdicts = [c.verdict for c in view.cases]
    counts = ", ".join(f"{verdicts.count(k)} {_LISTED[k]}" for k in _VERDICT if verdicts.count(k))
    cases = f"{len(view.cases)} case{'s' if len(view.cases) != 1 else ''}" + (f" ({counts})" if counts else "")
    return f"{view.routine} v{view.version}  {view.model} -> {view.snapshot} ({view.lifecycle})  {cases}"


def _routine_text(view: RoutineView) -> list[str]:
    params = " ".join(f"{k}={json.dumps(v)}" for k, v in sorted(view.params.items()))
    lines = [
        f"{view.routine} v{view.version}  {view.model} -> {view.snapshot} ({view.lifecycle})",
        f"  params: {params or '(none)'}",
        f"  source: {view.source}  entry {view.entry_hash[:19]}…",
        f"cases ({len(view.cases)}):",
    ]
    width = max((len(c.case) for c in view.cases), default=0)
    for c in view.cases:
        t = c.transcript
        recorded = f"{t.origin or 'transcript'} ({t.state})" if t.state != "missing" else "not recorded"
        golden = "golden" if c.golden_state == "present" else f"golden {c.golden_state}"
        lines.append(f"  {c.case:<{width}}  {recorded:<20}  {golden:<16}  {_VERDICT[c.verdict]}")
    if not view.cases:
        lines.append("  (none: add a `test NAME { … }` block to the routine)")
    return lines
