"""Application layer: `routinec rollout status|canary|promote|abort|pin|check`.

In: a Config and the parsed flags. Out: a `Change` (what the lock's channels became) or
`RoutineStatus`es for the CLI to render; nothing here prints. Every command that changes
channels does a read-modify-write of `routines.lock` under the lockfile's writer lock
(`lockfile.exclusive`), writes the new bytes atomically (temp + os.replace) and appends a
rollout record (who, when, why, from, to) to the ledger; if that append fails, the old
bytes are put back, so a failed command leaves the lock as it was. Bad input is a
`DiagnosticError` (exit class 2) raised before anything is written. docs/rollout.md.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from routinec.canonical import atomic_write, digest_bytes, loads
from routinec.codes import Code
from routinec.config import Config, env
from routinec.diagnostics import Diagnostic, DiagnosticError, Severity, Span
from routinec.lockfile import Lock, LockEntry, RoutineRollout, read_lock
from routinec.lockfile.exclusive import exclusive
from routinec.rollout.channels import Canary, Channels, Guard
from routinec.rollout.guard import Counts, Verdict, evaluate, parse_guard

if TYPE_CHECKING:
    from routinec.ledger.api import Ledger
    from routinec.ledger.model import RolloutRecord

__all__ = [
    "Change",
    "GuardCheck",
    "RoutineStatus",
    "abort",
    "canary",
    "channels_of",
    "check",
    "pin",
    "promote",
    "status",
]


@dataclass(frozen=True)
class Change:
    routine: str
    action: str
    before: dict[str, Any]
    after: dict[str, Any]
    changed: bool  # False: the lock already said so (nothing written, nothing recorded)
    rollout_id: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"routine": self.routine, "action": self.action, "from": self.before, "to": self.after,
                "changed": self.changed, "rollout_id": self.rollout_id}


@dataclass(frozen=True)
class GuardCheck:
    routine: str
    guard: Guard
    verdict: Verdict
    canary: Counts
    stable: Counts
    since: str | None

    def to_json(self) -> dict[str, Any]:
        v = self.verdict
        return {
            "routine": self.routine, "guard": self.guard.text(), "min_outcomes": self.guard.min_outcomes,
            "state": v.state, "canary_rate": None if v.canary_rate is None else float(v.canary_rate),
            "stable_rate": None if v.stable_rate is None else float(v.stable_rate), "observed": v.observed,
            "since": self.since, "canary": dataclasses.asdict(self.canary), "stable": dataclasses.asdict(self.stable),
            "message": v.text(self.guard),
        }


@dataclass(frozen=True)
class RoutineStatus:
    routine: str
    channels: Channels
    frozen: list[int]
    current: int  # the version the spec's entry (the lock's `routines`) has
    check: GuardCheck | None = None
    counts: dict[str, Counts] = field(default_factory=dict)  # "stable"/"canary" → counts

    def to_json(self) -> dict[str, Any]:
        return {
            "routine": self.routine, "channels": self.channels.to_json(), "frozen": self.frozen,
            "current": self.current, "guard": None if self.check is None else self.check.to_json(),
            "counts": {k: dataclasses.asdict(v) for k, v in sorted(self.counts.items())},
        }


def _error(code: Code, message: str, hint: str | None, path: str | None = None) -> DiagnosticError:
    return DiagnosticError([Diagnostic(code, Severity.ERROR, message, Span(path) if path else None, hint)])


def channels_of(lock: Lock, name: str) -> Channels:
    """A routine's channels: its rollout section's, else stable = its current entry."""
    rollout = lock.rollout.get(name)
    if rollout is not None:
        return rollout.channels
    return Channels(lock.routines[name].version)


def _routine(lock: Lock, name: str, config: Config) -> None:
    if name not in lock.routines:
        known = ", ".join(sorted(lock.routines)) or "none"
        raise _error(Code.UNKNOWN_ROUTINE, f"no routine {name!r} in {config.lockfile}", f"routines: {known}", config.lockfile)


def _frozen(lock: Lock, name: str) -> dict[int, LockEntry]:
    rollout = lock.rollout.get(name)
    if rollout is not None:
        return dict(rollout.frozen)
    entry = lock.routines[name]
    return {entry.version: entry}


def _by(by: str | None) -> str | None:
    if by:
        return by
    from routinec.ledger.invoker import detect_invoker

    return detect_invoker(dict(env().invoker_vars)).user


def _open_ledger(config: Config) -> Ledger:
    from routinec.ledger.api import Ledger

    return Ledger.open(config=config)


def _change(
    config: Config, name: str, action: str, decide: Callable[[Lock], tuple[Lock, Channels]], *,
    by: str | None, why: str | None,
) -> Change:
    """Read the lock, let `decide` make the new one, write it and record the change: all under
    the lockfile's writer lock, so concurrent commands apply one after the other."""
    path = config.lock_path
    with exclusive(path):
        try:
            old_bytes = path.read_bytes()
        except FileNotFoundError:
            old_bytes = b""
        lock = read_lock(path)
        _routine(lock, name, config)
        before = channels_of(lock, name)
        new_lock, after = decide(lock)
        data = new_lock.to_bytes()
        if data == old_bytes:
            return Change(name, action, before.to_json(), after.to_json(), False)
        ledger = _open_ledger(config)  # a ledger that cannot be opened refuses before the write
        try:
            atomic_write(path, data)
            try:
                record = ledger.rollout(name, action, by=_by(by), why=why, before=before.to_json(),
                                        after=after.to_json(), lock_digest=digest_bytes(data))
            except BaseException:
                atomic_write(path, old_bytes)  # unrecorded changes do not stand
                raise
        finally:
            ledger.close()
        return Change(name, action, before.to_json(), after.to_json(), True, record.rollout_id)


