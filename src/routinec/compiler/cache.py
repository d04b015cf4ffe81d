"""Compiler layer: the incremental build cache, one record per spec file.

In: a spec file's path and bytes (the key, with a digest of routinec's own code and the
project's pyproject.toml), and what the passes made of it. Out: the record stored the last time, or
None. A record holds the file's AST and, per routine, its lock entry and warnings with the
digests of every file that entry was built from; `passes.lower` reuses an entry only when
all of those still hash the same. Beside them: per project folder, what the check pass said
(`CheckRecord`: `passes.check_specs` reuses a declaration's findings while its file's bytes
and the project's interface digest are the same); per project, the digests of the JSON
Schema validations that passed (`values.Validated`); and the summary of each successful
`lock` (`ProjectSummary`). Records live in $XDG_CACHE_HOME/routinec/build (else
~/.cache/routinec/build), are written atomically (temp file + os.replace, so concurrent runs
only ever see whole records), and carry a sha256 of their payload: a truncated, garbled or
foreign file is a miss, never an error. ROUTINEC_NO_CACHE=1 turns the cache off.

Records are pickles, so the folder is trusted only when this user owns it and nobody else can
write to it, and the unpickler builds nothing but routinec's own record types and plain
values. A record holding anything shaped like a secret is never written.
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
from typing import TYPE_CHECKING, Any

from routinec import __version__
from routinec.config import env
from routinec.diagnostics import Diagnostic
from routinec.lockfile.entry import ModelPin
from routinec.redact import Redactor

if TYPE_CHECKING:
    from routinec.compiler.ast import Comment, RoutineDef

# routinec.compiler.ast is imported where spec records are read or written: `lock`'s and
# `verify`'s fast paths read only a summary.

__all__ = ["BuildCache", "CheckRecord", "FileChecks", "ProjectSummary", "SpecRecord", "cache_dir", "code_fingerprint", "user_cache_folder"]


def find_secret_text(text: str) -> bool:
    return Redactor().find(text) is not None

_MAGIC = b"routinec-build-cache-1\n"
# Validation digests kept per project (16 bytes each).
VALIDATED_LIMIT = 200_000


@dataclass
class SpecRecord:
    """What one spec file compiled to. `lowered` maps routine name to
    {"model": repr(ModelInfo), "sources": {path: digest}, "entry": dict, "diagnostics": [...]}.

    `ast` is the file's `ast.File` when the record is made; it is stored split
    (`ast.split_file`): `head` (types and consumers whole, routines as heads) and `rest`, the
    routines and comments pickled on their own, read only when a build needs them
    (`BuildCache.rest`): most re-locks need no routine of an unchanged file."""

    ast: Any
    lowered: dict[str, dict[str, Any]] = field(default_factory=dict)
    # `check.file_interface(ast)`: what the check pass reads of this file when it checks others.
    interface: str = ""
    head: Any = None
    rest: bytes = b""


@dataclass
class FileChecks:
    """What the check pass said about one spec file's declarations (those that won their
    name), made from the file with these bytes (`digest`, `canonical.source_digest`).
    `routines`: name → (the model it names or None, repr of what that resolved to, diagnostics).
    No lifecycle diagnostics: they depend on the date and are recomputed from the model."""

    digest: str
    interface: str = ""  # `check.file_interface` of the file with these bytes
    types: dict[str, list[Any]] = field(default_factory=dict)
    consumers: dict[str, list[Any]] = field(default_factory=dict)
    routines: dict[str, tuple[str | None, str, list[Any]]] = field(default_factory=dict)


@dataclass
class CheckRecord:
    """The check pass's findings the last time it ran over a project (one record per project
    folder), whose files then had the interface digest `interface`
    (`check.project_interface`): per spec file, and project-wide (type cycles, Python names).
    A file's findings hold while its bytes and the project's interface are the same; its
    `interface` while its bytes are."""

    interface: str = ""
    files: dict[str, FileChecks] = field(default_factory=dict)
    cycles: list[Any] = field(default_factory=list)
    python_names: list[Any] = field(default_factory=list)


@dataclass
class ProjectSummary:
    """A successful `lock`, filed under the sha256 of the lockfile bytes it wrote: when the
    lockfile still has those bytes and every source still hashes as in `sources`, a compile
    would write the same bytes again, so `lock` and `verify` can answer from here.

    `diagnostics`: all it said except the lifecycle ones (they depend on the date);
    `models`: per routine, its locked model pin and its spec file (what the lifecycle ones
    are recomputed from); `model_spans`: where each routine names its model."""

    sources: dict[str, str]
    diagnostics: list[Any]
    models: dict[str, tuple[ModelPin, str]]
    model_spans: dict[str, Any]


def _private(folder: Path) -> bool:
    """Owned by this user and writable by nobody else (what a folder of pickles needs)."""
    info = folder.stat()
    getuid = getattr(os, "getuid", None)
    if getuid is not None and info.st_uid != getuid():
        return False
    return not info.st_mode & 0o022 and os.access(folder, os.W_OK)


def user_cache_folder(*parts: str) -> Path | None:
    """$XDG_CACHE_HOME/routinec/PARTS (else ~/.cache/…), created 0700; None when the cache is
    off (ROUTINEC_NO_CACHE) or a folder on the way is not private to this user."""
    settings = env()
    if settings.no_cache:
        return None
    folder = settings.cache_home / "routinec"
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not _private(folder):
            return None
        for part in parts:
            folder = folder / part
            folder.mkdir(mode=0o700, exist_ok=True)
            if not _private(folder):
                return None
    except OSError:
        return None
    return folder


def cache_dir() -> Path | None:
    """The build cache's folder, or None when unusable or off."""
    return user_cache_folder("build")


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """A digest of routinec's own files: a record made by other code (an edit without a version
    bump, another checkout) is never reused."""
    package = Path(__file__).resolve().parents[1]
    h = hashlib.sha256(__version__.encode())
    for path in sorted(package.rglob("*")):
        if path.suffix in (".py", ".lark") and path.is_file():
            h.update(path.relative_to(package).as_posix().encode() + b"\0")
            h.update(hashlib.sha256(path.read_bytes()).digest())
    return h.hexdigest()


