"""Lockfile layer: one writer of `routines.lock` at a time.

`exclusive(lock_path)` holds an advisory `flock` on the lockfile's directory (the project
root, usually) for a read-modify-write (`routinec lock`, every `routinec rollout` command):
nothing is created for it, and the kernel releases it when the process ends, however it
ends. The lockfile itself is replaced atomically (temp + os.replace), so readers never need
the lock: they see the old bytes or the new. Writers queue on it, so a second rollout
command decides on what the first one wrote, never on bytes about to be replaced.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["exclusive"]


@contextmanager
def exclusive(lock_path: Path) -> Iterator[None]:
    # The directory, not the file: os.replace swaps the file's inode, so a lock on the old
    # one would not exclude a writer that opened the new one.
    lock_path.parent.mkdir(parents=True, exist_ok=True)  # as the atomic write would
    fd = os.open(lock_path.parent, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)
