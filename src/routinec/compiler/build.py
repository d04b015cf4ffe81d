"""Compiler layer, driver: spec files on disk → checked project → lock entries.

In: a `Config` (project root, specs dir) and a model resolver. Out: `BuildResult` with the
new `Lock` (None when any error was found) and every diagnostic, sorted. Passes run in the
order of `PASSES`; each collects diagnostics and the driver stops before lowering on errors.
"""

from __future__ import annotations

import datetime as _dt
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from routinec import __version__
from routinec.compiler import ast
from routinec.compiler.check import Resolver, check_consumer, check_routine, check_type
from routinec.compiler.files import ProjectFiles
from routinec.compiler.lower import consumer_schema, lower_routine, routine_schema, type_names
from routinec.compiler.materials import gather
from routinec.compiler.parse import parse_file
from routinec.compiler.symbols import Project, resolve
from routinec.config import Config
from routinec.diagnostics import Diagnostic, DiagnosticError, Severity, Span, sort_unique
from routinec.lockfile import FORMAT_VERSION, Lock
from routinec.modeltable import ModelInfo, lifecycle_on, lookup

__all__ = ["PASSES", "BuildResult", "build", "discover", "today"]

PASSES = ("parse", "resolve", "check", "materials", "lower")


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


def today() -> _dt.date:
    """Today's date; ROUTINEC_TODAY=YYYY-MM-DD pins it (tests of model retirement)."""
    pinned = os.environ.get("ROUTINEC_TODAY")
    if pinned:
        try:
            return _dt.date.fromisoformat(pinned)
        except ValueError:
            pass
    return _dt.date.today()


def discover(config: Config, extra: Iterable[Path] = ()) -> list[str]:
    """Project-relative paths of every .routine file under the specs dir, plus `extra`."""
    found: set[str] = set()
    root = config.root
    if config.specs_path.is_dir():
        for path in config.specs_path.rglob("*.routine"):
            if path.is_file():
                found.add(path.resolve().relative_to(root).as_posix())
    for path in extra:
        resolved = path.resolve()
        if resolved.is_dir():
            found.update(p.resolve().relative_to(root).as_posix() for p in resolved.rglob("*.routine") if p.is_file() and root in p.resolve().parents)
        elif root in resolved.parents:
            found.add(resolved.relative_to(root).as_posix())
    return sorted(found)


def lifecycle_diagnostics(
    routine: ast.RoutineDef, model: ModelInfo, on: _dt.date
) -> list[Diagnostic]:
    setting = next(s for s in routine.settings if s.key == "model")
    stage = lifecycle_on(model.lifecycle, model.retires_at, on)
    if stage == "retired":
        return [
            Diagnostic(
                "model-retired",
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
                "model-deprecated",
                Severity.WARNING,
                f"routine {routine.name!r} uses {model.id}, which is deprecated and retires{when}{days}",
                setting.value_span,
                "migrate to a current model before then; after it, the routine can no longer be re-recorded",
            )
        ]
    return []


def _parse_all(config: Config, paths: list[str], files: ProjectFiles) -> tuple[list[ast.File], list[Diagnostic]]:
    parsed: list[ast.File] = []
    diags: list[Diagnostic] = []
    for rel in paths:
        try:
            data = (config.root / rel).read_bytes()
        except OSError as exc:
            diags.append(Diagnostic("missing-file", Severity.ERROR, f"cannot read spec: {exc.strerror}", Span(rel)))
            continue
        files.remember(rel, data)
        try:
            parsed.append(parse_file(data, rel))
        except DiagnosticError as exc:
            diags.extend(exc.diagnostics)
        except RecursionError:
            diags.append(Diagnostic("syntax", Severity.ERROR, "the spec nests too deeply to parse", Span(rel)))
    return parsed, diags


def build(
    config: Config,
    resolver: Resolver | None = None,
    *,
    extra_paths: Iterable[Path] = (),
    on: _dt.date | None = None,
) -> BuildResult:
    """Compile every spec of the project. `lock` is None when there is any error."""
    resolve_model: Resolver = resolver or lookup
    on = on or today()
    paths = discover(config, extra_paths)
    if not paths:
        return BuildResult(
            None,
            [
                Diagnostic(
                    "no-specs",
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
    entries: dict[str, dict[str, Any]] = {}
    for name in sorted(project.routines):
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
        result.sources.update(sources)
        entries[name] = lower_routine(routine, project, models[name], mats.prompt, mats.tests, mats.consumers, sources)
    for rel in paths:
        result.sources[rel] = files.digest(rel)
    result.diagnostics = sort_unique(diags)
    if not result.errors:
        result.lock = Lock(FORMAT_VERSION, __version__, entries)
    return result