def _with(lock: Lock, name: str, rollout: RoutineRollout, entry: LockEntry | None = None) -> Lock:
    routines = dict(lock.routines)
    texts = dict(lock.texts)
    if entry is not None:
        routines[name] = entry
        texts.pop(name, None)
    merged = dict(lock.rollout)
    merged[name] = rollout
    # replace, not a new Lock: whatever else the lock carries is kept as it is.
    return dataclasses.replace(lock, routines=routines, texts=texts, rollout=merged)


def _compiled_entry(config: Config, lock: Lock, name: str) -> tuple[LockEntry, Lock]:
    """The current spec's entry for `name`, compiled now (what `routinec lock` would write)."""
    from routinec.commands.project import _lock_resolver
    from routinec.compiler.build import build
    from routinec.modeltable import lookup

    result = build(config, _lock_resolver(lock, lookup))
    errors = [d for d in result.diagnostics if d.severity is Severity.ERROR]
    if result.lock is None or errors:
        raise DiagnosticError(errors or list(result.diagnostics))
    entry = result.lock.routines.get(name)
    if entry is None:
        raise _error(Code.UNKNOWN_ROUTINE, f"no spec defines routine {name!r} any more",
                     "a canary runs the current spec's entry; restore the spec, or abort/pin instead")
    return entry, result.lock


def canary(
    config: Config, name: str, *, weight: int, key: str | None = None, guard: str | None = None,
    min_outcomes: int = 50, by: str | None = None, why: str | None = None,
) -> Change:
    """The current spec's entry becomes the canary at `weight`% (or, when it already is the
    canary, its weight, key and guard change; the salt stays, so raising the weight only adds
    keys). Stable stays where it is."""
    if not 0 <= weight <= 100:
        raise _error(Code.ROLLOUT_INVALID, f"--weight {weight} is outside 0-100",
                     "give the percentage of keys to send to the canary, e.g. --weight 10")
    parsed: Guard | None = None
    if guard is not None:
        try:
            parsed = parse_guard(guard, min_outcomes)
        except ValueError as exc:
            raise _error(Code.ROLLOUT_INVALID, str(exc), "e.g. --guard 'rejected<=+5%' --min-outcomes 50") from None
    if key is not None and not key.startswith("input."):
        raise _error(Code.ROLLOUT_INVALID, f"--key {key!r} is not input.FIELD",
                     "name an input field (--key input.repo), or leave --key out and pass key= to Runtime.run")

    def decide(lock: Lock) -> tuple[Lock, Channels]:
        entry, _ = _compiled_entry(config, lock, name)
        if key is not None:
            fields = sorted(entry.input_schema.get("properties") or {})
            if key[len("input."):] not in fields:
                raise _error(Code.ROLLOUT_INVALID, f"--key {key}: {name} has no input field {key[len('input.'):]!r}",
                             f"input fields: {', '.join(fields) or 'none'}", entry.source)
        channels = channels_of(lock, name)
        frozen = _frozen(lock, name)
        if entry.version == channels.stable:
            raise _error(Code.ROLLOUT_INVALID,
                         f"the spec's {name} is v{entry.version}, the version stable already runs",
                         f"bump the version in {entry.source} (routine {name} v{entry.version + 1}) for a canary", entry.source)
        running = channels.canary
        if running is not None and running.version != entry.version:
            raise _error(Code.ROLLOUT_INVALID,
                         f"{name} already has a canary (v{running.version}); the spec is now v{entry.version}",
                         f"'routinec rollout promote {name}' or 'routinec rollout abort {name}' first")
        known = frozen.get(entry.version)
        if known is not None and known.entry_hash != entry.entry_hash:
            raise _error(Code.ROLLOUT_INVALID,
                         f"the lock holds a different frozen v{entry.version} of {name}; the spec changed without a version bump",
                         f"bump the version in {entry.source}", entry.source)
        salt = running.salt if running is not None else f"{name}:v{entry.version}"
        chosen_key = key if key is not None else (running.key if running is not None else None)
        chosen_guard = parsed if parsed is not None else (running.guard if running is not None else None)
        after = Channels(channels.stable, Canary(entry.version, weight, salt, chosen_key, chosen_guard))
        frozen[entry.version] = entry
        new = _with(lock, name, RoutineRollout(after, dict(sorted(frozen.items()))), entry)
        _edges_or_refuse(new, config)
        return new, after

    return _change(config, name, "canary", decide, by=by, why=why)


