"""Compiler layer: run half of a per-item job in a forked child (2 cores, 2 halves).

In: a function over a list and the list; the function is pure, or its only side effects are
writes that may be repeated (build-cache records). Out: the results of both halves, in order. The
child gets the parent's memory for free (fork) and sends back one pickle over a pipe. Used
only on Linux for large projects; ROUTINEC_JOBS=1 turns it off. Any failure in the child
falls back to computing that half in the parent, so the output never depends on it.
"""

from __future__ import annotations

import os
import pickle
import sys
from collections.abc import Callable, Sequence
from typing import TypeVar, cast

from routinec.config import env

__all__ = ["split_run"]

T = TypeVar("T")
R = TypeVar("R")


def _can_fork() -> bool:
    if sys.platform != "linux" or env().single_process:
        return False
    try:
        return len(os.sched_getaffinity(0)) >= 2
    except (AttributeError, OSError):
        return (os.cpu_count() or 1) >= 2


def _death_signal() -> Callable[[], object] | None:
    """prctl(PR_SET_PDEATHSIG, SIGKILL), resolved before the fork so the child arms it at once:
    a SIGKILLed `lock` must not leave a worker computing for nobody (Linux-only, like the fork)."""
    try:
        import ctypes

        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError, ImportError):
        return None
    return lambda: prctl(1, 9, 0, 0, 0)  # PR_SET_PDEATHSIG = 1, SIGKILL = 9


def split_run(
    func: Callable[[Sequence[T]], R], items: Sequence[T], *, min_items: int, at: int | None = None,
    meanwhile: Callable[[], object] | None = None,
) -> list[R]:
    """[func(first half), func(second half)] (or [func(items)] when small or unsupported).
    `at`: where the second half starts, when the items are not of equal weight. `meanwhile`:
    work the parent does after its half while the child finishes and pickles its own."""
    if len(items) < min_items or not _can_fork():
        return [func(items)]
    half = (len(items) + 1) // 2 if at is None else max(1, min(at, len(items) - 1))
    left, right = items[:half], items[half:]
    read_fd, write_fd = os.pipe()
    parent, arm = os.getpid(), _death_signal()
    try:
        pid = os.fork()
    except OSError:
        os.close(read_fd)
        os.close(write_fd)
        return [func(items)]
    if pid == 0:  # child: compute, send, and leave without running any parent cleanup
        code = 0
        try:
            if arm is not None:
                arm()
            if os.getppid() != parent:  # the parent died before the signal was armed
                os._exit(1)
            os.close(read_fd)
            try:
                payload = pickle.dumps((True, func(right)), protocol=pickle.HIGHEST_PROTOCOL)
            except BaseException:
                payload = pickle.dumps((False, None))
                code = 1
            with os.fdopen(write_fd, "wb") as out:
                out.write(payload)
        finally:
            os._exit(code)
    os.close(write_fd)
    try:
        mine = func(left)
        if meanwhile is not None:
            meanwhile()
    finally:
        with os.fdopen(read_fd, "rb") as inp:
            payload = inp.read()
        os.waitpid(pid, 0)
    try:
        ok, theirs = pickle.loads(payload) if payload else (False, None)
    except Exception:
        ok, theirs = False, None
    if not ok:
        theirs = func(right)
    return [mine, cast(R, theirs)]
