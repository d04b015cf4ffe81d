"""Health layer: the git history of `routines.lock`, classified by the compat engine.

In: the project root, the lockfile's path and the window's lower bound. Out: a `History`:
for every commit in the window that touched the lock and every routine whose entry it
changed, the version move, each changed schema classified by `compat.compare` (output
schemas in the OUT direction, input schemas IN) and each consumer edge checked with
`compat.accepts` before and after. Outside a git checkout (or without git) the history is
marked unavailable with a note; nothing raises.
"""

from __future__ import annotations

import datetime as _dt
import subprocess
from pathlib import Path
from typing import Any

from routinec.canonical import loads
from routinec.diagnostics import DiagnosticError
from routinec.health.figures import ConsumerEdge, History, LockChange, SchemaChange
from routinec.lockfile import FORMAT_VERSION, LockEntry

__all__ = ["lock_history"]

_SEP = "\x1f"


class _NoGit(Exception):
    pass


def _git(cwd: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(["git", "-C", str(cwd), *args], capture_output=True, check=False, timeout=120)
    except (FileNotFoundError, PermissionError):
        raise _NoGit("git is not installed") from None


def _utc(text: str) -> str:
    when = _dt.datetime.fromisoformat(text.strip()).astimezone(_dt.UTC)
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


def _entries(raw: bytes) -> dict[str, LockEntry] | None:
    """The lock's entries, or None when this commit's lock is not one routinec can read."""
    try:
        data = loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("routines"), dict):
        return None
    version = data.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        return None
    out: dict[str, LockEntry] = {}
    for name, entry in data["routines"].items():
        try:
            out[str(name)] = LockEntry.from_json(entry, str(name))
        except DiagnosticError:
            return None
    return out


class _Classifier:
    """compat calls, cached by schema hashes: a schema pair is compared once per report."""

    def __init__(self) -> None:
        self._compare: dict[tuple[str, str, str], SchemaChange] = {}
        self._accepts: dict[tuple[str, str], tuple[bool, tuple[str, ...]]] = {}

    def schema_change(self, what: str, old: LockEntry, new: LockEntry) -> SchemaChange:
        from routinec.compat import SchemaError, compare

        old_hash, new_hash = getattr(old, f"{what}_schema_hash"), getattr(new, f"{what}_schema_hash")
        key = (what, old_hash, new_hash)
        if key not in self._compare:
            direction = "out" if what == "output" else "in"
            try:
                report = compare(getattr(old, f"{what}_schema"), getattr(new, f"{what}_schema"),
                                 direction=direction, validate=False)
            except SchemaError:
                self._compare[key] = SchemaChange(what, "UNKNOWN", False, ())
            else:
                rules = sorted({f.rule_id for f in report.findings if f.level.value in ("ERR", "WARN")})
                self._compare[key] = SchemaChange(what, report.compatibility.value, not report.ok, tuple(rules))
        return self._compare[key]

    def accepts(self, entry: LockEntry, consumer: Any) -> tuple[bool, tuple[str, ...]]:
        from routinec.compat import SchemaError, accepts

        key = (entry.output_schema_hash, consumer.schema_hash)
        if key not in self._accepts:
            try:
                report = accepts(entry.output_schema, consumer.schema, validate=False)
            except SchemaError as exc:
                self._accepts[key] = (False, (f"cannot compare: {exc}",))
            else:
                errors = tuple(f"{f.path}: [{f.rule_id}] {f.message}" for f in report.findings if f.level.value == "ERR")
                self._accepts[key] = (report.ok, errors)
        return self._accepts[key]


def _edges(old: LockEntry | None, new: LockEntry, classify: _Classifier) -> tuple[ConsumerEdge, ...]:
    before = {c.name: c for c in old.consumers} if old is not None else {}
    edges = []
    for consumer in sorted(new.consumers, key=lambda c: c.name):
        ok_after, findings = classify.accepts(new, consumer)
        ok_before = classify.accepts(old, before[consumer.name])[0] if old is not None and consumer.name in before else None
        edges.append(ConsumerEdge(consumer.name, ok_before, ok_after, ok_before is not False and not ok_after, findings))
    return tuple(edges)


def _change(commit: tuple[str, str, str], name: str, old: LockEntry | None, new: LockEntry | None,
            classify: _Classifier) -> LockChange | None:
    sha, date, subject = commit
    if new is None:
        assert old is not None
        return LockChange(sha, date, subject, name, "removed", old.version, None, False, (), (), True)
    if old is None:
        edges = _edges(None, new, classify)
        return LockChange(sha, date, subject, name, "added", None, new.version, False, (), edges, True)
    if old.entry_hash == new.entry_hash:
        return None
    schemas = tuple(
        classify.schema_change(what, old, new) for what in ("output", "input")
        if getattr(old, f"{what}_schema_hash") != getattr(new, f"{what}_schema_hash")
    )
    consumers_moved = {(c.name, c.schema_hash) for c in old.consumers} != {(c.name, c.schema_hash) for c in new.consumers}
    output_moved = old.output_schema_hash != new.output_schema_hash
    edges = _edges(old, new, classify) if output_moved or consumers_moved else ()
    bumped = new.version > old.version
    breaking = any(s.breaking for s in schemas)
    clean = new.version >= old.version and (bumped or not breaking)
    return LockChange(sha, date, subject, name, "changed", old.version, new.version, bumped, schemas, edges, clean)


def lock_history(root: Path, lock_path: Path, since: str, routine: str | None = None) -> History:
    """Every change to `routines.lock` committed since `since` (ISO UTC), oldest first."""
    try:
        top = _git(root, "rev-parse", "--show-toplevel")
        if top.returncode != 0:
            return History(False, f"{root.name} is not a git checkout: the lock's history is not available", lock_path.name, 0, ())
        toplevel = Path(top.stdout.decode().strip()).resolve()
        try:
            rel = lock_path.resolve().relative_to(toplevel).as_posix()
        except ValueError:
            return History(False, f"{lock_path.name} is outside the git repository", lock_path.name, 0, ())
        log = _git(toplevel, "log", "--reverse", "--format=%H" + _SEP + "%cI" + _SEP + "%s", "--", rel)
        if log.returncode != 0:
            # A repository without commits yet.
            return History(False, f"{rel} has no git history yet", rel, 0, ())
        commits = [tuple(line.split(_SEP, 2)) for line in log.stdout.decode("utf-8", "replace").splitlines() if line]
        if not commits:
            return History(False, f"{rel} was never committed", rel, 0, ())
        classify = _Classifier()
        previous: dict[str, LockEntry] = {}
        changes: list[LockChange] = []
        skipped: list[str] = []
        in_window = 0
        for sha, date, subject in commits:
            when = _utc(date)
            shown = _git(toplevel, "show", f"{sha}:{rel}")
            current = _entries(shown.stdout) if shown.returncode == 0 else {}
            if current is None:
                skipped.append(sha[:12])
                continue
            if when >= since:
                in_window += 1
                for name in sorted(set(previous) | set(current)):
                    if routine is not None and name != routine:
                        continue
                    change = _change((sha, when, subject), name, previous.get(name), current.get(name), classify)
                    if change is not None:
                        changes.append(change)
            previous = current
    except _NoGit as exc:
        return History(False, f"{exc}: the lock's history is not available", lock_path.name, 0, ())
    note = f"skipped commits whose {rel} routinec cannot read: {', '.join(skipped)}" if skipped else None
    return History(True, note, rel, in_window, tuple(changes))
