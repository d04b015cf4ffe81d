"""CLI layer: `routinec rollout status|canary|promote|abort|pin|check`. Parse flags, call
routinec.commands.rollout, render, exit (0 ok; 1 a guard failed; 2 bad input)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from routinec.cli.complete import complete_routine
from routinec.cli.options import emit, format_option, guard, load_or_exit, project_option

__all__ = ["rollout"]


def _line(value: Any) -> None:
    click.echo(json.dumps(value, sort_keys=True, ensure_ascii=False))


def _channels_text(channels: dict[str, Any]) -> str:
    text = f"stable v{channels['stable']}"
    canary = channels.get("canary")
    if canary:
        key = canary["key"] or "key= (else a request id)"
        text += f", canary v{canary['version']} at {canary['weight']}% (bucketed by {key})"
        if canary["guard"]:
            g = canary["guard"]
            text += f", guard {g['metric']}<=+{g['max_diff']}% after {g['min_outcomes']}"
    return text


def _counts_text(counts: dict[str, Any]) -> str:
    return (f"{counts['runs']} runs, {counts['outcomes']} outcomes ({counts['rejected']} rejected, "
            f"{counts['modified']} modified), {counts['invalid_output']} invalid, {counts['errors']} errors")


by_option = click.option("--by", "by", default=None, help="Who made the change (default: the OS or CI user).")
why_option = click.option("--why", "why", default=None, help="Why: kept in the ledger's rollout record.")


@click.group(
    epilog="""\b
Examples:
  routinec rollout status
  routinec rollout canary summarize_pr --weight 10 --key input.repo --guard 'rejected<=+5%' --min-outcomes 50
  routinec rollout canary summarize_pr --weight 50      # raise the weight (same salt: keys only join)
  routinec rollout check --apply                        # CI: abort every canary whose guard fails
  routinec rollout promote summarize_pr
  routinec rollout abort summarize_pr                   # the rollback
  routinec rollout pin summarize_pr v2"""
)
def rollout() -> None:
    """Channels for routine versions: sticky canaries guarded by ledger outcomes, one-command rollback.

    Every change rewrites routines.lock atomically and appends a rollout record to the ledger."""


@rollout.command()
@click.argument("name", required=False, shell_complete=complete_routine)
@format_option
@project_option
@guard
def status(name: str | None, fmt: str, project: Path | None) -> None:
    """Channels, weights, guard state and outcome counts (every routine, or NAME)."""
    from routinec.commands.rollout import status as run

    config = load_or_exit(project, fmt)
    for item in run(config, name):
        data = item.to_json()
        if fmt == "json":
            _line(data)
            continue
        click.echo(f"{item.routine}: {_channels_text(data['channels'])}")
        if item.current not in item.channels.versions():
            click.echo(f"  the spec's entry is v{item.current} (not on a channel: 'routinec rollout canary {item.routine}' starts one)")
        for side in ("stable", "canary"):
            if side in data["counts"]:
                click.echo(f"  {side}: {_counts_text(data['counts'][side])}")
        if item.check is not None:
            click.echo(f"  guard: {item.check.verdict.text(item.check.guard)}")
    sys.exit(0)


def _done(change: Any, fmt: str) -> None:
    if fmt == "json":
        _line(change.to_json())
    elif change.changed:
        click.echo(f"{change.routine}: {change.action}: {_channels_text(change.before)} -> {_channels_text(change.after)}")
    else:
        click.echo(f"{change.routine}: unchanged ({_channels_text(change.after)})")


@rollout.command()
@click.argument("name", shell_complete=complete_routine)
@click.option("--weight", type=int, required=True, help="Percentage of keys (0-100) sent to the canary.")
@click.option("--key", default=None, help="Bucket by this input field (input.FIELD); default: the caller's key=, else a request id.")
@click.option("--guard", "guard_spec", default=None, help="Abort condition, e.g. 'rejected<=+5%' (metrics: rejected, modified, invalid-output, error).")
@click.option("--min-outcomes", type=int, default=50, show_default=True, help="Canary observations before the guard decides.")
@by_option
@why_option
@format_option
@project_option
@guard
def canary(name: str, weight: int, key: str | None, guard_spec: str | None, min_outcomes: int, by: str | None,
           why: str | None, fmt: str, project: Path | None) -> None:
    """The current spec's entry of NAME becomes the canary (stable stays); or change its weight."""
    from routinec.commands.rollout import canary as run

    config = load_or_exit(project, fmt)
    _done(run(config, name, weight=weight, key=key, guard=guard_spec, min_outcomes=min_outcomes, by=by, why=why), fmt)
    sys.exit(0)


@rollout.command()
@click.argument("name", shell_complete=complete_routine)
@by_option
@why_option
@format_option
@project_option
@guard
def promote(name: str, by: str | None, why: str | None, fmt: str, project: Path | None) -> None:
    """NAME's canary becomes stable."""
    from routinec.commands.rollout import promote as run

    config = load_or_exit(project, fmt)
    _done(run(config, name, by=by, why=why), fmt)
    sys.exit(0)


@rollout.command()
@click.argument("name", shell_complete=complete_routine)
@by_option
@why_option
@format_option
@project_option
@guard
def abort(name: str, by: str | None, why: str | None, fmt: str, project: Path | None) -> None:
    """Remove NAME's canary; stable is untouched (the rollback: works whatever the spec says now)."""
    from routinec.commands.rollout import abort as run

    config = load_or_exit(project, fmt)
    _done(run(config, name, by=by, why=why), fmt)
    sys.exit(0)


@rollout.command()
@click.argument("name", shell_complete=complete_routine)
@click.argument("version")
@by_option
@why_option
@format_option
@project_option
@guard
def pin(name: str, version: str, by: str | None, why: str | None, fmt: str, project: Path | None) -> None:
    """Point NAME's stable channel at VERSION (vN), which the lock holds a frozen entry for."""
    from routinec.commands.rollout import parse_version
    from routinec.commands.rollout import pin as run

    config = load_or_exit(project, fmt)
    _done(run(config, name, parse_version(version), by=by, why=why), fmt)
    sys.exit(0)


@rollout.command()
@click.argument("name", required=False, shell_complete=complete_routine)
@click.option("--apply", "apply", is_flag=True, help="Abort every canary whose guard fails (rewrites the lock).")
@by_option
@format_option
@project_option
@guard
def check(name: str | None, apply: bool, by: str | None, fmt: str, project: Path | None) -> None:
    """Evaluate each canary's guard against the ledger; exit 1 when one fails."""
    from routinec.commands.rollout import check as run

    config = load_or_exit(project, fmt)
    checks, changes, said = run(config, name, apply=apply, by=by)
    if fmt == "json":
        for item in checks:
            _line({"kind": "guard", **item.to_json()})
        for change in changes:
            _line({"kind": "change", **change.to_json()})
    else:
        for item in checks:
            click.echo(f"{item.routine}: guard {item.guard.text()}: {item.verdict.text(item.guard)}")
        for change in changes:
            _done(change, fmt)
        if not checks:
            click.echo("no canary with a guard to check", err=True)
    emit(said, fmt, config.root)
    sys.exit(1 if said else 0)