def _edges_or_refuse(lock: Lock, config: Config) -> None:
    from routinec.commands.gates import edge_diagnostics, rollout_edge_diagnostics

    problems = [d for d in edge_diagnostics(lock, config) + rollout_edge_diagnostics(lock, config)
                if d.severity is Severity.ERROR]
    if problems:
        raise DiagnosticError(problems)


def _no_canary(name: str, channels: Channels, what: str) -> DiagnosticError:
    return _error(Code.NO_CANARY, f"{name} has no canary to {what} (stable is v{channels.stable})",
                  f"start one with 'routinec rollout canary {name} --weight N'")


def promote(config: Config, name: str, *, by: str | None = None, why: str | None = None) -> Change:
    """Canary → stable; no canary afterwards."""

    def decide(lock: Lock) -> tuple[Lock, Channels]:
        channels = channels_of(lock, name)
        if channels.canary is None:
            raise _no_canary(name, channels, "promote")
        after = Channels(channels.canary.version)
        return _with(lock, name, RoutineRollout(after, _frozen(lock, name))), after

    return _change(config, name, "promote", decide, by=by, why=why)


def abort(config: Config, name: str, *, by: str | None = None, why: str | None = None) -> Change:
    """The rollback: the canary goes, stable is untouched. Never compiles (works whatever the
    spec says now)."""

    def decide(lock: Lock) -> tuple[Lock, Channels]:
        channels = channels_of(lock, name)
        if channels.canary is None:
            raise _no_canary(name, channels, "abort")
        after = Channels(channels.stable)
        return _with(lock, name, RoutineRollout(after, _frozen(lock, name))), after

    return _change(config, name, "abort", decide, by=by, why=why)


def parse_version(text: str) -> int:
    raw = text[1:] if text[:1] in ("v", "V") else text
    if not raw.isdigit():
        raise _error(Code.ROLLOUT_INVALID, f"{text!r} is not a version", "write it as vN, e.g. v3")
    return int(raw)


def pin(config: Config, name: str, version: int, *, by: str | None = None, why: str | None = None) -> Change:
    """Stable → `version`, which must have a frozen entry (or be the current entry's)."""

    def decide(lock: Lock) -> tuple[Lock, Channels]:
        channels = channels_of(lock, name)
        frozen = _frozen(lock, name)
        if version not in frozen:
            current = lock.routines[name]
            if current.version != version:
                have = ", ".join(f"v{v}" for v in sorted(frozen))
                raise _error(Code.UNKNOWN_VERSION, f"{config.lockfile} holds no frozen entry for {name} v{version}",
                             f"frozen versions: {have}; only a version that ran on a channel (or the spec's current one) can be pinned",
                             config.lockfile)
            frozen[version] = current
        if channels.canary is not None and channels.canary.version == version:
            raise _error(Code.ROLLOUT_INVALID, f"v{version} is {name}'s canary",
                         f"'routinec rollout promote {name}' makes it stable")
        after = Channels(version, channels.canary)
        return _with(lock, name, RoutineRollout(after, dict(sorted(frozen.items())))), after

    return _change(config, name, "pin", decide, by=by, why=why)


