"""CLI layer: `routinec run NAME`, run one routine live and print its output as JSON.

Exit codes: 0 the output validated; 1 the run failed (API error, invalid output, a tool
limit); 2 bad input (unknown routine, inputs that are not JSON or do not validate).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from routinec.cli.complete import complete_routine
from routinec.cli.options import emit, format_option, guard, load_or_exit, project_option

__all__ = ["run"]


@click.command(
    epilog="""\b
Examples:
  routinec run summarize_pr --input pr.json
  echo '{"title": "Crash"}' | routinec run label_issue --input -
  routinec run label_issue --event "$GITHUB_EVENT_PATH" --output out.json   # in a workflow

Needs ANTHROPIC_API_KEY. Write tools run only with --allow-writes (never under CI=true)."""
)
@click.argument("name", shell_complete=complete_routine)
@click.option("--input", "input_file", default=None, help="A JSON file of the inputs ('-': stdin).")
@click.option("--event", "event_file", default=None, help="A GitHub event payload to take the inputs from.")
@click.option("--output", "output_file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write the output JSON here.")
@click.option("--allow-writes", is_flag=True, help="Run write tools for real (otherwise their dry runs run).")
@format_option
@project_option
@guard
def run(
    name: str,
    input_file: str | None,
    event_file: str | None,
    output_file: Path | None,
    allow_writes: bool,
    fmt: str,
    project: Path | None,
) -> None:
    """Run one routine live on its inputs and print the validated output as JSON."""
    from routinec.canonical import atomic_write
    from routinec.commands.run import event_inputs, parse_inputs, run_routine
    from routinec.diagnostics import DiagnosticError
    from routinec.lockfile import read_lock

    config = load_or_exit(project, fmt)
    if (input_file is None) == (event_file is None):
        click.echo("routinec: error: give the inputs with exactly one of --input FILE|- or --event FILE", err=True)
        sys.exit(2)
    try:
        if input_file is not None:
            where = "stdin" if input_file == "-" else input_file
            text = sys.stdin.read() if input_file == "-" else Path(input_file).read_text("utf-8")
            inputs = parse_inputs(text, where)
        else:
            assert event_file is not None
            lock = read_lock(config.lock_path)
            entry = lock.routines.get(name)
            names = sorted((entry.input_schema.get("properties") or {}) if entry is not None else {})
            inputs = event_inputs(parse_inputs(Path(event_file).read_text("utf-8"), event_file), names, event_file)
        result = run_routine(config, name, inputs, allow_writes=allow_writes)
    except DiagnosticError as exc:
        emit(exc.diagnostics, fmt, config.root)
        sys.exit(exc.diagnostics[0].code.exit_class if exc.diagnostics else 2)
    text = json.dumps(result.output, sort_keys=True, ensure_ascii=False, indent=2) + "\n"
    if output_file is not None:
        atomic_write(output_file, text.encode("utf-8"))
    click.echo(text, nl=False)
