"""CLI layer: `record` and `test`. Parse flags, call routinec.runtime, render, exit.

Exit codes: 0 all good; 1 a check failed (golden mismatch, drift, stale transcript);
2 bad input or invocation (missing lock, corrupt file, bad flag). 130 after Ctrl-C.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import click

from routinec.cli.complete import complete_case, complete_routine
from routinec.cli.options import (
    emit,
    format_option,
    guard,
    load_or_exit,
    project_option,
    state,
    summary_extra,
    tally,
)
from routinec.diagnostics import DiagnosticError, exit_code_for

if TYPE_CHECKING:
    from routinec.diagnostics import Diagnostic
    from routinec.redact import Redactor
    from routinec.runtime.record import Progress
    from routinec.runtime.suite import CaseOutcome

__all__ = ["record", "test"]

jobs_option = click.option(
    "--jobs", "-j", type=click.IntRange(1, 64), default=4, show_default=True, help="Cases run concurrently."
)
case_option = click.option("--case", "case", default=None, help="Only this test case.", shell_complete=complete_case)


def _refused(exc: DiagnosticError, fmt: str, root: Path) -> NoReturn:
    emit(exc.diagnostics, fmt, root)  # paths relative to the project, as in every command
    sys.exit(exit_code_for(exc.diagnostics) or 2)


def _progress_printer() -> Progress | None:
    if not sys.stderr.isatty():
        return None

    def show(done: int, total: int, tokens: int) -> None:
        end = "\n" if done == total else ""
        sys.stderr.write(f"\r  {done}/{total} cases done, {tokens:,} tokens used{end}")
        sys.stderr.flush()

    return show


def _ledger_warning(failures: list[tuple[str, str]], spooled: list[tuple[str, str]]) -> None:
    if spooled:
        click.echo(
            f"routinec: warning: {len(spooled)} run record(s) kept in .routinec/spool/ ({spooled[0][1]}); "
            "'routinec ledger sync' delivers them",
            err=True,
        )
    if failures:
        click.echo(
            f"routinec: warning: {len(failures)} run record(s) not written to the ledger: {failures[0][1]}",
            err=True,
        )


def _finish(
    items: list[CaseOutcome], seconds: float, fmt: str, junit: Path | None, verbose: bool, patterns: tuple[str, ...]
) -> None:
    from routinec.redact import Redactor
    from routinec.runtime.report import exit_code, render, write_junit

    # The project's own [tool.routinec] redact patterns apply to reports as to transcripts.
    redactor = Redactor(patterns)
    text = render(items, seconds, fmt, verbose or state().verbose, redactor)
    if fmt == "json":
        # The closing summary record is the shared one (options.finish), with these figures.
        text = text.rpartition("\n")[0] if "\n" in text else ""
        counts: dict[str, int] = {}
        for o in items:
            counts[o.status] = counts.get(o.status, 0) + 1
        summary_extra(cases=len(items), seconds=round(seconds, 3), **{k: counts.get(k, 0) for k in ("pass", "fail", "error", "updated", "recorded", "drift")})
        if counts.get("recorded"):
            # record: how many new outputs differ from their golden, or have none yet.
            golden = [o.golden.status for o in items if o.golden is not None]
            summary_extra(golden_differs=golden.count("differs"), golden_missing=golden.count("missing"))
    tally(passed=sum(1 for o in items if o.exit_code == 0), failed=sum(1 for o in items if o.exit_code != 0))
    if fmt == "github":
        # Failed cases are annotations like every other command's: through `emit`, so their
        # paths are named from the repository root (a project in a subdirectory) and they
        # reach the job summary. The report's github text is the counts line that follows.
        emit([_redacted(d, redactor) for d in (o.diagnostic() for o in items) if d is not None], fmt, state().root)
    if text:
        click.echo(text)
    if junit is not None:
        write_junit(junit, items, seconds, redactor)
    sys.exit(exit_code(items))


def _redacted(diag: Diagnostic, redactor: Redactor) -> Diagnostic:
    from dataclasses import replace

    from routinec.redact import redact_text

    return replace(
        diag, message=redact_text(diag.message, redactor),
        help=redact_text(diag.help, redactor) if diag.help else diag.help,
        notes=tuple(redact_text(n, redactor) for n in diag.notes),
    )


_channel_option = click.option(
    "--channel", "channel", type=click.Choice(["stable", "canary"]), default=None,
    help="Run the test cases of the version on this rollout channel (default: the current lock entry). "
         "Goldens and transcripts of a version that differs live in golden/NAME/vN/.",
)


@click.command(
    epilog="""\b
