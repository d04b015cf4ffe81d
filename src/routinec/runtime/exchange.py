"""Runtime layer: what a provider is handed and what it gives back, and the provider protocol.

In: a `Call` (the locked routine, the request body built from the lock, its hash, the test
case). Out: an `Exchange` (the raw response and where it came from). A `Runtime` picks its
provider once, from its mode: `ReplayProvider` (transcripts), `SdkProvider` (the API), or a
`Recorder` wrapping the API provider; `Session.run` calls whichever it was given.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from routinec.runtime.entry import LockedRoutine

__all__ = ["Call", "Exchange", "Provider"]


@dataclass(frozen=True)
class Call:
    routine: LockedRoutine
    body: dict[str, Any]
    key: str  # the request hash: sha256 of the canonical body
    case: str | None


@dataclass
class Exchange:
    response: Any
    headers: dict[str, str] = field(default_factory=dict)
    request_id: str | None = None
    anthropic_version: str | None = None
    sdk_version: str | None = None
    attempts: int = 1
    source: Path | None = None  # the transcript it was replayed from, or will be written to


class Provider(Protocol):
    def exchange(self, call: Call) -> Exchange:
        """Answer the call (from a transcript, or from the model)."""
        ...

    def keep(self, call: Call, exchange: Exchange) -> Path | None:
        """After the output validated: keep the exchange (a recorder writes its transcript).
        The transcript the result came from or went to, if any."""
        ...
