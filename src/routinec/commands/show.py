"""Application layer: `routinec show ROUTINE[/CASE]`, what a test case holds, read-only.

In: a `Config` and a target (`summarize_pr` or `summarize_pr/small_fix`). Out: a `CaseView`
(the case's input, the output its transcript replays to, its golden, and the field diffs
`routinec test` would report) or a `RoutineView` (the lock summary and every case's status).
The transcript is replayed exactly as `routinec test` replays it (offline, no ledger), and
compared with the golden by the same code (`runtime.suite.compare_with_golden`). Unknown
names are `unknown-routine`/`unknown-case` diagnostics with a did-you-mean hint (exit 2).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from routinec.codes import Code
from routinec.config import Config

if TYPE_CHECKING:
    from routinec.runtime.core import Runtime
    from routinec.runtime.golden import FieldDiff

__all__ = ["CaseView", "RoutineView", "Transcript", "parse_target", "show"]

# Why a replay failed, as the transcript's state.
_STATES = {
    Code.TRANSCRIPT_MISSING: "missing",
    Code.TRANSCRIPT_MISMATCH: "stale",
    Code.TRANSCRIPT_CORRUPT: "corrupt",
    Code.INVALID_OUTPUT: "invalid",
}


@dataclass(frozen=True)
class Transcript:
    """The case's transcript: `current` (replays: `routinec test` would use it), `stale` (the
    request changed since it was recorded), `missing`, `corrupt`, `invalid` (its answer does
    not fit the output schema) or `error` (the replay failed for another reason)."""

    path: str
    state: str
    origin: str | None = None  # recorded | fixture
    output: Any = None
    has_output: bool = False  # `output` is the recorded answer (also for a stale transcript)
    problem: str | None = None  # one line: why it does not replay


@dataclass(frozen=True)
class CaseView:
    routine: str
    case: str
    input: Any
    input_problem: str | None
    transcript: Transcript
    golden_path: str
    golden: Any
    golden_state: str  # present | missing | unusable
    golden_problem: str | None
    verdict: str  # matches | differs | no-golden | not-recorded | unusable
    diffs: list[FieldDiff] = field(default_factory=list)

    @property
    def name(self) -> str:
        return f"{self.routine}/{self.case}"


@dataclass(frozen=True)
class RoutineView:
    """A routine's lock summary and the status of each of its test cases."""

    routine: str
    version: int
    model: str  # as the spec writes it
    snapshot: str  # what the lock pins
    lifecycle: str
    params: dict[str, Any]
    source: str
    entry_hash: str
    cases: list[CaseView]


def parse_target(target: str) -> tuple[str, str | None]:
    """`ROUTINE` or `ROUTINE/CASE` (a trailing slash is the routine)."""
    routine, _, case = target.partition("/")
    return routine, case or None


def show(config: Config, target: str) -> CaseView | RoutineView:
    from routinec.runtime.errors import unknown_name

    routine, case = parse_target(target)
    runtime = _runtime(config)
    entry = runtime.lock.routines.get(routine)
    if entry is None:
        raise unknown_name(Code.UNKNOWN_ROUTINE, routine, runtime.routine_names, path=config.lock_path)
    if case is not None:
        if case not in entry.tests:
            raise unknown_name(Code.UNKNOWN_CASE, case, sorted(entry.tests), routine=routine)
        return _case(runtime, routine, case)
    return _routine(runtime, routine)


def show_all(config: Config) -> list[RoutineView]:
    """Every locked routine (`routinec show` with no argument), by name."""
    runtime = _runtime(config)
    return [_routine(runtime, name) for name in sorted(runtime.lock.routines)]


def _runtime(config: Config) -> Runtime:
    from routinec.runtime.core import Runtime

    return Runtime(config=config, mode="replay", ledger=False)


def _routine(runtime: Runtime, routine: str) -> RoutineView:
    from routinec.runtime.entry import to_wire

    entry = runtime.lock.routines[routine]
    return RoutineView(
        routine=routine, version=entry.version, model=entry.model.alias, snapshot=entry.model.snapshot,
        lifecycle=entry.model.lifecycle, params=to_wire(dict(entry.params.values)), source=entry.source,
        entry_hash=entry.entry_hash, cases=[_case(runtime, routine, c) for c in sorted(entry.tests)],
    )


def _case(runtime: Runtime, routine: str, case: str) -> CaseView:
    from routinec.runtime.errors import RoutineError
    from routinec.runtime.golden import read_golden
    from routinec.runtime.suite import compare_with_golden, golden_file, project_relative

    locked = runtime.routine(routine)
    try:
        inputs: Any = locked.case_input(case)
        input_problem = None
    except RoutineError as exc:
        inputs, input_problem = None, exc.brief()
    transcript = _transcript(runtime, routine, case)
    gpath = golden_file(runtime, routine, case)
    if transcript.has_output:
        checked = compare_with_golden(runtime, routine, case, transcript.output)
        golden, diffs = checked.golden, checked.diffs
        state = {"missing": "missing", "unusable": "unusable"}.get(checked.status, "present")
        problem = checked.error.brief() if checked.error is not None and state == "unusable" else None
        verdict = {"missing": "no-golden"}.get(checked.status, checked.status)
    else:
        diffs = []
        try:
            golden, state, problem = read_golden(gpath, routine=routine, case=case), "present", None
        except RoutineError as exc:
            missing = exc.kind is Code.GOLDEN_MISSING
            golden, state, problem = None, "missing" if missing else "unusable", None if missing else exc.brief()
        verdict = "not-recorded"
    return CaseView(
        routine=routine, case=case, input=inputs, input_problem=input_problem, transcript=transcript,
        golden_path=project_relative(runtime, gpath), golden=golden, golden_state=state, golden_problem=problem,
        verdict=verdict, diffs=diffs,
    )


def _transcript(runtime: Runtime, routine: str, case: str) -> Transcript:
    """Replay the case as `routinec test` does; when the replay fails, say why, and still show
    the answer a stale transcript holds."""
    from routinec.runtime.errors import RoutineError
    from routinec.runtime.request import extract_output
    from routinec.runtime.suite import project_relative
    from routinec.runtime.transcript import read_transcript, transcript_path

    locked = runtime.routine(routine)
    path = transcript_path(runtime.golden, routine, case, locked.version_dir)
    if locked.version_dir and not path.exists():
        path = transcript_path(runtime.golden, routine, case)  # recorded before the routine had channels
    where = project_relative(runtime, path)
    data: dict[str, Any] | None = None
    with contextlib.suppress(RoutineError):  # the replay below says why, in `routinec test`'s words
        data = read_transcript(path, routine=routine, case=case)
    origin = data.get("origin") if data is not None else None
    try:
        result = runtime.run_case(routine, case)
    except RoutineError as exc:
        state = _STATES.get(exc.kind, "error")
        output: Any = None
        has_output = False
        if data is not None and state == "stale":
            with contextlib.suppress(RoutineError):
                output, has_output = extract_output(locked, data["responses"][-1], case, where), True
        return Transcript(where, state, origin if isinstance(origin, str) else None, output, has_output, exc.brief())
    return Transcript(where, "current", origin if isinstance(origin, str) else None, result.output, True)