# What a record may be built from: routinec's own types, and plain values.
_SAFE_GLOBALS = frozenset({
    ("decimal", "Decimal"),
    ("copyreg", "__newobj__"),
    ("copyreg", "__newobj_ex__"),
    ("copyreg", "_reconstructor"),
    ("builtins", "object"),
    ("builtins", "set"),
    ("builtins", "frozenset"),
    ("builtins", "tuple"),
    ("builtins", "list"),
    ("builtins", "dict"),
})


class _RecordUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if (module.startswith("routinec.") and not name.startswith("_")) or (module, name) in _SAFE_GLOBALS:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"{module}.{name} is not a build-cache type")


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


def _dump(value: Any) -> bytes:
    buf = io.BytesIO()
    pickler = pickle.Pickler(buf, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.dispatch_table = _dispatch_table()
    pickler.dump(value)
    return buf.getvalue()


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
        # The code covers the compiler and its model table; pyproject.toml the settings.
        key = hashlib.sha256(code_fingerprint().encode() + b"\0" + pyproject).hexdigest()
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
        """The record (with `head` and `rest`, no `ast`) or None."""
        from routinec.compiler.ast import FileHead

        record = self._read(self._path(rel, data))
        if (
            not isinstance(record, SpecRecord)
            or not isinstance(record.lowered, dict)
            or not isinstance(record.head, FileHead)
            or record.head.path != rel
            or not isinstance(record.rest, bytes)
        ):
            return None
        return record

    def rest(self, record: SpecRecord) -> tuple[tuple[RoutineDef, ...], tuple[Comment, ...]] | None:
        """A loaded record's routines and comments (`ast.split_file`), or None if unreadable."""
        from routinec.compiler.ast import Comment, RoutineDef

        try:
            rest = _RecordUnpickler(io.BytesIO(record.rest)).load()
        except Exception:
            return None
        if (
            not isinstance(rest, tuple) or len(rest) != 2
            or not all(isinstance(r, RoutineDef) for r in rest[0])
            or not all(isinstance(c, Comment) for c in rest[1])
        ):
            return None
        return rest

    def store(self, rel: str, data: bytes, record: SpecRecord, *, proven_clean: bool = False) -> None:
        """`proven_clean`: the caller showed from the record's sources that it holds no
        secret (`spec_secrets.RecordScreen`), so the pickled bytes need no scan of their own.
        A record made with its `ast` is stored split (`head`, `rest`)."""
        if record.ast is not None:
            from routinec.compiler.ast import split_file

            try:
                head, rest = split_file(record.ast)
                record = SpecRecord(None, record.lowered, record.interface, head, _dump(rest))
            except Exception:
                return
        self._write(self._path(rel, data), record, scanned=proven_clean)

    def _keyed(self, key: str, suffix: str) -> Path | None:
        """The file of one of this project's records named by `key` (a lock digest, a root)."""
        if self.folder is None:
            return None
        return self.folder / (hashlib.sha256(f"{self.project_key}\n{key}".encode()).hexdigest() + suffix)

    def load_summary(self, lock_digest: str) -> ProjectSummary | None:
        """The summary of the `lock` that wrote a lockfile whose bytes have this digest."""
        record = self._read(self._keyed(lock_digest, ".project"))
        if (
            not isinstance(record, ProjectSummary)
            or not isinstance(record.sources, dict)
            or not isinstance(record.diagnostics, list)
            or not isinstance(record.models, dict)
            or not all(
                isinstance(v, tuple) and len(v) == 2 and isinstance(v[0], ModelPin) and isinstance(v[1], str)
                for v in record.models.values()
            )
        ):
            return None
        return record

    def store_summary(self, lock_digest: str, summary: ProjectSummary) -> None:
        """Written only when its diagnostics and model pins hold no secret. The rest is source
        paths (named by spec files, which a successful `lock` showed clean, or found on disk),
        their digests and spans: what `spec_secrets.RecordScreen` lets a spec record carry
        unscanned. Scanning the whole pickle instead cost a twentieth of a one-edit re-lock."""
        texts: set[str] = set()
        for diag in summary.diagnostics:
            if not isinstance(diag, Diagnostic):
                return
            texts.update((diag.message, diag.help or "", *diag.notes))
        for pin, source in summary.models.values():
            texts.update((pin.alias, pin.snapshot, pin.resolved_by, pin.lifecycle, pin.retires_at or "", source))
        if find_secret_text("\n".join(sorted(texts))):
            return
        self._write(self._keyed(lock_digest, ".project"), summary, scanned=True)

    def load_validated(self) -> set[bytes]:
        """Digests of the validations this project's builds saw pass (`values.Validated`)."""
        record = self._read(self._keyed("validated", ".valid"))
        if not isinstance(record, set) or not all(isinstance(key, bytes) for key in record):
            return set()
        return record

    def store_validated(self, keys: set[bytes], added: set[bytes]) -> None:
        """Digests only (nothing to scan). Past `VALIDATED_LIMIT` the memo starts again from
        this build's `added` rather than grow without bound."""
        self._write(self._keyed("validated", ".valid"), keys if len(keys) <= VALIDATED_LIMIT else added, scanned=True)

    def load_checks(self, root: Path) -> CheckRecord | None:
        """The check findings the last build of the project at `root` filed."""
        record = self._read(self._keyed(str(root), ".check"))
        if (
            not isinstance(record, CheckRecord)
            or not isinstance(record.interface, str)
            or not isinstance(record.files, dict)
            or not isinstance(record.cycles, list)
            or not isinstance(record.python_names, list)
            or not all(isinstance(v, FileChecks) for v in record.files.values())
        ):
            return None
        return record

    def store_checks(self, root: Path, record: CheckRecord) -> None:
        """Only for a build none of whose spec files holds a secret: every string in the
        findings is then a piece of a clean spec file or made by the compiler (the reasoning
        of `spec_secrets.RecordScreen`), so the pickled bytes need no scan of their own."""
        self._write(self._keyed(str(root), ".check"), record, scanned=True)

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
            return _RecordUnpickler(io.BytesIO(payload)).load()
        except Exception:
            return None

    def _write(self, path: Path | None, record: Any, *, scanned: bool = False) -> None:
        """Write atomically; any failure (full disk, read-only home) leaves the cache as it was.
        `scanned`: the caller proved the record secret-free from its sources."""
        if path is None:
            return
        try:
            payload = _dump(record)
            # A spec that holds a credential is refused at `lock`; no copy of it may outlive
            # that in a cache (pickled strings are UTF-8 in the stream, so a scan finds them).
            if not scanned and find_secret_text(payload.decode("utf-8", "replace")):
                return
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
