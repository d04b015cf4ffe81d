"""Runtime layer: golden tests, one outcome per locked test case, plus orphan detection.

In: a `Runtime` and a selection of routines/cases. Out: sorted `CaseOutcome`s (pass, fail
with field diffs, or error with a one-line RoutineError). Shared by `routinec test`,
`record --check` and the pytest plugin, so all three say the same thing.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from routinec.codes import Code
from routinec.diagnostics import Diagnostic, Severity, Span, did_you_mean
from routinec.runtime.core import Runtime
from routinec.runtime.entry import to_wire
from routinec.runtime.errors import RoutineError, unknown_name
from routinec.runtime.golden import FieldDiff, compare_output, golden_path, read_golden
from routinec.runtime.transcript import write_json_guarded

__all__ = [
    "CaseOutcome",
    "GoldenCheck",
    "compare_with_golden",
    "find_orphans",
    "golden_file",
    "project_relative",
    "run_case",
    "run_suite",
    "select_cases",
]

_SUFFIXES = (".transcript.json", ".output.json")


@dataclass
class CaseOutcome:
    routine: str
    case: str
    status: str  # pass | fail | error | updated | recorded | drift
    diffs: list[FieldDiff] = field(default_factory=list)
    error: RoutineError | None = None
    seconds: float = 0.0
    path: str | None = None  # the file to look at: golden or transcript
    tokens: int = 0
    output: Any = None  # record: the output just recorded (shown field by field)
    golden: GoldenCheck | None = None  # record: how that output compares with the golden

    @property
    def exit_code(self) -> int:
        if self.status in ("pass", "updated", "recorded"):
            return 0
        if self.error is not None:
            return self.error.exit_code
        return 1

    @property
    def name(self) -> str:
        return f"{self.routine}/{self.case}"

    def diagnostic(self) -> Diagnostic | None:
        """A failed case as a diagnostic, for the renderer every command shares (None: passed)."""
        if self.exit_code == 0:
            return None
        if self.error is not None:
            diag = self.error.diagnostic
            return replace(diag, span=Span(self.path) if self.path else diag.span)
        what = "the live output" if self.status == "drift" else "the output"
        return Diagnostic(
            Code.GOLDEN_MISMATCH, Severity.ERROR, f"{self.name}: {what} differs from its golden",
            Span(self.path) if self.path else None, None, tuple(self.lines()),
        )

    def lines(self) -> list[str]:
        """Human-readable detail: one line per field diff, or the error with its hint."""
        if self.error is not None:
            return [self.error.one_line()]
        return [d.render() for d in self.diffs]


def select_cases(runtime: Runtime, routines: list[str], case: str | None = None) -> list[tuple[str, str]]:
    names = sorted(set(routines)) or runtime.routine_names
    chosen: list[tuple[str, str]] = []
    for name in names:
        if name not in runtime.lock.routines:
            raise unknown_name(Code.UNKNOWN_ROUTINE, name, runtime.routine_names, path=runtime.config.lock_path)
        # `--channel`: the cases of that channel's version (its frozen entry's tests).
        entry = runtime.routine(name).entry if runtime.channel is not None else runtime.lock.routines[name]
        cases = sorted(entry.tests)
        if case is not None:
            if case not in cases:
                if len(names) == 1:
                    raise unknown_name(Code.UNKNOWN_CASE, case, cases, routine=name)
                continue
            cases = [case]
        chosen.extend((name, c) for c in cases)
    if case is not None and not chosen:
        everywhere = sorted({c for name in names for c in runtime.lock.routines[name].tests})
        hint = did_you_mean(case, everywhere) or "'routinec show' lists every routine's cases"
        raise RoutineError(Code.UNKNOWN_CASE, f"no selected routine has a test case named {case!r}", hint=hint)
    return chosen


def project_relative(runtime: Runtime, path: str | Path) -> str:
    """Project-relative paths in reports (CI annotations and people both read them)."""
    try:
        return Path(path).resolve().relative_to(runtime.config.root.resolve()).as_posix()
    except ValueError:
        return str(path)


def _same_golden(path: Path, output: object) -> bool:
    from routinec.canonical import canonical_bytes, loads

    try:
        return canonical_bytes(loads(path.read_bytes())) == canonical_bytes(output)
    except (OSError, ValueError, TypeError, RecursionError):
        return False


@dataclass
class GoldenCheck:
    """An output against its case's golden: `missing` (no golden yet), `matches`, `differs`
    (with the field diffs) or `unusable` (unreadable, or no longer valid under the schema:
    `error` says which)."""

    status: str  # missing | matches | differs | unusable
    path: Path
    where: str  # the path as reports show it (project-relative)
    diffs: list[FieldDiff] = field(default_factory=list)
    golden: Any = None
    error: RoutineError | None = None

    def fields(self) -> list[str]:
        """The paths that differ, each once, in order."""
        return list(dict.fromkeys(d.path for d in self.diffs))


def golden_file(runtime: Runtime, routine: str, case: str) -> Path:
    """The golden a case is compared with: its version's own (`golden/NAME/vN/`) when the
    routine's version keeps one, else the routine's shared one."""
    gpath = golden_path(runtime.golden, routine, case)
    version_dir = runtime.routine(routine).version_dir
    if version_dir:
        own = golden_path(runtime.golden, routine, case, version_dir)
        if own.exists():
            return own
    return gpath


def compare_with_golden(runtime: Runtime, routine: str, case: str, output: Any) -> GoldenCheck:
    """Read the case's golden, check it still fits the locked output schema, and compare
    `output` with it by the test's `compare` rules: what `routinec test` decides, as a value."""
    gpath = golden_file(runtime, routine, case)
    try:
        expected = read_golden(gpath, routine=routine, case=case)
    except RoutineError as exc:
        status = "missing" if exc.kind is Code.GOLDEN_MISSING else "unusable"
        return GoldenCheck(status, gpath, project_relative(runtime, gpath), error=exc)
    locked = runtime.routine(routine)
    problem = locked.output_problem(to_wire(expected))
    if problem is not None:
        error = RoutineError(
            Code.GOLDEN_INVALID,
            f"the golden output no longer matches the locked output schema: {problem}",
            hint=f"review it, then run 'routinec test {routine} --update-golden'",
            routine=routine,
            case=case,
            path=gpath,
        )
        return GoldenCheck("unusable", gpath, project_relative(runtime, gpath), golden=expected, error=error)
    diffs = compare_output(expected, output, locked.compare_rules(case))
    return GoldenCheck("differs" if diffs else "matches", gpath, project_relative(runtime, gpath), diffs, expected)


