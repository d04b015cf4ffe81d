"""CLI layer: `routinec outcome` and `routinec ledger ls|show`. Parse flags, call
routinec.commands.ledger, render, exit (0 ok; 2 bad input: unknown run, bad verdict or
correction, a corrupt, foreign or newer ledger file)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from routinec.cli.complete import complete_routine
from routinec.cli.options import (
    guard,
    load_or_exit,
    log,
    output_options,
    project_option,
    summary_extra,
)
from routinec.ledger.model import SOURCES, STATUSES, VERDICTS  # plain data: no database import

__all__ = ["ledger", "outcome"]

# --format text|json, -q/-v, --color, --strict. JSON is JSON lines, as in every command: one
# record per run or outcome (`"kind": "run"` / `"outcome"`), then the closing summary record.
format_option = output_options(("text", "json"))


def _line(kind: str, value: dict[str, Any]) -> str:
    return json.dumps({"kind": kind, **value}, sort_keys=True, ensure_ascii=False)


@click.command(
    epilog="""\b
Examples:
  routinec outcome 0193…c1 accepted --by alice
  routinec outcome 0193…c1 modified --correction fixed.json --comment "risk was high"
  routinec outcome 0193…c1 rolled-back --source pipeline --overrides 0193…d4"""
)
@click.argument("run_id")
@click.argument("verdict", type=click.Choice(VERDICTS))
@click.option("--correction", type=click.Path(dir_okay=False, exists=True, path_type=Path), default=None,
              help="The corrected output (JSON), for 'modified'; validated against the output schema.")
@click.option("--by", "by", default=None, help="Who decided (default: the OS user).")
@click.option("--comment", default=None, help="Why.")
@click.option("--source", type=click.Choice(SOURCES), default="human", show_default=True)
@click.option("--overrides", default=None, help="The outcome id this one supersedes.")
@format_option
@project_option
@guard
def outcome(
    run_id: str, verdict: str, correction: Path | None, by: str | None, comment: str | None,
    source: str, overrides: str | None, fmt: str, project: Path | None,
) -> None:
    """Record what became of a run's output (append-only; a later outcome may override one)."""
    from routinec.commands.ledger import record_outcome

    config = load_or_exit(project, fmt)
    stored = record_outcome(config, run_id, verdict, correction=correction, by=by, comment=comment,
                            source=source, overrides=overrides)
    if fmt == "json":
        click.echo(_line("outcome", stored.to_row()))
    else:
        click.echo(f"outcome {stored.outcome_id}: run {stored.run_id} {stored.verdict}")


@click.group()
def ledger() -> None:
    """The run ledger: who ran which routine version, on what, and what became of it."""


@ledger.command("ls", epilog="""\b
Examples:
  routinec ledger ls --routine summarize_pr --since 30d
  routinec ledger ls --status invalid-output --format json""")
@click.option("--routine", default=None, help="Only this routine.", shell_complete=complete_routine)
@click.option("--version", "version", type=int, default=None)
@click.option("--status", type=click.Choice(STATUSES), default=None)
@click.option("--since", default=None, help="30d, 12h, 45m, or a date (2026-11-01).")
@click.option("--limit", type=click.IntRange(0), default=100, show_default=True, help="The most recent N (0: all).")
@format_option
@project_option
@guard
def ls(routine: str | None, version: int | None, status: str | None, since: str | None, limit: int,
       fmt: str, project: Path | None) -> None:
    """List run records, oldest first."""
    from routinec.commands.ledger import list_runs

    config = load_or_exit(project, fmt)
    rows = list_runs(config, routine=routine, version=version, status=status, since=since, limit=limit or None)
    if fmt == "json":
        summary_extra(runs=len(rows))
        for row in rows:
            click.echo(_line("run", row))
        return
    for row in rows:
        verdict = ",".join(row["verdict"]) or "-"
        tokens = f"{row['input_tokens'] or 0}+{row['output_tokens'] or 0} tok"
        click.echo(
            f"{row['run_id']}  {row['started_at']}  {row['routine']} v{row['version']}  {row['mode']}  "
            f"{row['status']}  {row['model_snapshot']}  {row['latency_ms']:.0f} ms  {tokens}  {verdict}"
        )
    log(f"{len(rows)} run(s)")


@ledger.command("show")
@click.argument("run_id")
@format_option
@project_option
@guard
def show(run_id: str, fmt: str, project: Path | None) -> None:
    """One run record with its outcomes (and its redacted input and output)."""
    from routinec.commands.ledger import show_run

    config = load_or_exit(project, fmt)
    data = show_run(config, run_id)
    if fmt == "json":
        summary_extra(runs=1, outcomes=len(data["outcomes"]))
        click.echo(_line("run", data))
        return
    for key in sorted(k for k in data if k not in ("input", "output", "outcomes")):
        click.echo(f"{key}: {data[key]}")
    for key in ("input", "output"):
        click.echo(f"{key}: {json.dumps(data[key], sort_keys=True, ensure_ascii=False)}")
    for item in data["outcomes"]:
        mark = " (superseded)" if item["superseded"] else ""
        click.echo(f"outcome {item['outcome_id']}: {item['verdict']} by {item['by']} ({item['source']}){mark}")
        if item["comment"]:
            click.echo(f"  comment: {item['comment']}")
        for change in item["diff"] or []:
            click.echo(f"  {change['op']} {change['path'] or '/'}")


@ledger.command("sync")
@format_option
@project_option
@guard
def sync(fmt: str, project: Path | None) -> None:
    """Deliver run records waiting in .routinec/spool/ to the ledger (each exactly once)."""
    from routinec.commands.ledger import sync_spool

    config = load_or_exit(project, fmt)
    done = sync_spool(config)
    if fmt == "json":  # the figures go in the closing summary record
        summary_extra(delivered=done.delivered, duplicates=done.duplicates, left=done.left)
        return
    click.echo(f"{done.delivered} run record(s) delivered, {done.duplicates} already there, {done.left} left in the spool")
