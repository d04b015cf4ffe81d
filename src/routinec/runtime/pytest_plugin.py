"""Runtime layer: the pytest plugin (entry point `pytest11`), off unless asked for.

In: `pytest --routinec` (or ini `routinec = true`) in a project with a lockfile. Out: one
test item per locked routine test case plus one orphan check, replayed offline and compared
with goldens exactly as `routinec test` does; `--routinec-update-golden` rewrites goldens.
Loaded in every pytest run that has routinec installed, so it imports nothing heavy until on.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from routinec.runtime.core import Runtime
    from routinec.runtime.suite import CaseOutcome

__all__ = ["RoutineCaseItem", "RoutinecLockFile"]

_RUNTIME_KEY = pytest.StashKey["Runtime"]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("routinec", "routinec golden tests")
    group.addoption(
        "--routinec",
        action="store_true",
        default=False,
        help="Add one test per routine test case in routines.lock (replayed offline).",
    )
    group.addoption(
        "--routinec-update-golden",
        action="store_true",
        default=False,
        help="Rewrite golden outputs from the replayed outputs (implies --routinec; refused under CI=true).",
    )
    group.addoption(
        "--routinec-project",
        default=None,
        help="Project root holding pyproject.toml and routines.lock (default: pytest's rootdir).",
    )
    parser.addini("routinec", type="bool", default=False, help="Always collect routine test cases.")


def _enabled(config: pytest.Config) -> bool:
    return bool(
        config.getoption("routinec")
        or config.getoption("routinec_update_golden")
        or config.getini("routinec")
    )


def _root(config: pytest.Config) -> Path:
    explicit = config.getoption("routinec_project")
    return Path(explicit).resolve() if explicit else Path(config.rootpath)


def _runtime(config: pytest.Config) -> Runtime:
    runtime = config.stash.get(_RUNTIME_KEY, None)
    if runtime is None:
        from routinec.config import load_config
        from routinec.runtime.core import Runtime

        runtime = Runtime(config=load_config(_root(config)), mode="replay")
        config.stash[_RUNTIME_KEY] = runtime
    return runtime


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "routinec: a routine test case replayed from routines.lock")
    from routinec.config import env

    if config.getoption("routinec_update_golden") and env().ci:
        raise pytest.UsageError("--routinec-update-golden is refused under CI=true; update goldens locally")


class RoutineCaseFailure(Exception):
    def __init__(self, outcome: CaseOutcome) -> None:
        super().__init__(outcome.name)
        self.outcome = outcome


class RoutinecLockFile(pytest.File):
    """The lockfile as a collector: its children are the routine test cases."""

    def collect(self) -> Iterator[pytest.Item]:
        from routinec.diagnostics import DiagnosticError

        try:
            runtime = _runtime(self.config)
        except DiagnosticError as exc:
            # The whole diagnostic: its path (the lockfile) and its hint, not only the message.
            from routinec.diagnostics import render

            yield RoutineCaseItem.from_parent(self, name="lock", routine="", case="", problem=render(exc.diagnostics))
            return
        for name in runtime.routine_names:
            for case in sorted(runtime.lock.routines[name].tests):
                yield RoutineCaseItem.from_parent(self, name=f"{name}::{case}", routine=name, case=case)
        yield RoutineCaseItem.from_parent(self, name="orphans", routine="", case="")


class RoutineCaseItem(pytest.Item):
    def __init__(self, *, routine: str, case: str, problem: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.routine = routine
        self.case = case
        self.problem = problem
        self.add_marker("routinec")

    def runtest(self) -> None:
        from routinec.runtime.suite import CaseOutcome, find_orphans, run_case

        if self.problem is not None:
            raise pytest.UsageError(self.problem)
        runtime = _runtime(self.config)
        if not self.routine:
            orphans = find_orphans(runtime, [])
            if orphans:
                first = orphans[0]
                merged = CaseOutcome("orphans", "", "fail", error=first.error)
                lines = [line for o in orphans for line in o.lines()]
                raise RoutineCaseFailure(merged) from AssertionError("\n".join(lines))
            return
        update = bool(self.config.getoption("routinec_update_golden"))
        outcome = run_case(runtime, self.routine, self.case, update_golden=update)
        if outcome.exit_code != 0:
            raise RoutineCaseFailure(outcome)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, RoutineCaseFailure):
            outcome = excinfo.value.outcome
            cause = excinfo.value.__cause__
            lines = str(cause).splitlines() if cause is not None else outcome.lines()
            head = "orphaned golden files" if not self.routine else f"{outcome.status.upper()} {outcome.name}"
            return "\n".join([head, *(f"  {line}" for line in lines)])
        if isinstance(excinfo.value, pytest.UsageError):
            return str(excinfo.value)
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int | None, str]:
        if self.routine:
            label = f"routine {self.routine} case {self.case}"
        elif self.problem is not None:
            label = f"routinec lockfile {self.path}"
        else:
            label = "routinec orphans"
        return self.path, None, label


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    """Append the lock's cases (tryfirst: before -k/-m deselection sees the list)."""
    if not _enabled(config):
        return
    from routinec.config import load_config

    lock_path = load_config(_root(config)).lock_path
    node = RoutinecLockFile.from_parent(session, path=lock_path)
    added = [item for item in node.collect() if isinstance(item, pytest.Item)]
    items.extend(added)
    # Report them as collected, so "collected N items" counts the cases that then run.
    config.hook.pytest_collectreport(
        report=pytest.CollectReport(node.nodeid, "passed", None, list(added))
    )


@pytest.fixture(scope="session")
def routinec_runtime(pytestconfig: pytest.Config) -> Runtime:
    """A replay-mode Runtime for the project under test (transcripts only, no network)."""
    return _runtime(pytestconfig)
