"""CLI layer: `check`, `fmt`, `lock` and `verify`. Parse flags, call commands, render, exit."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path

import click

from routinec.cli.options import (
    annotated,
    counts_text,
    emit,
    format_option,
    guard,
    leave_fast,
    load_or_exit,
    log,
    output_options,
    project_option,
    sarif_format_option,
    summary_extra,
    tally,
    unused_suppressions,
)
from routinec.codes import Code
from routinec.diagnostics import Span

__all__ = ["check", "fmt", "init", "lock", "verify"]


def _check_paths(paths: Sequence[Path], root: Path) -> None:
    """Named paths must exist, lie inside the project and be specs (or folders of them)."""
    for path in paths:
        resolved = path.resolve()
        if not path.exists():
            problem, hint = f"no such file or directory: {path}", None
        elif resolved != root and root.resolve() not in resolved.parents:
            problem, hint = f"{path} is outside the project at {root}", "pass --project, or run from the project"
        elif resolved.is_file() and resolved.suffix != ".routine":
            problem, hint = f"{path} is not a .routine spec", None
        else:
            continue
        click.echo(f"routinec: error: {problem}", err=True)
        if hint:
            click.echo(f"  help: {hint}", err=True)
        sys.exit(2)


def _summary(fmt: str, text: str) -> None:
    log(text)


def _counts(diagnostics: Sequence[object]) -> str:
    from routinec.diagnostics import Severity

    errors = sum(1 for d in diagnostics if getattr(d, "severity", None) is Severity.ERROR)
    warnings = sum(1 for d in diagnostics if getattr(d, "severity", None) is Severity.WARNING)
    return f"{errors} error{'s' if errors != 1 else ''}, {warnings} warning{'s' if warnings != 1 else ''}"


@click.command(
    epilog="""\b
Examples:
  routinec check                      # every spec under specs/
  routinec check specs/triage.routine # one file (names resolve project-wide)
  routinec check --format github      # annotations in a GitHub Actions log
  routinec check --format sarif > routinec.sarif   # for code scanning
  routinec check --strict             # warnings fail too"""
)
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@sarif_format_option
@project_option
@guard
def check(paths: tuple[Path, ...], fmt: str, project: Path | None) -> None:
    """Parse and check specs; print diagnostics. Exit 0 when there is no error."""
    leave_fast()
    from routinec.commands.project import check as run
    from routinec.config import discover_specs

    config = load_or_exit(project, fmt)
    _check_paths(paths, config.root)
    outcome = run(config, paths)
    emit(outcome.diagnostics, fmt, config.root)
    emit(unused_suppressions(config.root, discover_specs(config, paths)), fmt, config.root)
    summary_extra(routines=outcome.routines)
    _summary(fmt, f"checked {outcome.routines} routine{'s' if outcome.routines != 1 else ''}: {counts_text()}")
    sys.exit(outcome.exit_code)


