"""Lockfile layer: one writer of `routines.lock` at a time.

`exclusive(lock_path)` holds an advisory `flock` on `.routinec/<lockfile>.flock` beside the
lockfile for a read-modify-write (`routinec lock`, every `routinec rollout` command). The
lockfile itself is replaced atomically (temp + os.replace), so readers never need the
lock: they see the old bytes or the new. Writers queue on it, so a second rollout command
decides on what the first one wrote, never on bytes that are about to be replaced.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["exclusive", "flock_path"]


def flock_path(lock_path: Path) -> Path:
    return lock_path.parent / ".routinec" / f"{lock_path.name}.flock"


@contextmanager
def exclusive(lock_path: Path) -> Iterator[None]:
    path = flock_path(lock_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # released when fd closes, also if the process dies
        yield
    finally:
        os.close(fd)
