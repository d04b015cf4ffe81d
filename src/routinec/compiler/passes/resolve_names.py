"""Compiler pass 2: the parsed files → one `Project` of named types, routines and consumers."""

from __future__ import annotations

from routinec.compiler.passes.state import BuildState
from routinec.compiler.symbols import resolve

__all__ = ["resolve_names"]


def resolve_names(state: BuildState) -> None:
    state.project, found = resolve(state.parsed, state.load_routine)
    state.diagnostics.extend(found)
