"""Application layer: `routinec test` and `routinec record`, from a project to case outcomes.

In: a `Config`, the routines and case asked for, and the flags. Out: a `RunOutcome` (case
outcomes, whether Ctrl-C cut the run short, how many transcripts were written) for the CLI
to render. Refusals (`--update-golden` under CI=true, `--live` with `--update-golden`) are
diagnostics, like every other bad invocation. The runtime is imported inside the functions,
so `routinec --help` never pays for it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from routinec.codes import Code
from routinec.config import Config, env
from routinec.diagnostics import Diagnostic, DiagnosticError, Severity

if TYPE_CHECKING:
    from routinec.runtime.core import Runtime
    from routinec.runtime.record import Progress
    from routinec.runtime.suite import CaseOutcome

__all__ = ["RunOutcome", "record", "test"]


@dataclass
class RunOutcome:
    outcomes: list[CaseOutcome] = field(default_factory=list)
    seconds: float = 0.0
    interrupted: bool = False
    total: int = 0  # cases selected
    written: int = 0  # transcripts written (record)
    ledger_failures: list[tuple[str, str]] = field(default_factory=list)  # (run id, why) records lost
    ledger_spooled: list[tuple[str, str]] = field(default_factory=list)  # (run id, why) in the spool


def _refuse(code: Code, message: str, hint: str) -> DiagnosticError:
    return DiagnosticError([Diagnostic(code, Severity.ERROR, message, None, hint)])


def _on_channel(runtime: Runtime, routines: list[str], channel: str | None) -> list[str]:
    """`--channel canary` without names: the routines that have a canary (none: bad input)."""
    if channel not in (None, "stable", "canary"):
        raise _refuse(Code.ROLLOUT_INVALID, f"unknown channel {channel!r}", "use stable or canary")
    if channel != "canary" or routines:
        return routines
    names = sorted(n for n, r in runtime.lock.rollout.items() if r.channels.canary is not None)
    if not names:
        raise _refuse(Code.NO_CANARY, "no routine has a canary", "start one with 'routinec rollout canary NAME --weight N'")
    return names


def test(
    config: Config,
    routines: list[str],
    *,
    case: str | None = None,
    update_golden: bool = False,
    live: bool = False,
    jobs: int = 4,
    progress: Progress | None = None,
    ledger: bool = False,
    channel: str | None = None,
    tools: str = "recorded",
) -> RunOutcome:
    """Replay every selected case and compare with its golden (or, `live`, call the model and
    report drift, writing no transcript or golden). Orphaned transcripts and goldens are
    outcomes too. Live runs append run records to the ledger; replayed ones only with `ledger`."""
    if update_golden and env().ci:
        raise _refuse(Code.CI_REFUSED, "--update-golden is refused under CI=true", "update goldens locally, review the diff, commit")
    if update_golden and live:
        raise _refuse(Code.CONFIG, "--live never writes goldens", "record with 'routinec record', then 'routinec test --update-golden'")
    from routinec.runtime.core import Runtime
    from routinec.runtime.record import check_case, run_many
    from routinec.runtime.suite import find_orphans, run_suite, select_cases

    start = time.perf_counter()
    runtime = Runtime(config=config, mode="live" if live else "replay", ledger=True if ledger else None, channel=channel, tools=tools)
    routines = _on_channel(runtime, routines, channel)
    if not live:
        outcomes = run_suite(runtime, routines, case=case, update_golden=update_golden)
        return RunOutcome(outcomes, time.perf_counter() - start, total=len(outcomes),
                          ledger_failures=runtime.ledger_failures, ledger_spooled=runtime.ledger_spooled)
    runtime.provider()  # refuse a missing or dummy key before anything starts
    pairs = select_cases(runtime, routines, case)
    summary = run_many(runtime, pairs, check_case, jobs=jobs, progress=progress)
    outcomes = list(summary.outcomes)
    if not summary.interrupted and case is None:
        outcomes.extend(find_orphans(runtime, routines))
    return RunOutcome(outcomes, time.perf_counter() - start, summary.interrupted, len(pairs),
                      ledger_failures=runtime.ledger_failures, ledger_spooled=runtime.ledger_spooled)


def record(
    config: Config,
    routines: list[str],
    *,
    case: str | None = None,
    jobs: int = 4,
    check_only: bool = False,
    progress: Progress | None = None,
    channel: str | None = None,
    allow_writes: bool = False,
) -> RunOutcome:
    """Call the model for each selected case and write its redacted transcript (or,
    `check_only`, compare live outputs with goldens and write nothing)."""
    from routinec.runtime.core import Runtime
    from routinec.runtime.record import check_case, record_case, run_many
    from routinec.runtime.suite import select_cases

    start = time.perf_counter()
    runtime = Runtime(config=config, mode="live" if check_only else "record", channel=channel, allow_writes=allow_writes)
    routines = _on_channel(runtime, routines, channel)
    pairs = select_cases(runtime, routines, case)
    runtime.provider()  # refuse a missing or dummy key before anything starts
    work = check_case if check_only else record_case
    summary = run_many(runtime, pairs, work, jobs=jobs, progress=progress)
    return RunOutcome(
        list(summary.outcomes), time.perf_counter() - start, summary.interrupted, len(pairs), summary.written,
        ledger_failures=runtime.ledger_failures, ledger_spooled=runtime.ledger_spooled,
    )
