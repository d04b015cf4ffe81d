"""Runtime layer: run locked routines (replay, record, live) and golden-test them.

In: `routines.lock` and the files it names. Out: validated outputs with provenance. Never
imports the compiler or Lark; only record/live mode imports `anthropic`. Names load lazily
so the pytest plugin (loaded in every pytest run) costs nothing until used.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from routinec.runtime.core import Result, Runtime, Session
    from routinec.runtime.errors import RoutineError

__all__ = ["Result", "RoutineError", "Runtime", "Session"]

_WHERE = {
    "Result": "routinec.runtime.core",
    "Runtime": "routinec.runtime.core",
    "Session": "routinec.runtime.core",
    "RoutineError": "routinec.runtime.errors",
}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'routinec.runtime' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
