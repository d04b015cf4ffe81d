"""Rollout layer: sticky, monotonic bucketing.

A key's bucket is `int(sha256("salt:key")) mod 100`; it is in the canary when the bucket is
below the weight. The bucket never depends on the weight, so raising the weight only adds
keys to the canary (monotonic) and the same key always lands the same way (sticky).
"""

from __future__ import annotations

from hashlib import sha256

__all__ = ["bucket", "in_canary"]


def bucket(salt: str, key: str) -> int:
    """0..99: the key's place under this salt."""
    return int.from_bytes(sha256(f"{salt}:{key}".encode()).digest(), "big") % 100


def in_canary(salt: str, key: str, weight: int) -> bool:
    return bucket(salt, key) < weight
