"""CLI layer: `routinec gen workflows`, GitHub Actions workflows for triggered routines."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from routinec.cli.options import emit, format_option, guard, load_or_exit, project_option

__all__ = ["workflows"]


@click.command(
    epilog="""\b
Examples:
  routinec gen workflows          # write .github/workflows/routinec-<routine>.yml
  routinec verify                 # fails while a generated workflow is stale"""
)
@format_option
@project_option
@guard
def workflows(fmt: str, project: Path | None) -> None:
    """Write a GitHub Actions workflow for each routine with triggers (`on schedule`, `on
    pull_request`, `on dispatch`): it verifies the lock, then runs `routinec run NAME`."""
    from routinec.client import write_workflows
    from routinec.diagnostics import DiagnosticError
    from routinec.lockfile import read_lock

    config = load_or_exit(project, fmt)
    try:
        lock = read_lock(config.lock_path)
    except DiagnosticError as exc:
        emit(exc.diagnostics, fmt, config.root)
        sys.exit(2)
    try:
        result = write_workflows(config, lock)
    except DiagnosticError as exc:
        emit(exc.diagnostics, fmt, config.root)
        sys.exit(2)
    written, unchanged, removed = result.written, result.unchanged, result.removed
    if fmt == "json":
        click.echo(json.dumps({"written": written, "unchanged": unchanged, "removed": removed}, sort_keys=True))
        return
    for path in written:
        click.echo(f"wrote {path}")
    for path in removed:
        click.echo(f"removed {path}")
    total = len(written) + len(unchanged)
    recorded = f" (recorded in {config.lockfile})" if result.lock_changed else ""
    click.echo(f"{total} workflow{'s' if total != 1 else ''}: {len(written)} written, {len(unchanged)} unchanged, "
               f"{len(removed)} removed{recorded}", err=True)
