"""CLI layer: `routinec gen`, the group of generators that write files from the lock.

`gen python` writes the typed client (`routinec.client`). Other generators join the group as
subcommands; each records its files in the lock's `generated` table, which `verify` checks.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from routinec.cli.options import emit, format_option, guard, load_or_exit, project_option

__all__ = ["gen"]


@click.group(
    epilog="""\b
Examples:
  routinec gen python                 # the typed client, at [tool.routinec] client
  routinec gen python -o src/app/routines.py"""
)
def gen() -> None:
    """Generate files from routines.lock (recorded in the lock; 'verify' fails when stale)."""


@gen.command(
    epilog="""\b
The module has pydantic v2 models for every routine's input and output, and a typed function
(plus an _async twin) per routine. Rerun after 'routinec lock'; commit both files."""
)
@click.option(
    "-o", "--output", "output", type=click.Path(dir_okay=False, path_type=Path), default=None,
    help="Where to write the module (default: [tool.routinec] client, else routinec_client.py).",
)
@format_option
@project_option
@guard
def python(output: Path | None, fmt: str, project: Path | None) -> None:
    """Write the typed Python client for every routine in the lock."""
    from routinec.client import write_generated
    from routinec.codes import Code
    from routinec.diagnostics import Diagnostic, Severity
    from routinec.lockfile import read_lock

    config = load_or_exit(project, fmt)
    path = config.client
    if output is not None:
        resolved = (Path.cwd() / output).resolve()
        root = config.root.resolve()
        name = resolved.name
        problem = None
        if root not in resolved.parents:
            problem = f"{output} is outside the project at {root}"
        elif not name.endswith(".py") or not name[:-3].isidentifier():
            problem = f"{output} is not a Python module path"
        if problem is not None:
            emit([Diagnostic(Code.CONFIG, Severity.ERROR, problem, None, 'give a .py path inside the project, e.g. "src/app/routines.py"')], fmt, config.root)
            sys.exit(2)
        path = resolved.relative_to(root).as_posix()
    lock = read_lock(config.lock_path)
    changed = write_generated(config, lock, path)
    if fmt == "text":
        n = len(lock.routines)
        state = "written" if changed else "already up to date"
        click.echo(f"{path}: {n} routine{'s' if n != 1 else ''}, {state} (recorded in {config.lockfile})", err=True)
    sys.exit(0)


from routinec.cli.workflows import workflows  # noqa: E402  (`gen workflows`, issue 11)

gen.add_command(workflows)
