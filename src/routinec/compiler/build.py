"""Compiler layer, driver: spec files on disk → checked project → lock entries.

In: a `Config` (project root, specs dir) and a model resolver. Out: `BuildResult` with the
new `Lock` (None when any error was found) and every diagnostic, sorted. Passes run in the
order of `PASSES`; each collects diagnostics and the driver stops before lowering on errors.
"""

from __future__ import annotations

import datetime as _dt
import gc
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from routinec import __version__
from routinec.codes import Code
from routinec.compiler import ast
from routinec.compiler.check import (
    Resolver,
    check_consumer,
    check_routine,
    check_type,
    check_type_cycles,
)
from routinec.compiler.files import ProjectFiles
from routinec.compiler.fork import split_run
from routinec.compiler.lower import consumer_schema, lower_routine, routine_schema, type_names
from routinec.compiler.materials import gather
from routinec.compiler.parse import parse_file
from routinec.compiler.symbols import Project, resolve
from routinec.config import Config, env
from routinec.config import discover_specs as discover
from routinec.diagnostics import Diagnostic, DiagnosticError, Severity, Span, sort_unique
from routinec.lockfile import FORMAT_VERSION, Lock, LockEntry
from routinec.modeltable import ModelInfo, lifecycle_on, lookup

__all__ = ["PASSES", "BuildResult", "build", "discover"]

PASSES = ("parse", "resolve", "check", "materials", "lower")

# Below these sizes a fork costs more than it saves.
PARALLEL_FILES = 24
PARALLEL_ROUTINES = 200


@dataclass
class BuildResult:
    lock: Lock | None
    diagnostics: list[Diagnostic] = field(default_factory=list)
    project: Project | None = None
    spec_files: list[str] = field(default_factory=list)
    sources: dict[str, str] = field(default_factory=dict)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity is Severity.ERROR]


def lifecycle_diagnostics(
    routine: ast.RoutineDef, model: ModelInfo, on: _dt.date
) -> list[Diagnostic]:
    setting = next(s for s in routine.settings if s.key == "model")
    stage = lifecycle_on(model.lifecycle, model.retires_at, on)
    if stage == "retired":
        return [
            Diagnostic(
                Code.MODEL_RETIRED,
                Severity.ERROR,
                f"routine {routine.name!r} uses {model.id}, which retired"
                + (f" on {model.retires_at}" if model.retires_at else ""),
                setting.value_span,
                "migrate the routine to a current model (e.g. claude-sonnet-4-6), bump its version, and re-record",
            )
        ]
    if stage == "deprecated":
        when = f" on {model.retires_at}" if model.retires_at else ""
        days = ""
        if model.retires_at:
            left = (_dt.date.fromisoformat(model.retires_at) - on).days
            days = f" (in {left} day{'s' if left != 1 else ''})"
        return [
            Diagnostic(
                Code.MODEL_DEPRECATED,
                Severity.WARNING,
                f"routine {routine.name!r} uses {model.id}, which is deprecated and retires{when}{days}",
                setting.value_span,
                "migrate to a current model before then; after it, the routine can no longer be re-recorded",
            )
        ]
    return []


def _parse_some(root: Path, paths: Sequence[str]) -> tuple[list[ast.File], list[Diagnostic], dict[str, bytes]]:
    parsed: list[ast.File] = []
    diags: list[Diagnostic] = []
    seen: dict[str, bytes] = {}
    for rel in paths:
        try:
            data = (root / rel).read_bytes()
        except OSError as exc:
            diags.append(Diagnostic(Code.MISSING_FILE, Severity.ERROR, f"cannot read spec: {exc.strerror}", Span(rel)))
            continue
        seen[rel] = data
        try:
            parsed.append(parse_file(data, rel))
        except DiagnosticError as exc:
            diags.extend(exc.diagnostics)
        except RecursionError:
            diags.append(Diagnostic(Code.SYNTAX, Severity.ERROR, "the spec nests too deeply to parse", Span(rel)))
    return parsed, diags, seen


def _parse_all(config: Config, paths: list[str], files: ProjectFiles) -> tuple[list[ast.File], list[Diagnostic]]:
    """Parse every spec; big projects split the files across two processes (Lark is pure Python)."""
    root = config.root

    def job(chunk: Sequence[str]) -> tuple[list[ast.File], list[Diagnostic], dict[str, bytes]]:
        return _parse_some(root, chunk)

    parsed: list[ast.File] = []
    diags: list[Diagnostic] = []
    for some, found, seen in split_run(job, paths, min_items=PARALLEL_FILES):
        parsed.extend(some)
        diags.extend(found)
        for rel, data in seen.items():
            files.remember(rel, data)
    return parsed, diags


