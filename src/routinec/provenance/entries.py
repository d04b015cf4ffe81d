"""Provenance layer: find the lock entry a run used, and the project's git facts.

In: a `Config` and a `RunRecord`. Out: the `LockEntry` whose `entry_hash` the run recorded,
from the current `routines.lock` or, when the lock has moved on, from the lock as committed
at the run's git commit (`git show COMMIT:routines.lock`); with where it was found. A run
whose entry is in neither is another project's (or from a lock never committed):
`foreign-run`, exit 2. Also the git remote that names the commit (`git+URL@COMMIT`), with any
credentials in the URL dropped.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

from routinec.canonical import loads
from routinec.codes import Code
from routinec.diagnostics import Diagnostic, DiagnosticError, Severity, Span
from routinec.lockfile import LockEntry, entry_hash, read_lock

if TYPE_CHECKING:
    from routinec.config import Config
    from routinec.ledger.model import RunRecord

__all__ = ["FoundEntry", "find_entry", "git_remote"]


@dataclass(frozen=True, slots=True)
class FoundEntry:
    entry: LockEntry
    current: bool  # True: the current routines.lock pins it; False: found in git history
    current_hash: str | None  # what the current lock pins for this routine (None: not there)


def _git(root: Path, *args: str) -> bytes | None:
    try:
        done = subprocess.run(["git", *args], cwd=root, capture_output=True, timeout=20, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout if done.returncode == 0 else None


def _from_history(config: Config, run: RunRecord) -> LockEntry | None:
    if run.git_commit is None:
        return None
    rel = config.lock_path.relative_to(config.root).as_posix()
    raw = _git(config.root, "show", f"{run.git_commit}:./{rel}")
    if raw is None:
        return None
    try:
        data = loads(raw.decode("utf-8"))
        entry = data["routines"][run.routine]
        if not isinstance(entry, dict) or entry_hash(entry) != run.entry_hash:
            return None
        return LockEntry.from_json(entry, run.routine, path=f"{rel}@{run.git_commit[:12]}")
    except (UnicodeDecodeError, ValueError, KeyError, TypeError, DiagnosticError):
        return None


def find_entry(config: Config, run: RunRecord) -> FoundEntry:
    lock = read_lock(config.lock_path)
    current = lock.routines.get(run.routine)
    current_hash = current.entry_hash if current is not None else None
    if current is not None and current.entry_hash == run.entry_hash:
        return FoundEntry(current, True, current_hash)
    rollout = lock.rollout.get(run.routine)  # a run of a version on a rollout channel
    for frozen in (rollout.frozen.values() if rollout is not None else ()):
        if frozen.entry_hash == run.entry_hash:
            return FoundEntry(frozen, True, current_hash)
    old = _from_history(config, run)
    if old is not None:
        return FoundEntry(old, False, current_hash)
    where = "its git history" if run.git_commit else "git (the run recorded no commit)"
    raise DiagnosticError([Diagnostic(
        Code.FOREIGN_RUN, Severity.ERROR,
        f"run {run.run_id} used lock entry {run.entry_hash[:19]}… of {run.routine!r}, which neither "
        f"{config.lock_path.name} nor {where} holds",
        Span(str(config.lock_path)),
        "attest from the project that made the run (its ledger and lock), or check out the commit it ran at",
    )])


def git_remote(root: Path) -> str | None:
    """`remote.origin.url` without user or password, or None (no git, no remote)."""
    raw = _git(root, "config", "--get", "remote.origin.url")
    if not raw:
        return None
    url = raw.decode("utf-8", errors="replace").strip()
    if "://" in url:
        parts = urlsplit(url)
        host = parts.hostname or ""
        if parts.port:
            host += f":{parts.port}"
        url = urlunsplit((parts.scheme, host, parts.path, "", ""))
    elif ":" in url and "/" not in url.split(":", 1)[0]:  # scp-like [user@]host:path
        host, path = url.split(":", 1)
        url = f"ssh://{host.rsplit('@', 1)[-1]}/{path.lstrip('/')}"
    return url or None
