"""Compiler layer, driver: spec files on disk → checked project → lock entries.

In: a `Config` (project root, specs dir) and a model resolver. Out: `BuildResult` with the
new `Lock` (None when any error was found) and every diagnostic, sorted. The passes in
`PASSES` run in order over one `BuildState` (sqlglot's optimizer `RULES`); a pass that
finds errors sets `stop` and the driver returns before lowering.
"""

from __future__ import annotations

import datetime as _dt
import gc
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from routinec import __version__
from routinec.codes import Code
from routinec.compiler.cache import BuildCache, ProjectSummary
from routinec.compiler.check import Resolver
from routinec.compiler.files import ProjectFiles
from routinec.compiler.passes.check_specs import check_specs
from routinec.compiler.passes.lower_routines import lower_routines, remember_parsed
from routinec.compiler.passes.parse_specs import parse_specs
from routinec.compiler.passes.resolve_names import resolve_names
from routinec.compiler.passes.state import BuildState, Pass
from routinec.compiler.spec_secrets import drop_repeats, refused
from routinec.compiler.symbols import Project
from routinec.compiler.values import Validated
from routinec.config import Config, env
from routinec.config import discover_specs as discover
from routinec.diagnostics import Diagnostic, Severity, Span, sort_unique
from routinec.lockfile import FORMAT_VERSION, Lock
from routinec.modeltable import lookup

__all__ = ["PASSES", "BuildResult", "build", "discover"]

PASSES: tuple[Pass, ...] = (parse_specs, resolve_names, check_specs, lower_routines)


@dataclass
class BuildResult:
    lock: Lock | None
    diagnostics: list[Diagnostic] = field(default_factory=list)
    project: Project | None = None
    spec_files: list[str] = field(default_factory=list)
    sources: dict[str, str] = field(default_factory=dict)
    # For `lock` to file once the lockfile is written (see compiler.cache.ProjectSummary).
    summary: ProjectSummary | None = None
    cache: BuildCache | None = None

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity is Severity.ERROR]


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
    state = BuildState(
        config, resolver or lookup, on or env().today, paths, ProjectFiles(config.root), BuildCache.open(config.root)
    )
    if state.cache.enabled:
        state.validated = Validated(state.cache.load_validated(), keep=True)
    for run in PASSES:
        run(state)
        if state.stop:
            remember_parsed(state)
            break
    if state.validated.added:
        state.cache.store_validated(state.validated.keys(), state.validated.added)
    # A secret in a spec is an error for every command that compiles (check, lock, verify,
    # rollout canary): the passes note it as a warning so the build still reports everything
    # else about the spec, and no lock is made from it (it would carry the secret verbatim).
    said = sort_unique([refused(d) for d in drop_repeats(state.diagnostics)])
    result = BuildResult(None, said, state.project, paths)
    if state.stop:
        return result
    result.sources.update(state.sources)
    for rel in paths:
        result.sources[rel] = state.files.digest(rel)
    if not result.errors:
        result.lock = Lock(FORMAT_VERSION, __version__, dict(sorted(state.entries.items())), state.texts)
        lifecycle = {id(d) for d in state.lifecycle}
        said = [d for d in result.diagnostics if id(d) not in lifecycle]
        models = {name: (entry.model, entry.source) for name, entry in state.entries.items()}
        result.summary = ProjectSummary(dict(result.sources), said, models, dict(state.model_spans))
        result.cache = state.cache
    return result


