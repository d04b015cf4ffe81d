"""Compiler layer: the incremental build cache, one record per spec file.

In: a spec file's path and bytes (the key, with the routinec version and the project's
pyproject.toml), and what the passes made of it. Out: the record stored the last time, or
None. A record holds the file's AST and, per routine, its lock entry and warnings with the
digests of every file that entry was built from; `passes.lower` reuses an entry only when
all of those still hash the same. Records live in $XDG_CACHE_HOME/routinec/build (else
~/.cache/routinec/build), are written atomically (temp file + os.replace, so concurrent runs
only ever see whole records), and carry a sha256 of their payload: a truncated, garbled or
foreign file is a miss, never an error. ROUTINEC_NO_CACHE=1 turns the cache off.
"""

from __future__ import annotations

import contextlib
import copyreg
import dataclasses
import hashlib
import io
import operator
import os
import pickle
import tempfile
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from routinec import __version__
from routinec.config import env

__all__ = ["BuildCache", "ProjectSummary", "SpecRecord", "cache_dir"]

_MAGIC = b"routinec-build-cache-1\n"


@dataclass
class SpecRecord:
    """What one spec file compiled to. `lowered` maps routine name to
    {"model": repr(ModelInfo), "sources": {path: digest}, "entry": dict, "diagnostics": [...]}."""

    ast: Any
    lowered: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass
class ProjectSummary:
    """A successful `lock`, filed under the sha256 of the lockfile bytes it wrote: when the
    lockfile still has those bytes and every source still hashes as in `sources`, a compile
    would write the same bytes again, so `lock` and `verify` can answer from here.

    `diagnostics`: all it said except the lifecycle ones (they depend on the date);
    `models`: per routine, the locked model's snapshot, lifecycle and retires_at, and the
    routine's spec (what the lifecycle ones are recomputed from); `model_spans`: where each
    routine names its model."""

    sources: dict[str, str]
    diagnostics: list[Any]
    models: dict[str, dict[str, Any]]
    model_spans: dict[str, Any]


def cache_dir() -> Path | None:
    """The user's own cache folder (0700, owned by this user), or None when unusable or off."""
    if env().no_cache:
        return None
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    folder = Path(base) / "routinec"
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        getuid = getattr(os, "getuid", None)
        # Records are pickles: never read a folder another user could have written.
        if (getuid is not None and folder.stat().st_uid != getuid()) or not os.access(folder, os.W_OK):
            return None
        build = folder / "build"
        build.mkdir(mode=0o700, exist_ok=True)
    except OSError:
        return None
    return build


@lru_cache(maxsize=1)
def _dispatch_table() -> dict[type, Any]:
    """Pickle the frozen, slotted AST, diagnostic and lock-entry dataclasses as `cls(*fields)`: their
    generated __getstate__ calls dataclasses.fields() per object, and writing a cold
    1,000-routine project's records took a fifth of the lock."""
    from routinec import diagnostics
    from routinec.compiler import ast
    from routinec.lockfile import entry

    table: dict[type, Any] = dict(copyreg.dispatch_table)
    for module in (ast, diagnostics, entry):
        for value in vars(module).values():
            if not (isinstance(value, type) and dataclasses.is_dataclass(value) and value.__module__ == module.__name__):
                continue
            names = tuple(f.name for f in dataclasses.fields(value))
            if not names or not all(f.init for f in dataclasses.fields(value)):
                continue
            table[value] = _reducer(value, names)
    return table


def _reducer(cls: type, names: tuple[str, ...]) -> Any:
    get = operator.attrgetter(*names)
    if len(names) == 1:
        return lambda obj: (cls, (get(obj),))
    return lambda obj: (cls, get(obj))


class BuildCache:
    """Spec-file records for one project. Every method is a no-op when the cache is off."""

    def __init__(self, folder: Path | None, project_key: str) -> None:
        self.folder = folder
        self.project_key = project_key

    @classmethod
    def open(cls, root: Path) -> BuildCache:
        try:
            pyproject = (root / "pyproject.toml").read_bytes()
        except OSError:
            pyproject = b""
        # The version covers the compiler and its model table; pyproject.toml the settings.
        key = hashlib.sha256(__version__.encode() + b"\0" + pyproject).hexdigest()
        return cls(cache_dir(), key)

    @property
    def enabled(self) -> bool:
        return self.folder is not None

    def _path(self, rel: str, data: bytes) -> Path | None:
        if self.folder is None:
            return None
        h = hashlib.sha256()
        for part in (self.project_key.encode(), rel.encode("utf-8"), data):
            h.update(len(part).to_bytes(8, "big"))
            h.update(part)
        return self.folder / f"{h.hexdigest()}.spec"

    def load(self, rel: str, data: bytes) -> SpecRecord | None:
        record = self._read(self._path(rel, data))
        if not isinstance(record, SpecRecord) or not isinstance(record.lowered, dict):
            return None
        return record

    def store(self, rel: str, data: bytes, record: SpecRecord) -> None:
        self._write(self._path(rel, data), record)

    def _summary_path(self, lock_digest: str) -> Path | None:
        if self.folder is None:
            return None
        return self.folder / (hashlib.sha256(f"{self.project_key}\n{lock_digest}".encode()).hexdigest() + ".project")

    def load_summary(self, lock_digest: str) -> ProjectSummary | None:
        """The summary of the `lock` that wrote a lockfile whose bytes have this digest."""
        record = self._read(self._summary_path(lock_digest))
        if (
            not isinstance(record, ProjectSummary)
            or not isinstance(record.sources, dict)
            or not isinstance(record.diagnostics, list)
            or not isinstance(record.models, dict)
        ):
            return None
        return record

    def store_summary(self, lock_digest: str, summary: ProjectSummary) -> None:
        self._write(self._summary_path(lock_digest), summary)

    def _read(self, path: Path | None) -> Any:
        if path is None:
            return None
        try:
            raw = path.read_bytes()
        except OSError:
            return None
        head = len(_MAGIC)
        if not raw.startswith(_MAGIC) or len(raw) < head + 32:
            return None
        payload = raw[head + 32:]
        if hashlib.sha256(payload).digest() != raw[head:head + 32]:
            return None
        try:
            return pickle.loads(payload)
        except Exception:
            return None

    def _write(self, path: Path | None, record: Any) -> None:
        """Write atomically; any failure (full disk, read-only home) leaves the cache as it was."""
        if path is None:
            return
        try:
            buf = io.BytesIO()
            pickler = pickle.Pickler(buf, protocol=pickle.HIGHEST_PROTOCOL)
            pickler.dispatch_table = _dispatch_table()
            pickler.dump(record)
            payload = buf.getvalue()
            fd, tmp = tempfile.mkstemp(prefix=".", suffix=".tmp", dir=path.parent)
        except Exception:
            return
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(_MAGIC + hashlib.sha256(payload).digest() + payload)
            os.replace(tmp, path)
        except OSError:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
