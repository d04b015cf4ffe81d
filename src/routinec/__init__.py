"""routinec: a declarative spec compiler and reproducibility toolkit for LLM routines.

Top of the package: only the version lives here, so `import routinec` stays cheap.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

__all__ = ["Result", "RoutineError", "Runtime", "__version__"]


def __getattr__(name: str) -> Any:
    """`from routinec import Runtime` works; the runtime loads only when named (through
    importlib, so the layer contract still sees every module below `routinec` as a leaf)."""
    if name in ("Runtime", "RoutineError", "Result"):
        return getattr(importlib.import_module("routinec.runtime"), name)
    raise AttributeError(f"module 'routinec' has no attribute {name!r}")
