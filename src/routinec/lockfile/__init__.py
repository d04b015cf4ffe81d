"""Lockfile layer: the versioned `routines.lock` model and its canonical IO.

In: bytes on disk or `LockEntry`s from the compiler. Out: a validated `Lock` of typed
entries (`lockfile.entry`; numbers as Decimal) or canonical bytes. Shared by compiler
(writes), runtime (reads) and verify (compares, `lockfile.drift`). Format: docs/lockfile.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from routinec import __version__
from routinec.canonical import atomic_write, dumps_pretty, loads, pretty_member
from routinec.codes import Code
from routinec.diagnostics import Diagnostic, DiagnosticError, Severity, Span
from routinec.lockfile.entry import ENTRY_KEYS, LockEntry, entry_hash
from routinec.lockfile.generated import (
    GeneratedCorrupt,
    GeneratedFile,
    generated_from_json,
    generated_to_json,
)
from routinec.lockfile.rollout import RoutineRollout, parse_rollout

__all__ = [
    "FORMAT_VERSION",
    "GeneratedFile",
    "Lock",
    "LockEntry",
    "RoutineRollout",
    "entry_hash",
    "entry_text",
    "read_lock",
    "write_lock",
]

FORMAT_VERSION = 2
# A lock without a rollout section is written as format 1 (byte-identical to before rollouts);
# one with channels as format 2, so a routinec that predates rollouts refuses it rather than
# silently running the spec's newest entry for every caller.
BASE_FORMAT_VERSION = 1
# Oldest format this reader understands; a newer one gets its own message.
MIN_FORMAT_VERSION = 1

@dataclass
class Lock:
    """A parsed lockfile. `routines` maps routine name to its typed entry."""

    format_version: int = FORMAT_VERSION
    compiler_version: str = __version__
    routines: dict[str, LockEntry] = field(default_factory=dict)
    # name → (entry, its text from `entry_text`): texts made where the entries were (in the
    # compiler's workers, or kept in its cache), used only for that very entry object.
    texts: dict[str, tuple[LockEntry, str]] = field(default_factory=dict, compare=False, repr=False)
    # name → channels and frozen entries (lockfile.rollout); empty: every routine's only
    # channel is stable = its entry in `routines`.
    rollout: dict[str, RoutineRollout] = field(default_factory=dict)
    # path → a file generated from this lock (`routinec gen python`); kept across `lock`.
    generated: dict[str, GeneratedFile] = field(default_factory=dict)

    @property
    def written_format(self) -> int:
        return FORMAT_VERSION if self.rollout else BASE_FORMAT_VERSION

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "format_version": self.written_format,
            "compiler_version": self.compiler_version,
            "routines": {name: entry.to_json() for name, entry in self.routines.items()},
        }
        if self.generated:
            out["generated"] = generated_to_json(self.generated)
        if self.rollout:
            out["rollout"] = {name: self.rollout[name].to_json() for name in sorted(self.rollout)}
        return out

    def to_bytes(self) -> bytes:
        """`dumps_pretty(self.to_json())`, with the entries' kept texts spliced in."""
        if not self.routines and not self.rollout:
            return dumps_pretty(self.to_json()).encode("utf-8")
        members = []
        for name in sorted(self.routines):
            entry = self.routines[name]
            kept = self.texts.get(name)
            members.append(kept[1] if kept is not None and kept[0] is entry else entry_text(name, entry))
        head_json: dict[str, Any] = {"compiler_version": self.compiler_version, "format_version": self.written_format}
        if self.generated:  # sorts before "rollout" and "routines"
            head_json["generated"] = generated_to_json(self.generated)
        if self.rollout:  # sorts before "routines"
            head_json["rollout"] = {name: self.rollout[name].to_json() for name in sorted(self.rollout)}
        head = dumps_pretty(head_json)
        return (
            head[: -len("\n}\n")] + ',\n  "routines": {\n    ' + ",\n    ".join(members) + "\n  }\n}\n"
        ).encode("utf-8")


def entry_text(name: str, entry: LockEntry) -> str:
    """One entry as `Lock.to_bytes` writes it under "routines"."""
    return pretty_member(name, entry.to_json(), 2)


_RESTORE = "restore it from git, or delete it and run 'routinec lock'"


def _error(path: Path, code: Code, message: str, hint: str | None) -> DiagnosticError:
    return DiagnosticError([Diagnostic(code, Severity.ERROR, message, Span(str(path)), hint)])


