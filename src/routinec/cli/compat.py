"""CLI layer: `routinec compat` (schema compatibility). Thin: flags → engine → render → exit.

In: schema files or pydantic `module:Model` references. Out: one line per finding, the
counterexample and a summary; exit 0 clean, 1 on a finding at/above --fail-on, 2 bad input.
"""

from __future__ import annotations

import json
import sys

import click

__all__ = ["compat"]


@click.group("compat", invoke_without_command=True)
@click.pass_context
def compat(ctx: click.Context) -> None:
    """Schema compatibility: diff two schemas (more subcommands to come)."""
    if ctx.invoked_subcommand is None:
        click.echo(ctx.get_help(), err=True)
        click.echo(
            "\nroutinec compat: name a subcommand, e.g. `routinec compat diff OLD NEW`", err=True
        )
        ctx.exit(2)


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
@click.option(
    "--policy",
    type=click.Choice(["default", "strict", "lenient"]),
    default="default",
    show_default=True,
    help="Content-model assumptions and severities.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "github"]),
    default="text",
    show_default=True,
)
@click.option("--fail-on", type=click.Choice(["ERR", "WARN"]), default="ERR", show_default=True)
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
    except Exception as exc:  # a bug: still one line, never a traceback
        _fail(f"internal error: {type(exc).__name__}: {exc}", "please report this")
    if fmt == "json":
        click.echo(json.dumps(report.to_json(), sort_keys=True, indent=2, ensure_ascii=False))
    elif fmt == "github":
        for line in report.github_lines(old, new):
            click.echo(line)
    else:
        for line in report.text_lines(old, new):
            click.echo(line)
    threshold = Level.ERR if fail_on == "ERR" else Level.WARN
    worst = report.worst()
    sys.exit(1 if worst is not None and worst.rank >= threshold.rank else 0)


def _fail(message: str, hint: str) -> None:
    click.echo(f"routinec: error: {message}", err=True)
    if hint:
        click.echo(f"  hint: {hint}", err=True)
    sys.exit(2)
