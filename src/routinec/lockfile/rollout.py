"""Lockfile layer: the lock's `rollout` section, typed: per routine, its channels and the
frozen entries they point at.

In: the `rollout` object of a format-2 lock. Out: `RoutineRollout`s (`Channels` from
`routinec.rollout`, frozen `LockEntry`s by version), or diagnostics: a frozen entry edited by
hand is `lock-tampered`; a channel pointing at a version with no frozen entry, or a malformed
section, is `rollout-broken`. A routine without a section has one channel, stable = its
current entry (so every format-1 lock reads unchanged). Format: docs/lockfile.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from routinec.codes import Code
from routinec.diagnostics import Diagnostic, DiagnosticError, Severity, Span
from routinec.lockfile.entry import ENTRY_KEYS, LockEntry, entry_hash
from routinec.rollout.channels import ChannelError, Channels

__all__ = ["RoutineRollout", "parse_rollout"]

_RESTORE = "restore routines.lock from git (the rollout section is written only by 'routinec rollout')"


@dataclass(frozen=True)
class RoutineRollout:
    """One routine's channels and the frozen entry of every version they point at."""

    channels: Channels
    frozen: dict[int, LockEntry] = field(default_factory=dict)

    def entry(self, version: int) -> LockEntry | None:
        return self.frozen.get(version)

    def to_json(self) -> dict[str, Any]:
        return {
            "channels": self.channels.to_json(),
            "frozen": {str(v): self.frozen[v].to_json() for v in sorted(self.frozen)},
        }

    def pruned(self) -> RoutineRollout:
        """Only the frozen entries a channel points at (what writers keep)."""
        wanted = set(self.channels.versions())
        return RoutineRollout(self.channels, {v: e for v, e in self.frozen.items() if v in wanted})


def _diag(code: Code, path: str, message: str, hint: str | None = _RESTORE) -> Diagnostic:
    return Diagnostic(code, Severity.ERROR, message, Span(path), hint)


def _frozen(name: str, key: str, value: Any, path: str, check_hashes: bool) -> LockEntry | Diagnostic:
    what = f"frozen entry {key} of {name!r}"
    if not isinstance(value, dict):
        return _diag(Code.ROLLOUT_BROKEN, path, f"{what} is not an object")
    missing = [k for k in ENTRY_KEYS if k not in value]
    if missing:
        return _diag(Code.ROLLOUT_BROKEN, path, f"{what} is incomplete (missing {', '.join(missing)})")
    if check_hashes and entry_hash(value) != value["entry_hash"]:
        return _diag(Code.LOCK_TAMPERED, path,
                     f"{what} does not match its entry_hash: the lockfile was edited by hand",
                     "never edit routines.lock; " + _RESTORE)
    try:
        entry = LockEntry.from_json(value, name, path=path)
    except DiagnosticError as exc:
        return exc.diagnostics[0]
    stale = entry.mismatched_hashes() if check_hashes else []
    if stale:
        return _diag(Code.LOCK_TAMPERED, path, f"{what}: the stored hash of {', '.join(stale)} does not match the content",
                     "never edit routines.lock; " + _RESTORE)
    if str(entry.version) != key:
        return _diag(Code.ROLLOUT_BROKEN, path, f"{what} holds version {entry.version}")
    return entry


def parse_rollout(
    value: Any, routines: dict[str, Any], path: str, *, check_hashes: bool = True
) -> tuple[dict[str, RoutineRollout], list[Diagnostic]]:
    """The typed section and every problem found in it (each one line with a hint)."""
    if value is None:
        return {}, []
    if not isinstance(value, dict):
        return {}, [_diag(Code.ROLLOUT_BROKEN, path, "the lockfile's 'rollout' is not an object")]
    out: dict[str, RoutineRollout] = {}
    problems: list[Diagnostic] = []
    for name in sorted(value):
        item = value[name]
        if name not in routines:
            problems.append(_diag(Code.ROLLOUT_BROKEN, path, f"the rollout section names {name!r}, which the lock has no routine for"))
            continue
        if not isinstance(item, dict) or not isinstance(item.get("frozen"), dict):
            problems.append(_diag(Code.ROLLOUT_BROKEN, path, f"rollout of {name!r} must be an object with 'channels' and 'frozen'"))
            continue
        try:
            channels = Channels.from_json(item.get("channels"), "channels")
        except ChannelError as exc:
            problems.append(_diag(Code.ROLLOUT_BROKEN, path, f"rollout of {name!r}: {exc}"))
            continue
        frozen: dict[int, LockEntry] = {}
        broken = False
        for key in sorted(item["frozen"]):
            if not key.isdigit():
                problems.append(_diag(Code.ROLLOUT_BROKEN, path, f"frozen entry key {key!r} of {name!r} is not a version number"))
                broken = True
                continue
            found = _frozen(name, key, item["frozen"][key], path, check_hashes)
            if isinstance(found, Diagnostic):
                problems.append(found)
                broken = True
            else:
                frozen[found.version] = found
        if broken:
            continue
        if channels.canary is not None and channels.canary.version == channels.stable:
            problems.append(_diag(Code.ROLLOUT_BROKEN, path, f"rollout of {name!r}: canary and stable are both v{channels.stable}"))
            continue
        for channel, version in (("stable", channels.stable), ("canary", channels.canary.version if channels.canary else None)):
            if version is not None and version not in frozen:
                problems.append(_diag(
                    Code.ROLLOUT_BROKEN, path,
                    f"channel {channel!r} of {name!r} points at v{version}, which the lock holds no frozen entry for",
                    f"{_RESTORE}; frozen versions: {', '.join(f'v{v}' for v in sorted(frozen)) or 'none'}",
                ))
                broken = True
        if not broken:
            out[name] = RoutineRollout(channels, frozen)
    return out, problems
