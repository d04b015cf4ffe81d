"""routinec: a declarative spec compiler and reproducibility toolkit for LLM routines.

Top of the package: only the version lives here, so `import routinec` stays cheap.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
