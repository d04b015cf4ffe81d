"""Compiler layer: the state the passes hand along (config in; AST, project, entries out)."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from routinec.compiler import ast
from routinec.compiler.cache import BuildCache, SpecRecord
from routinec.compiler.files import ProjectFiles
from routinec.compiler.symbols import Project
from routinec.compiler.values import Validated
from routinec.config import Config
from routinec.diagnostics import Diagnostic, Severity
from routinec.lockfile import LockEntry
from routinec.modeltable import ModelInfo

__all__ = ["BuildState", "Pass"]


@dataclass
class BuildState:
    config: Config
    resolve_model: Callable[[str], ModelInfo | None]
    on: _dt.date
    paths: list[str]
    files: ProjectFiles
    cache: BuildCache
    spec_bytes: dict[str, bytes] = field(default_factory=dict)
    tainted: set[str] = field(default_factory=set)  # spec files holding a secret (never cached)
    records: dict[str, SpecRecord] = field(default_factory=dict)  # spec path → cached record
    parsed: list[ast.File | ast.FileHead] = field(default_factory=list)  # FileHead: from the cache
    interfaces: dict[str, str] = field(default_factory=dict)  # spec path → check.file_interface
    project: Project | None = None
    models: dict[str, ModelInfo] = field(default_factory=dict)
    entries: dict[str, LockEntry] = field(default_factory=dict)
    texts: dict[str, tuple[LockEntry, str]] = field(default_factory=dict)  # Lock.texts
    sources: dict[str, str] = field(default_factory=dict)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    lifecycle: list[Diagnostic] = field(default_factory=list)  # also in diagnostics; date-dependent
    model_spans: dict[str, Any] = field(default_factory=dict)  # routine → span of its `model`
    validated: Validated = field(default_factory=Validated)  # validations known to pass
    stop: bool = False

    rests: dict[str, tuple[tuple[ast.RoutineDef, ...], tuple[ast.Comment, ...]]] = field(default_factory=dict)

    def has_errors(self) -> bool:
        return any(d.severity is Severity.ERROR for d in self.diagnostics)

    def _rest(self, rel: str) -> tuple[tuple[ast.RoutineDef, ...], tuple[ast.Comment, ...]]:
        """The routines and comments of a spec file that came from the cache as a `FileHead`
        (read once; parsed again from its bytes should that part of the record not read)."""
        rest = self.rests.get(rel)
        if rest is None:
            rest = self.cache.rest(self.records[rel])
            if rest is None:
                from routinec.compiler.parse import parse_file

                _, rest = ast.split_file(parse_file(self.spec_bytes[rel], rel))
            self.rests[rel] = rest
        return rest

    def load_routine(self, rel: str, index: int) -> ast.RoutineDef:
        """The routine a `RoutineHead` of spec file `rel` stands for (`symbols.Decl.later`)."""
        return self._rest(rel)[0][index]

    def whole(self, file: ast.File | ast.FileHead) -> ast.File:
        """`file` with its routines, read from the cache if it came as a head."""
        return file if isinstance(file, ast.File) else ast.join_file(file, self._rest(file.path))


Pass = Callable[[BuildState], None]