# -- reading: status and guards ------------------------------------------------------------------


def _canary_since(records: list[RolloutRecord], version: int) -> str | None:
    """When the running canary of `version` started: the first record of the latest run of
    'canary' records that put `version` on the canary channel."""
    since: str | None = None
    for record in records:
        after = loads(record.to_json).get("canary")
        on = isinstance(after, dict) and after.get("version") == version
        if on and since is None:
            since = record.recorded_at
        elif not on:
            since = None
    return since


def _guard_check(ledger: Ledger, name: str, channels: Channels) -> tuple[GuardCheck | None, dict[str, Counts]]:
    canary = channels.canary
    if canary is None:
        return None, {"stable": ledger.counts(name, channels.stable)}
    since = _canary_since(ledger.rollouts(name), canary.version)
    counts = {"stable": ledger.counts(name, channels.stable, since), "canary": ledger.counts(name, canary.version, since)}
    if canary.guard is None:
        return None, counts
    verdict = evaluate(canary.guard, counts["canary"], counts["stable"])
    return GuardCheck(name, canary.guard, verdict, counts["canary"], counts["stable"], since), counts


def _names(lock: Lock, name: str | None, config: Config) -> list[str]:
    if name is not None:
        _routine(lock, name, config)
        return [name]
    return sorted(lock.routines)


def status(config: Config, name: str | None = None) -> list[RoutineStatus]:
    from routinec.ledger.api import ledger_exists

    lock = read_lock(config.lock_path)
    names = _names(lock, name, config)
    ledger = _open_ledger(config) if ledger_exists(config) else None
    try:
        out = []
        for each in names:
            channels = channels_of(lock, each)
            check_, counts = _guard_check(ledger, each, channels) if ledger is not None else (None, {})
            out.append(RoutineStatus(each, channels, sorted(_frozen(lock, each)), lock.routines[each].version, check_, counts))
        return out
    finally:
        if ledger is not None:
            ledger.close()


def check(
    config: Config, name: str | None = None, *, apply: bool = False, by: str | None = None,
) -> tuple[list[GuardCheck], list[Change], list[Diagnostic]]:
    """Evaluate every canary's guard against the ledger. A failing guard is a `guard-failed`
    diagnostic (exit 1); with `apply`, its canary is aborted (recorded as by `by`)."""
    from routinec.ledger.api import ledger_exists

    lock = read_lock(config.lock_path)
    names = [n for n in _names(lock, name, config) if channels_of(lock, n).canary is not None]
    checks: list[GuardCheck] = []
    if names and ledger_exists(config):
        ledger = _open_ledger(config)
        try:
            for each in names:
                found, _ = _guard_check(ledger, each, channels_of(lock, each))
                if found is not None:
                    checks.append(found)
        finally:
            ledger.close()
    elif names:  # no ledger yet: nothing observed, every guard is pending
        for each in names:
            canary = channels_of(lock, each).canary
            if canary is not None and canary.guard is not None:
                checks.append(GuardCheck(each, canary.guard, evaluate(canary.guard, Counts(), Counts()), Counts(), Counts(), None))
    changes: list[Change] = []
    said: list[Diagnostic] = []
    for found in checks:
        if found.verdict.state != "fail":
            continue
        text = found.verdict.text(found.guard)
        said.append(Diagnostic(
            Code.GUARD_FAILED, Severity.ERROR, f"canary of {found.routine}: guard {found.guard.text()} failed ({text})",
            Span(config.lockfile),
            None if apply else f"'routinec rollout check --apply' aborts it (or 'routinec rollout abort {found.routine}')",
        ))
        if apply:
            changes.append(abort(config, found.routine, by=by or "routinec rollout check",
                                 why=f"guard {found.guard.text()} failed: {text}"))
    return checks, changes, said


def rollout_history(config: Config, name: str | None = None) -> list[RolloutRecord]:
    ledger = _open_ledger(config)
    try:
        return ledger.rollouts(name)
    finally:
        ledger.close()

