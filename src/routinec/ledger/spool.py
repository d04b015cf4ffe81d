"""Ledger layer: the local spool, where run records wait when the ledger cannot be written.

In: run records the ledger refused (a locked, unwritable or missing database). Out: one
JSON file per record under `.routinec/spool/` (written atomically: a temp file, fsync,
rename, so a killed process leaves a whole file or none), and `deliver`, which moves them into
the ledger exactly once: each insert ignores a run id already there, and a file is removed
only after its row is committed, so a crash between the two is repaired by the next delivery.
No database import: delivery goes through the store a `Ledger` holds.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from routinec.canonical import atomic_write
from routinec.ledger.model import RunRecord

__all__ = ["Delivery", "Spool"]

_SUFFIX = ".run.json"


@dataclass(frozen=True)
class Delivery:
    delivered: int  # records newly written to the ledger
    duplicates: int  # records the ledger already held (a delivery cut short earlier)
    left: int  # files still in the spool (unreadable ones stay for a person to look at)


class Sink(Protocol):
    def append_runs_once(self, records: Sequence[RunRecord]) -> int:
        """Insert the records whose run id is not there yet; how many were new."""
        ...


class Spool:
    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def put(self, record: RunRecord) -> Path:
        path = self.directory / f"{record.run_id}{_SUFFIX}"
        atomic_write(path, (json.dumps(record.to_row(), sort_keys=True, indent=2) + "\n").encode("utf-8"))
        return path

    def pending(self) -> list[Path]:
        try:
            return sorted(p for p in self.directory.iterdir() if p.name.endswith(_SUFFIX))
        except (FileNotFoundError, NotADirectoryError):
            return []

    def deliver(self, sink: Sink, *, batch: int = 500) -> Delivery:
        """Move every spooled record into `sink`, a ledger's store (oldest first: ids sort by time)."""
        delivered = duplicates = 0
        files = self.pending()
        for start in range(0, len(files), batch):
            chunk: list[tuple[Path, RunRecord]] = []
            for path in files[start:start + batch]:
                try:
                    chunk.append((path, RunRecord.from_row(json.loads(path.read_text("utf-8")))))
                except (OSError, ValueError, KeyError, TypeError):
                    continue  # unreadable: left in place, counted in `left`
            added = sink.append_runs_once([record for _, record in chunk])
            delivered += added
            duplicates += len(chunk) - added
            for path, _ in chunk:  # only after the commit: a crash here means a duplicate, never a loss
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()
        return Delivery(delivered, duplicates, len(self.pending()))