@click.command(
    epilog="""\b
Examples:
  routinec fmt                 # rewrite every spec under specs/ canonically
  routinec fmt --check         # CI: exit 1 and show a diff when a file would change"""
)
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--check", "check_only", is_flag=True, help="Change nothing; exit 1 and print a diff if a file would change.")
@format_option
@project_option
@guard
def fmt(paths: tuple[Path, ...], check_only: bool, fmt: str, project: Path | None) -> None:
    """Rewrite .routine files in the canonical layout (comments are kept)."""
    import difflib

    from routinec.canonical import atomic_write
    from routinec.compiler.build import discover
    from routinec.compiler.fmt import format_text
    from routinec.diagnostics import DiagnosticError

    config = load_or_exit(project, fmt)
    _check_paths(paths, config.root)
    files = [config.root / p for p in discover(config, paths)]
    if paths:
        files = [f for f in files if any(f == p.resolve() or p.resolve() in f.parents for p in paths)]
    problems = []
    changed = []
    for path in files:
        rel = path.relative_to(config.root).as_posix()
        data = path.read_bytes()
        try:
            text = data.decode("utf-8-sig")
            new = format_text(text, rel)
        except UnicodeDecodeError:
            from routinec.compiler.parse import parse_file

            try:
                parse_file(data, rel)
            except DiagnosticError as exc:
                problems.extend(exc.diagnostics)
            continue
        except DiagnosticError as exc:
            problems.extend(exc.diagnostics)
            continue
        if new == text:
            continue
        changed.append(rel)
        diff = "".join(difflib.unified_diff(text.splitlines(True), new.splitlines(True), f"a/{rel}", f"b/{rel}"))
        if not check_only:
            atomic_write(path, new.encode("utf-8"))
        if fmt == "json":
            click.echo(json.dumps({"kind": "reformat", "path": rel, "written": not check_only, "diff": diff}, sort_keys=True))
        elif fmt == "github" and check_only:
            from routinec.cli.summary import Annotation
            from routinec.diagnostics import github_escape

            message = "not formatted: run routinec fmt"
            click.echo(f"::error file={github_escape(rel, prop=True)},title=fmt::{github_escape(message)}")
            annotated([Annotation("error", rel, None, "fmt", message)])
        elif check_only:
            sys.stdout.write(diff)
    emit(problems, fmt, config.root)
    summary_extra(files=len(files), changed=len(changed))
    verb = "would reformat" if check_only else "reformatted"
    _summary(fmt, f"{verb} {len(changed)} of {len(files)} file{'s' if len(files) != 1 else ''}")
    if problems:
        sys.exit(2)
    sys.exit(1 if check_only and changed else 0)


@click.command(
    epilog="""\b
Examples:
  routinec lock                       # pin models, prompts and schemas into routines.lock
  routinec lock --resolve-online      # ask the Models API (needs ANTHROPIC_API_KEY)"""
)
@click.option("--resolve-online", is_flag=True, help="Pin model aliases through the Models API instead of the shipped table.")
@format_option
@project_option
@guard
def lock(resolve_online: bool, fmt: str, project: Path | None) -> None:
    """Compile every spec and write routines.lock (only when it changes; atomically)."""
    leave_fast()
    from routinec.commands.project import lock as run

    config = load_or_exit(project, fmt)
    outcome = run(config, resolve_online=resolve_online)
    emit(outcome.diagnostics, fmt, config.root)
    summary_extra(routines=outcome.routines, written=bool(outcome.changed) and not outcome.exit_code)
    if outcome.exit_code:
        _summary(fmt, f"{config.lockfile} left unchanged: {_counts(outcome.diagnostics)}")
    else:
        state = "written" if outcome.changed else "already up to date"
        _summary(fmt, f"{config.lockfile}: {outcome.routines} routine{'s' if outcome.routines != 1 else ''}, {state}")
    sys.exit(outcome.exit_code)


@click.command(
    epilog="""\b
Examples:
  routinec verify                     # in CI: exit 1 when specs drifted from routines.lock
  routinec verify --format github     # drift as workflow annotations
  routinec verify --full              # recompile even when every source hashes the same
  routinec verify --refresh-models    # also say when an alias now points to a newer snapshot"""
)
@click.option("--full", is_flag=True, help="Always recompile (skip the unchanged-sources fast path).")
@click.option(
    "--refresh-models",
    is_flag=True,
    help="Also report aliases that now point to a newer snapshot (Models API when ANTHROPIC_API_KEY is set).",
)
@sarif_format_option
@project_option
@guard
def verify(full: bool, refresh_models: bool, fmt: str, project: Path | None) -> None:
    """Recompile the specs and compare with routines.lock, field by field."""
    leave_fast()
    from routinec.commands.project import verify as run
    from routinec.diagnostics import Diagnostic, Severity

    config = load_or_exit(project, fmt)
    outcome = run(config, full=full, refresh_models=refresh_models)
    emit(outcome.diagnostics, fmt, config.root)
    summary_extra(routines=outcome.routines, drift=len(outcome.drift))
    if outcome.drift:
        if fmt == "json":
            for d in outcome.drift:
                span = _drift_span(config, d.routine, d.field)
                click.echo(json.dumps({"kind": "drift", "routine": d.routine, "field": d.field, "old": d.old, "new": d.new, "change": d.kind, "message": d.text(), "details": list(d.details), "path": span.path, "line": span.line or None}, sort_keys=True))
        elif fmt in ("github", "sarif"):
            # Annotate the spec line that drifted (the lock is generated; nobody edits it).
            emit([Diagnostic(Code.LOCK_DRIFT, Severity.ERROR, d.text(), _drift_span(config, d.routine, d.field),
                             outcome.next_step, d.details) for d in outcome.drift], fmt, config.root)
        else:
            for d in outcome.drift:
                click.echo(d.text())
                for detail in d.details:
                    click.echo(f"  at {detail}")
    code = outcome.exit_code
    drifted = len({d.routine for d in outcome.drift})
    tally(passed=max(outcome.routines - drifted, 0), failed=drifted)
    if outcome.drift:
        names = sorted({d.routine for d in outcome.drift})
        _summary(fmt, f"error: {len(names)} routine{'s' if len(names) != 1 else ''} drifted from {config.lockfile}; {outcome.next_step}")
    elif code == 0:
        how = " (sources unchanged)" if outcome.fast_path else ""
        _summary(fmt, f"{config.lockfile} is up to date: {outcome.routines} routine{'s' if outcome.routines != 1 else ''}{how}")
    sys.exit(code)


