"""Application layer: `routinec init [DIR]`, a new project that passes check, lock, verify and
test at once.

In: a directory and a project name. Out: the files written (project-relative), in the order
written. The files come from `init_template/` (package data): a pyproject.toml with
`[tool.routinec]`, one spec, its prompt file, a test input and its golden output, a consumer
schema, a CI workflow and a .gitignore. Then the lock is compiled and a fixture transcript
(`"origin": "fixture"`, the golden output as the model's answer) is written for the test case,
so `routinec test` replays offline until `routinec record` replaces it with a real one.

Nothing is overwritten: a file that already exists refuses the whole command (exit 2). A
failure half-way removes what this command wrote.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from routinec.canonical import atomic_write
from routinec.client.install import install_step
from routinec.codes import Code
from routinec.diagnostics import Diagnostic, DiagnosticError, Severity

__all__ = ["TEMPLATE", "InitResult", "init_project", "project_name"]

# template file -> where it goes in the new project
TEMPLATE: dict[str, str] = {
    "pyproject.toml.tmpl": "pyproject.toml",
    "classify_ticket.routine.tmpl": "specs/classify_ticket.routine",
    "classify_ticket.j2.tmpl": "specs/prompts/classify_ticket.j2",
    "crash_report.input.json.tmpl": "golden/classify_ticket/crash_report.input.json",
    "crash_report.output.json.tmpl": "golden/classify_ticket/crash_report.output.json",
    "ticket-router.schema.json.tmpl": "consumers/ticket-router.schema.json",
    "workflow.yml.tmpl": ".github/workflows/routinec.yml",
    "gitignore.tmpl": ".gitignore",
}


@dataclass
class InitResult:
    root: Path
    written: list[str] = field(default_factory=list)


def project_name(directory: Path) -> str:
    """A PEP 508 name from the directory's name (`My Tickets` -> `my-tickets`)."""
    name = re.sub(r"[^A-Za-z0-9]+", "-", directory.resolve().name).strip("-").lower()
    return name or "routines"


def _bad(message: str, hint: str | None = None) -> DiagnosticError:
    return DiagnosticError([Diagnostic(Code.CONFIG, Severity.ERROR, message, None, hint)])


def init_project(directory: Path, name: str | None = None) -> InitResult:
    root = directory.resolve()
    if root.exists() and not root.is_dir():
        raise _bad(f"{directory} is a file, not a directory", "name a new or existing directory")
    name = name or project_name(root)
    if not re.fullmatch(r"[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?", name):
        raise _bad(f"{name!r} is not a valid project name", "use letters, digits, '.', '_' and '-'")
    existing = sorted(rel for rel in TEMPLATE.values() if (root / rel).exists() or (root / rel).is_symlink())
    for extra in ("routines.lock",):
        if (root / extra).exists():
            existing.append(extra)
    if existing:
        raise _bad(
            f"{directory} already has {', '.join(existing)}: routinec init writes a new project and overwrites nothing",
            "run it in an empty directory, e.g. 'routinec init my-routines'",
        )
    package = resources.files("routinec.commands") / "init_template"
    result = InitResult(root)
    created_dirs: list[Path] = []
    try:
        for template, rel in TEMPLATE.items():
            text = (package / template).read_text("utf-8").replace("__NAME__", name)
            text = text.replace("__INSTALL_STEP__\n", install_step())  # the workflow's (routinec.client.install)
            target = root / rel
            for parent in reversed(target.parents):
                if not parent.exists():
                    parent.mkdir()
                    created_dirs.append(parent)
            atomic_write(target, text.encode("utf-8"))
            result.written.append(rel)
        _lock_and_fixtures(root, result)
    except BaseException:
        for rel in reversed(result.written):
            (root / rel).unlink(missing_ok=True)
        for path in reversed(created_dirs):
            with contextlib.suppress(OSError):
                path.rmdir()
        raise
    return result


def _lock_and_fixtures(root: Path, result: InitResult) -> None:
    from routinec.commands.project import lock
    from routinec.config import load_config
    from routinec.runtime.fixtures import write_fixtures

    config = load_config(root)
    outcome = lock(config)
    if outcome.exit_code:
        raise DiagnosticError(outcome.diagnostics)
    result.written.append(config.lockfile)
    for path in write_fixtures(root, goldens=False):
        result.written.append(path.relative_to(root).as_posix())