def run_case(runtime: Runtime, routine: str, case: str, *, update_golden: bool = False) -> CaseOutcome:
    """Run one case and compare it with its golden (or rewrite the golden when asked)."""
    start = time.perf_counter()
    gpath = golden_path(runtime.golden, routine, case)
    try:
        # A channel's version that differs from the current entry has its own goldens where
        # they differ (golden/NAME/vN/CASE.output.json); else it shares the routine's.
        version_dir = runtime.routine(routine).version_dir
        own = golden_path(runtime.golden, routine, case, version_dir) if version_dir else gpath
        result = runtime.run_case(routine, case)
        if version_dir and update_golden and _same_golden(gpath, result.output) and not own.exists():
            return CaseOutcome(routine, case, "pass", seconds=time.perf_counter() - start, path=project_relative(runtime, gpath))
        if own.exists() or update_golden:
            gpath = own
        if update_golden:
            if _same_golden(gpath, result.output):
                # Unchanged: leave the file alone (bytes, mtime), so reviews see only real changes.
                return CaseOutcome(routine, case, "pass", seconds=time.perf_counter() - start, path=project_relative(runtime, gpath))
            write_json_guarded(gpath, result.output, routine=routine, case=case, redactor=runtime.redactor())
            return CaseOutcome(routine, case, "updated", seconds=time.perf_counter() - start, path=project_relative(runtime, gpath))
        checked = compare_with_golden(runtime, routine, case, result.output)
        if checked.error is not None:
            raise checked.error
        diffs = checked.diffs
        locked = runtime.routine(routine)
        expect = locked.entry.tests[case].expect if case in locked.entry.tests else {}
        if expect and not diffs:
            from routinec.runtime.toolloop import check_trajectory

            check_trajectory(expect, result, gpath)
    except RoutineError as exc:
        status = "fail" if exc.exit_code == 1 else "error"
        return CaseOutcome(
            routine, case, status, error=exc, seconds=time.perf_counter() - start,
            path=project_relative(runtime, exc.path) if exc.path else None,
        )
    status = "fail" if diffs else "pass"
    return CaseOutcome(routine, case, status, diffs, seconds=time.perf_counter() - start, path=project_relative(runtime, gpath))


def _case_of(path: Path) -> str | None:
    for suffix in _SUFFIXES:
        if path.name.endswith(suffix):
            return path.name[: -len(suffix)]
    return None


def find_orphans(runtime: Runtime, routines: list[str]) -> list[CaseOutcome]:
    """Transcripts and goldens that no locked test case owns (a replay run never uses them)."""
    golden = runtime.golden
    if not golden.is_dir():
        return []
    folders = [golden / r for r in sorted(set(routines))] if routines else sorted(
        p for p in golden.iterdir() if p.is_dir()
    )
    found: list[CaseOutcome] = []
    for folder in folders:
        if not folder.is_dir():
            continue
        entry = runtime.lock.routines.get(folder.name)
        cases = set(entry.tests) if entry is not None else set()
        for path in sorted(folder.iterdir()):
            case = _case_of(path)
            if case is None or case in cases:
                continue
            kind = Code.TRANSCRIPT_ORPHAN if path.name.endswith(".transcript.json") else Code.GOLDEN_ORPHAN
            owner = "routine" if entry is None else "test case"
            rel = path.relative_to(runtime.config.root).as_posix()
            error = RoutineError(
                kind,
                f"orphaned file: no locked {owner} owns {rel}",
                hint=f"delete it, or restore the test case '{case}' in the spec and run 'routinec lock'",
                routine=folder.name,
                case=case,
                path=rel,
            )
            found.append(CaseOutcome(folder.name, case, "fail", error=error, path=rel))
    return found


def run_suite(
    runtime: Runtime,
    routines: list[str],
    *,
    case: str | None = None,
    update_golden: bool = False,
) -> list[CaseOutcome]:
    outcomes = [
        run_case(runtime, r, c, update_golden=update_golden) for r, c in select_cases(runtime, routines, case)
    ]
    if case is None:
        outcomes.extend(find_orphans(runtime, routines))
    return sorted(outcomes, key=lambda o: (o.routine, o.case, o.status, o.path or ""))
