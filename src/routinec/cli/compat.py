"""CLI layer: `routinec compat` (schema compatibility). Thin: flags → engine → render → exit.

In: schema files or pydantic `module:Model` references. Out: one line per finding, the
counterexample and a summary; exit 0 clean, 1 on a finding at/above --fail-on, 2 bad input.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from routinec.cli.options import (
    annotated,
    format_option,
    guard,
    log,
    project_option,
    summary_extra,
    tally,
)
from routinec.diagnostics import github_escape

__all__ = ["compat"]

policy_option = click.option(
    "--policy",
    type=click.Choice(["default", "strict", "lenient"]),
    default="default",
    show_default=True,
    help="Content-model assumptions and severities.",
)
fail_on_option = click.option(
    "--fail-on",
    type=click.Choice(["ERR", "WARN"]),
    default="ERR",
    show_default=True,
    help="The lowest finding level that fails (exit 1).",
)


@click.group(
    "compat",
    invoke_without_command=True,
    epilog="""\b
Examples:
  routinec compat --against origin/main     # every routine against the lock on main
  routinec compat --against HEAD~1 --format github
  routinec compat diff old.schema.json new.schema.json""",
)
@click.option(
    "--against",
    "ref",
    metavar="REF",
    help="Compare the project's routines with routines.lock at this git ref (like buf breaking).",
)
@click.option(
    "--allow-missing",
    is_flag=True,
    help="With --against: pass when REF has no lockfile yet (the first lock). Without it, that is exit 2.",
)
@policy_option
@format_option
@fail_on_option
@project_option
@click.pass_context
def compat(
    ctx: click.Context, ref: str | None, allow_missing: bool, policy: str, fmt: str, fail_on: str, project: Path | None
) -> None:
    """Schema compatibility: the project against a git ref, or two schemas with `diff`."""
    if ctx.invoked_subcommand is not None:
        return
    if ref is None:
        click.echo(ctx.get_help(), err=True)
        click.echo(
            "\nroutinec compat: give --against REF, or a subcommand: `routinec compat diff OLD NEW`",
            err=True,
        )
        ctx.exit(2)
    guard(_against)(ref, policy, fmt, fail_on, project, allow_missing)


def _against(ref: str, policy: str, fmt: str, fail_on: str, project: Path | None, allow_missing: bool) -> None:
    from routinec.cli.options import emit, load_or_exit
    from routinec.commands.compat import against
    from routinec.compat import SchemaError
    from routinec.diagnostics import DiagnosticError

    tally(label=f"compat --against {ref}")
    config = load_or_exit(project, fmt)
    try:
        result = against(config, ref, policy=policy)
    except DiagnosticError as exc:
        emit(exc.diagnostics, fmt, config.root)
        sys.exit(2)
    except SchemaError as exc:
        _fail(exc.message, exc.hint)
    if result.missing:
        if not allow_missing:
            from routinec.codes import Code
            from routinec.diagnostics import Diagnostic, Severity

            emit([Diagnostic(
                Code.CONFIG, Severity.ERROR, f"{ref} has no {config.lockfile}: there is nothing to compare against",
                None, "check the ref (e.g. origin/main after 'git fetch'), or pass --allow-missing for a project's first lock",
            )], fmt, config.root)
            summary_extra(ref=ref, compared=0, verdict="bad input")
            sys.exit(2)
        log(f"compat against {ref}: {ref} has no {config.lockfile}; passing because of --allow-missing")
        summary_extra(ref=ref, compared=0, verdict="compatible", missing=True)
        tally(label=f"compat --against {ref} (no lock there yet: --allow-missing)")
        sys.exit(0)
    code = result.exit_code(fail_on)
    failing = len({f.routine for f in result.blocking(fail_on)})
    tally(passed=max(result.compared - failing, 0), failed=failing)
    bumped = sum(1 for f in result.findings if f.bumped and f.level == "ERR" and f.direction in ("out", "in"))
    summary_extra(ref=ref, compared=result.compared, findings=len(result.findings),
                  verdict="breaking" if code else "compatible", allowed_by_bump=bumped)
    if fmt == "json":
        for finding in result.findings:
            click.echo(json.dumps({"kind": "finding", **finding.to_json()}, sort_keys=True, default=str))
    elif fmt == "github":
        from routinec.cli.summary import Annotation

        shown: list[Annotation] = []
        for finding in result.findings:
            kind = {"ERR": "error", "WARN": "warning"}.get(finding.level, "notice")
            path = result.repo_path(finding.source)
            click.echo(f"::{kind} file={_prop(path)},title={_prop(finding.rule_id)}::{github_escape(finding.text())}")
            shown.append(Annotation(kind, path, None, finding.rule_id, finding.text()))
        annotated(shown)
    else:
        for finding in result.findings:
            click.echo(finding.text())
            if finding.counterexample is not None:
                value = json.dumps(finding.counterexample, sort_keys=True, default=str)
                click.echo(f"  counterexample: {value[:300]}")
    for note in result.notes:
        log(f"note: {note}")
    # One vocabulary (as `compat diff`): "breaking" exactly when the exit code is 1.
    verdict = "breaking" if code else "compatible"
    if bumped and not code:
        verdict += f" ({bumped} breaking change{'s' if bumped != 1 else ''} released as a new version)"
    log(f"compat against {ref}: {result.compared} routine{'s' if result.compared != 1 else ''} compared: {verdict}")
    sys.exit(code)


@compat.command(
    "diff",
    epilog="""\b