# A drifted lock field -> the statement that sets it in the spec.
_FIELD_KEYWORD = {
    "version": "routine", "description": "description", "model": "model", "state": "state",
    "prompt": "prompt", "input_schema": "input", "output_schema": "output", "source": "routine", "spec": "routine",
}


def _drift_span(config: object, routine: str, field: str) -> Span:
    """Where in the specs `routine`'s `field` is written: the statement's line when it can be
    found, else the `routine` header, else the lockfile."""
    import re

    from routinec.config import Config, discover_specs

    assert isinstance(config, Config)
    head = re.compile(rf"^\s*routine\s+{re.escape(routine)}\b")
    first = field.split(" ", 1)[0]
    if first in ("model", "test", "consumer"):
        keyword = {"model": "model", "test": f"test {field.split(' ')[1]}" if " " in field else "test", "consumer": "consumers"}[first]
    else:
        keyword = _FIELD_KEYWORD.get(field, field)
    for rel in discover_specs(config):
        try:
            lines = (config.root / rel).read_text("utf-8", errors="replace").split("\n")
        except OSError:
            continue
        for number, text in enumerate(lines, start=1):
            if not head.match(text):
                continue
            if keyword == "routine":
                return Span(rel, number, text.index("routine") + 1)
            want = re.compile(rf"^(\s*){re.escape(keyword)}\b")
            for offset, line in enumerate(lines[number:], start=number + 1):
                if line.startswith("}"):
                    break
                found = want.match(line)
                if found:
                    return Span(rel, offset, len(found.group(1)) + 1)
            return Span(rel, number, text.index("routine") + 1)
    return Span(config.lockfile)


@click.command(
    epilog="""\b
Examples:
  routinec init my-routines     # a new project in ./my-routines
  routinec init                 # in the current (empty) directory

The project passes `routinec check`, `lock`, `verify` and `test` as written: its one test
case replays a fixture transcript ("origin": "fixture") until `routinec record` records a
real one."""
)
@click.argument("directory", required=False, type=click.Path(file_okay=False, path_type=Path), default=Path("."))
@click.option("--name", default=None, help="The project name in pyproject.toml (default: the directory's name).")
@output_options(("text", "json"))
@guard
def init(directory: Path, name: str | None, fmt: str) -> None:
    """Create a new routinec project: pyproject, a spec, its prompt, a test case, a consumer, CI."""
    from routinec.commands.init import init_project

    made = init_project(directory, name)
    for rel in made.written:
        if fmt == "json":
            click.echo(json.dumps({"kind": "created", "path": rel}, sort_keys=True))
        else:
            click.echo(f"created {rel}")
    summary_extra(root=str(made.root), created=len(made.written))
    where = "" if made.root == Path.cwd().resolve() else f"cd {directory} && "
    log(f"next: {where}routinec check && routinec lock && routinec verify && routinec test")