Examples:
  routinec test                         # replay every case offline, compare with goldens
  routinec test summarize_pr --case small_fix
  routinec test --update-golden         # rewrite goldens from replayed outputs (not in CI)
  routinec test --live                  # drift report against the live model; writes nothing
  routinec test --format github --junit-xml report.xml"""
)
@click.argument("routines", nargs=-1, shell_complete=complete_routine)
@case_option
@click.option("--update-golden", is_flag=True, help="Write goldens from the outputs (refused under CI=true).")
@click.option("--live", is_flag=True, help="Call the model instead of replaying; report drift, write nothing.")
@click.option("--ledger", "ledger", is_flag=True, help="Append a run record per replayed case to the run ledger too.")
@click.option(
    "--tools", "tools", type=click.Choice(["recorded", "live"]), default="recorded", show_default=True,
    help="Tool results in replay: from the transcript, or re-run the read tools and report differences.",
)
@click.option("--junit-xml", "junit", type=click.Path(dir_okay=False, path_type=Path), default=None)
@jobs_option
@_channel_option
@format_option
@project_option
@guard
def test(
    routines: tuple[str, ...],
    case: str | None,
    update_golden: bool,
    live: bool,
    ledger: bool,
    tools: str,
    junit: Path | None,
    jobs: int,
    channel: str | None,
    fmt: str,
    project: Path | None,
) -> None:
    """Replay recorded transcripts and compare outputs with golden files, field by field."""
    from routinec.commands import runs

    config = load_or_exit(project, fmt)
    try:
        run = runs.test(
            config, list(routines), case=case, update_golden=update_golden, live=live, jobs=jobs,
            progress=_progress_printer(), ledger=ledger, channel=channel, tools=tools,
        )
    except DiagnosticError as exc:
        _refused(exc, fmt, config.root)
    _ledger_warning(run.ledger_failures, run.ledger_spooled)
    if run.interrupted:
        click.echo("routinec: interrupted; nothing was written", err=True)
        sys.exit(130)
    _finish(run.outcomes, run.seconds, fmt, junit, False, config.redact)


@click.command(
    epilog="""\b
Examples:
  routinec record summarize_pr              # every test case of one routine
  routinec record summarize_pr --case small_fix
  routinec record --jobs 8                  # all routines, 8 calls at a time
  routinec record --check                   # drift: live outputs vs goldens, writes nothing

Needs ANTHROPIC_API_KEY (ANTHROPIC_BASE_URL optional). Ctrl-C keeps finished transcripts."""
)
@click.argument("routines", nargs=-1, shell_complete=complete_routine)
@case_option
@jobs_option
@click.option("--check", "check_only", is_flag=True, help="Compare live outputs with goldens; write nothing.")
@_channel_option
@click.option("--allow-writes", is_flag=True, help="Run write tools for real (otherwise their dry runs run).")
@format_option
@project_option
@guard
def record(
    routines: tuple[str, ...],
    case: str | None,
    jobs: int,
    check_only: bool,
    channel: str | None,
    allow_writes: bool,
    fmt: str,
    project: Path | None,
) -> None:
    """Call the model for each test case and write redacted transcripts."""
    from routinec.commands import runs

    config = load_or_exit(project, fmt)
    try:
        run = runs.record(
            config, list(routines), case=case, jobs=jobs, check_only=check_only, progress=_progress_printer(),
            channel=channel,
            allow_writes=allow_writes,
        )
    except DiagnosticError as exc:
        _refused(exc, fmt, config.root)
    _ledger_warning(run.ledger_failures, run.ledger_spooled)
    if run.interrupted:
        click.echo(
            f"routinec: interrupted: {run.written} transcript(s) written and intact, "
            f"{run.total - run.written} case(s) not recorded",
            err=True,
        )
        sys.exit(130)
    _finish(run.outcomes, run.seconds, fmt, None, True, config.redact)
