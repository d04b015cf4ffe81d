"""`python -m routinec`: the same as the `routinec` console script."""

from __future__ import annotations

from routinec.cli import entry

entry()
