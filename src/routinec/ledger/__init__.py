"""Ledger layer: the run ledger (run records, outcomes) under `.routinec/ledger.db`.

In: run records from the runtime, outcomes from people and pipelines. Out: an append-only,
versioned SQLite store and the queries over it. Names load lazily: the runtime imports
`routinec.ledger.model` on every live run, and SQLAlchemy must load only with the store.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from routinec.ledger.api import Ledger
    from routinec.ledger.errors import LedgerError
    from routinec.ledger.model import Outcome, RunRecord

__all__ = ["Ledger", "LedgerError", "Outcome", "RunRecord"]

_WHERE = {
    "Ledger": "routinec.ledger.api",
    "LedgerError": "routinec.ledger.errors",
    "Outcome": "routinec.ledger.model",
    "RunRecord": "routinec.ledger.model",
}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'routinec.ledger' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