def read_lock(path: Path, *, check_hashes: bool = True) -> Lock:
    """Read and validate a lockfile; every problem is a DiagnosticError with its own code."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise _error(
            path, Code.LOCK_MISSING, "no lockfile at this path", "run 'routinec lock' and commit it"
        ) from None
    except OSError as exc:
        raise _error(path, Code.LOCK_MISSING, f"cannot read the lockfile: {exc.strerror}", None) from None
    try:
        data = loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise _error(
            path,
            Code.LOCK_CORRUPT,
            f"the lockfile is not valid JSON ({type(exc).__name__}: {str(exc)[:120]})",
            _RESTORE,
        ) from None
    if not isinstance(data, dict):
        raise _error(path, Code.LOCK_CORRUPT, "the lockfile is not a JSON object", _RESTORE)
    version = data.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise _error(path, Code.LOCK_CORRUPT, "the lockfile has no integer format_version", _RESTORE)
    if version > FORMAT_VERSION:
        raise _error(
            path,
            Code.LOCK_FORMAT,
            f"the lockfile has format version {version}, written by a newer routinec "
            f"({data.get('compiler_version', '?')}); this routinec reads formats "
            f"{MIN_FORMAT_VERSION}..{FORMAT_VERSION}",
            "upgrade routinec to the version that wrote it (pip install --upgrade from its checkout)",
        )
    if version < MIN_FORMAT_VERSION:
        raise _error(
            path,
            Code.LOCK_FORMAT,
            f"the lockfile has format version {version}, older than this routinec reads",
            "run 'routinec lock' to rewrite it",
        )
    routines = data.get("routines")
    if not isinstance(routines, dict):
        raise _error(path, Code.LOCK_CORRUPT, "the lockfile has no 'routines' object", _RESTORE)
    problems: list[Diagnostic] = []
    entries: dict[str, LockEntry] = {}
    for name in sorted(routines):
        entry = routines[name]
        if not isinstance(entry, dict):
            problems.append(
                Diagnostic(
                    Code.LOCK_CORRUPT,
                    Severity.ERROR,
                    f"lock entry {name!r} is not an object",
                    Span(str(path)),
                    _RESTORE,
                )
            )
            continue
        missing = [k for k in ENTRY_KEYS if k not in entry]
        if missing:
            problems.append(
                Diagnostic(
                    Code.LOCK_CORRUPT,
                    Severity.ERROR,
                    f"lock entry {name!r} is incomplete (missing {', '.join(missing)})",
                    Span(str(path)),
                    "restore it from git, or run 'routinec lock'",
                )
            )
        elif check_hashes and entry_hash(entry) != entry["entry_hash"]:
            problems.append(
                Diagnostic(
                    Code.LOCK_TAMPERED,
                    Severity.ERROR,
                    f"lock entry {name!r} does not match its entry_hash: the lockfile was edited by hand",
                    Span(str(path)),
                    "never edit routines.lock; change the spec and run 'routinec lock'",
                )
            )
        else:
            try:
                typed = LockEntry.from_json(entry, name, path=str(path))
            except DiagnosticError as exc:
                problems.extend(exc.diagnostics)
                continue
            stale = typed.mismatched_hashes() if check_hashes else []
            if stale:
                problems.append(
                    Diagnostic(
                        Code.LOCK_TAMPERED,
                        Severity.ERROR,
                        f"lock entry {name!r}: the stored hash of {', '.join(stale)} does not match "
                        "the content: the lockfile was edited by hand",
                        Span(str(path)),
                        "never edit routines.lock; change the spec and run 'routinec lock'",
                    )
                )
                continue
            entries[name] = typed
    rollout, said = parse_rollout(data.get("rollout"), routines, str(path), check_hashes=check_hashes)
    problems.extend(said)
    generated: dict[str, GeneratedFile] = {}
    if "generated" in data:
        try:
            generated = generated_from_json(data["generated"])
        except GeneratedCorrupt as exc:
            problems.append(Diagnostic(Code.LOCK_CORRUPT, Severity.ERROR, f"the lockfile's {exc}", Span(str(path)), _RESTORE))
    if problems:
        raise DiagnosticError(problems)
    compiler_version = data.get("compiler_version")
    return Lock(
        format_version=version,
        compiler_version=compiler_version if isinstance(compiler_version, str) else "?",
        routines={name: entries[name] for name in routines},
        rollout=rollout,
        generated=generated,
    )


def write_lock(path: Path, lock: Lock, data: bytes | None = None) -> bool:
    """Write atomically; an unchanged lock is not rewritten. True when the file changed.
    `data` is `lock.to_bytes()` when the caller has it already (it takes ~0.2 s on 1,000)."""
    return atomic_write(path, lock.to_bytes() if data is None else data)
