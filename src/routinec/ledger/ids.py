"""Ledger layer: UUIDv7 identifiers (RFC 9562), time-ordered, stdlib only.

In: nothing (the clock and `os.urandom`). Out: a lowercase UUID string whose first 48 bits
are the Unix time in milliseconds, so ids sort by creation time in every index and listing.
Within one millisecond a 12-bit counter (`rand_a`, RFC 9562 §6.2 method 1) keeps the ids of
one process strictly increasing.
"""

from __future__ import annotations

import os
import threading
import time
import uuid

__all__ = ["timestamp_ms", "uuid7"]

_lock = threading.Lock()
_last_ms = 0
_counter = 0


def uuid7(now_ms: int | None = None) -> str:
    """A new UUIDv7 as text; strictly increasing within this process."""
    global _last_ms, _counter
    with _lock:
        ms = time.time_ns() // 1_000_000 if now_ms is None else now_ms
        if ms <= _last_ms:
            _counter += 1
            if _counter > 0xFFF:  # 4,096 ids in one millisecond: borrow the next one
                _last_ms += 1
                _counter = 0
            ms = _last_ms
        else:
            _last_ms, _counter = ms, 0
        counter = _counter
    rand_b = int.from_bytes(os.urandom(8), "big") & ((1 << 62) - 1)
    value = (ms & ((1 << 48) - 1)) << 80 | 0x7 << 76 | counter << 64 | 0b10 << 62 | rand_b
    return str(uuid.UUID(int=value))


def timestamp_ms(run_id: str) -> int:
    """The creation time (Unix ms) a UUIDv7 carries."""
    return uuid.UUID(run_id).int >> 80