def build(
    config: Config,
    resolver: Resolver | None = None,
    *,
    extra_paths: Iterable[Path] = (),
    on: _dt.date | None = None,
) -> BuildResult:
    """Compile every spec of the project. `lock` is None when there is any error.

    The cyclic GC is paused meanwhile: the AST is acyclic and lives until the end, and each
    full collection re-scanned every node (a 10,000-routine lock took twice as long).
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _build(config, resolver, extra_paths=extra_paths, on=on)
    finally:
        if enabled:
            gc.enable()


def _build(
    config: Config,
    resolver: Resolver | None,
    *,
    extra_paths: Iterable[Path],
    on: _dt.date | None,
) -> BuildResult:
    resolve_model: Resolver = resolver or lookup
    on = on or env().today
    paths = discover(config, extra_paths)
    if not paths:
        return BuildResult(
            None,
            [
                Diagnostic(
                    Code.NO_SPECS,
                    Severity.ERROR,
                    f"no .routine files under {config.specs_dir}/",
                    Span(str(config.specs_path)),
                    "write specs/NAME.routine, or set [tool.routinec] specs in pyproject.toml",
                )
            ],
        )
    files = ProjectFiles(config.root)
    parsed, diags = _parse_all(config, paths, files)
    project, more = resolve(parsed)
    diags.extend(more)
    models: dict[str, ModelInfo] = {}
    for decl_t in project.types.values():
        diags.extend(check_type(decl_t.node, project))
    diags.extend(check_type_cycles(project))
    for decl_c in project.consumers.values():
        diags.extend(check_consumer(decl_c.node, project))
    for name, decl in project.routines.items():
        model, found = check_routine(decl.node, project, resolve_model)
        diags.extend(found)
        if model is not None:
            models[name] = model
            diags.extend(lifecycle_diagnostics(decl.node, model, on))
    result = BuildResult(None, diags, project, paths)
    if any(d.severity is Severity.ERROR for d in diags):
        result.diagnostics = sort_unique(diags)
        return result
    consumer_schemas = {n: consumer_schema(d.node, project) for n, d in project.consumers.items()}

    def job(names: Sequence[str]) -> tuple[dict[str, LockEntry], list[Diagnostic], dict[str, str]]:
        return _lower_some(names, project, models, consumer_schemas, files)

    entries: dict[str, LockEntry] = {}
    for some, found, sources in split_run(job, sorted(project.routines), min_items=PARALLEL_ROUTINES):
        entries.update(some)
        diags.extend(found)
        result.sources.update(sources)
    for rel in paths:
        result.sources[rel] = files.digest(rel)
    result.diagnostics = sort_unique(diags)
    if not result.errors:
        result.lock = Lock(FORMAT_VERSION, __version__, dict(sorted(entries.items())))
    return result


def _lower_some(
    names: Sequence[str],
    project: Project,
    models: dict[str, ModelInfo],
    consumer_schemas: dict[str, dict[str, Any]],
    files: ProjectFiles,
) -> tuple[dict[str, LockEntry], list[Diagnostic], dict[str, str]]:
    entries: dict[str, LockEntry] = {}
    diags: list[Diagnostic] = []
    all_sources: dict[str, str] = {}
    for name in names:
        routine = project.routines[name].node
        input_schema = routine_schema(routine.inputs, project)
        mats = gather(routine, input_schema, consumer_schemas, files)
        diags.extend(mats.diagnostics)
        if any(d.severity is Severity.ERROR for d in mats.diagnostics):
            continue
        used = {routine.span.path} | mats.used_files
        used.update(project.types[t].path for t in type_names(routine.inputs, project))
        used.update(project.types[t].path for t in type_names(routine.outputs, project))
        for ref in routine.consumers:
            if not ref.is_file and ref.name in project.consumers:
                consumer = project.consumers[ref.name]
                used.add(consumer.path)
                used.update(project.types[t].path for t in type_names(consumer.node.expects, project))
        sources = {rel: files.digest(rel) for rel in sorted(used)}
        all_sources.update(sources)
        entries[name] = lower_routine(routine, project, models[name], mats.prompt, mats.tests, mats.consumers, sources)
    return entries, diags, all_sources
