"""routinec: a declarative spec compiler and reproducibility toolkit for LLM routines.

Top of the package: only the version lives here, so `import routinec` stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from routinec.runtime import Result, RoutineError, Runtime

__version__ = "0.1.0"

__all__ = ["Result", "RoutineError", "Runtime", "__version__"]


def __getattr__(name: str) -> Any:
    """`from routinec import Runtime` works; the runtime loads only when named."""
    if name in ("Runtime", "RoutineError", "Result"):
        import routinec.runtime

        return getattr(routinec.runtime, name)
    raise AttributeError(f"module 'routinec' has no attribute {name!r}")