Examples:
  routinec compat diff old/out.schema.json new/out.schema.json
  routinec compat diff app.models:Summary app.models_v2:Summary --direction out
  routinec compat diff in.v1.json in.v2.json --direction in --format json

\b
--direction out: a producer changed its output (breaks when new values are not all valid
under the old schema); in: a consumer changed its input (breaks when old values are not
all valid under the new schema). Exit codes: 0 compatible; 1 a finding at or above
--fail-on; 2 bad input.""",
)
@click.argument("old")
@click.argument("new")
@click.option(
    "--direction",
    type=click.Choice(["out", "in"]),
    default="out",
    show_default=True,
    help="out: producer output changed; in: consumer input changed.",
)
@policy_option
@format_option
@fail_on_option
@guard
def diff(old: str, new: str, direction: str, policy: str, fmt: str, fail_on: str) -> None:
    """Compare two schemas: JSON Schema files or pydantic models (module:Model)."""
    from routinec.compat import Level, SchemaError, compare
    from routinec.compat.sources import load_source

    try:
        old_schema = load_source(old, direction)
        new_schema = load_source(new, direction)
        # load_source already checked both against the meta-schema
        report = compare(old_schema, new_schema, direction=direction, policy=policy, validate=False)
    except SchemaError as exc:
        _fail(exc.message, exc.hint)
    except RecursionError:
        _fail("schema nested too deeply to compare", "flatten it with $defs and $ref")
    threshold = Level.ERR if fail_on == "ERR" else Level.WARN
    breaking = report.breaking(threshold)
    if fmt == "json":
        # JSON lines: one record per finding, the counterexample, then the shared summary.
        doc = report.to_json()
        for finding in doc["findings"]:
            click.echo(json.dumps({"kind": "finding", **finding}, sort_keys=True, ensure_ascii=False))
        if doc["counterexample"] is not None:
            click.echo(json.dumps({"kind": "counterexample", **doc["counterexample"]}, sort_keys=True, ensure_ascii=False))
        summary_extra(
            verdict="breaking" if breaking else "compatible", compatibility=doc["compatibility"],
            direction=doc["direction"], policy=doc["policy"], fail_on=fail_on,
            **{f"{lv.value.lower()}_findings": report.count(lv) for lv in Level},
        )
    elif fmt == "github":
        from routinec.cli.summary import Annotation

        for line in report.github_lines(old, new):
            click.echo(line)
        kinds = {Level.ERR: "error", Level.WARN: "warning", Level.INFO: "notice"}
        annotated(Annotation(kinds[f.level], old if f.side == "old" else new, None, f.rule_id, f"{f.path}: {f.message}")
                  for f in report.findings)
        log(report.summary_line(threshold))
    else:
        for line in report.text_lines(old, new, threshold):
            click.echo(line)
    sys.exit(1 if breaking else 0)


def _prop(value: str) -> str:
    """Escape a workflow-command property value (GitHub's rules for file= and title=)."""
    return github_escape(value, prop=True)


def _fail(message: str, hint: str) -> None:
    click.echo(f"routinec: error: {message}", err=True)
    if hint:
        click.echo(f"  hint: {hint}", err=True)
    sys.exit(2)
