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
    parsed: list[ast.File] = field(default_factory=list)
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

    def has_errors(self) -> bool:
        return any(d.severity is Severity.ERROR for d in self.diagnostics)


Pass = Callable[[BuildState], None]
