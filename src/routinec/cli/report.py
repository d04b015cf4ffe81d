"""CLI layer: `routinec report`. Parse flags, call routinec.commands.report, write, exit
(0 the report was written; 2 bad input: an unknown routine, a bad --since, no ledger yet, a
corrupt or newer ledger)."""

from __future__ import annotations

from pathlib import Path

import click

from routinec.cli.complete import complete_routine
from routinec.cli.options import guard, load_or_exit, output_options, project_option

__all__ = ["report"]


@click.command(epilog="""\b
Examples:
  routinec report                              # report.html: the last 30 days
  routinec report --since 90d --routine summarize_pr -o health.html
  routinec report --format json                # the same figures as JSON, on stdout""")
@click.option("--since", default="30d", show_default=True, help="30d, 12h, 45m, or a date (2026-11-01).")
@click.option("--routine", default=None, help="Only this routine.", shell_complete=complete_routine)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Where to write (default: report.html; JSON goes to stdout). '-' is stdout.")
@click.option("--format", "report_format", type=click.Choice(["html", "json"]), default="html", show_default=True,
              help="html: one self-contained page (inline CSS and SVG, no network); json: the same figures.")
@output_options(with_format=False)
@project_option
@guard
def report(since: str, routine: str | None, output: Path | None, report_format: str, project: Path | None) -> None:
    """The routine health report: runs, errors, outcomes, latency and tokens per version, models
    near retirement, and the lock's history (versioned cleanly, schema changes vs consumers)."""
    from routinec.commands.report import build_report, report_json, write_report

    # `report_format`, not `fmt`: `guard` renders diagnostics in `fmt`, and they stay text here.
    fmt = report_format
    config = load_or_exit(project, "text")
    built = build_report(config, since=since, routine=routine)
    if output is None and fmt == "html":
        output = Path("report.html")
    if output is None or str(output) == "-":
        if fmt == "json":
            click.echo(report_json(built), nl=False)
        else:
            from routinec.health.render_html import render_html

            click.echo(render_html(built), nl=False)
        return
    write_report(built, fmt, output)
    click.echo(
        f"wrote {output}: {built.total_runs:,} run(s) of {len(built.routines)} routine(s) since {built.since[:10]}",
        err=True,
    )
