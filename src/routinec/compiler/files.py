"""Compiler layer: safe access to the files a spec names (templates, test inputs, schemas).

In: paths as written in specs (relative to the project root). Out: file text or parsed JSON,
their raw-bytes digests for the lock's `sources`, or `path-escape` / `missing-file` /
`invalid-json` diagnostics. Every file is read once per compile.
"""

from __future__ import annotations

import os
import posixpath
from pathlib import Path
from typing import Any

from routinec.canonical import loads, source_digest
from routinec.codes import Code
from routinec.diagnostics import Diagnostic, Severity, Span

__all__ = ["FileError", "ProjectFiles"]


class FileError(Exception):
    def __init__(self, diagnostic: Diagnostic) -> None:
        super().__init__(diagnostic.message)
        self.diagnostic = diagnostic


def _read(path: str) -> bytes:
    """A file's bytes. A string path, not `root / rel`, and no buffered reader: pathlib's
    parsing and the buffer cost more than the read itself on the small files a lock reads
    (thousands of them, and all of them again when a re-lock re-digests its sources)."""
    with open(path, "rb", buffering=0) as handle:
        return handle.readall()


class ProjectFiles:
    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self._bytes: dict[str, bytes] = {}
        self._digests: dict[str, str] = {}
        self._root = str(self.root)
        self._root_slash = self._root.rstrip("/") + "/"
        self._dirs: dict[tuple[str, ...], str] = {}
        # Paths as written → their project-relative path, for paths that did not fail: a file
        # named again (a shared include, schema or input) is not resolved again.
        self._normal: dict[str, str] = {}
        # Paths as written that reach their file through a symlink → the file: the written
        # path is a source too, so repointing the link is a change (cache, verify, runtime).
        self.links: dict[str, str] = {}

    def normalise(self, written: str, span: Span, what: str) -> str:
        """The project-relative POSIX path for `written`, or a FileError if it leaves the root."""
        known = self._normal.get(written)
        if known is not None:
            return known
        fwd = written.replace("\\", "/")
        if not written.strip():
            raise FileError(Diagnostic(Code.MISSING_FILE, Severity.ERROR, f"empty {what} path", span))
        if fwd.startswith("/") or (len(written) > 1 and written[1] == ":"):
            raise FileError(
                Diagnostic(
                    Code.PATH_ESCAPE,
                    Severity.ERROR,
                    f"{what} path {written!r} is absolute",
                    span,
                    "paths in specs are relative to the project root (the directory holding pyproject.toml)",
                )
            )
        # PurePosixPath's parts: empty and "." components dropped, ".." kept.
        parts = tuple(p for p in fwd.split("/") if p and p != ".")
        if parts and parts[-1] != "..":
            resolved = self._real(self._real_dir(parts[:-1]), parts[-1])
        else:
            resolved = os.path.realpath(os.path.join(self._root, *parts))
        if resolved != self._root and not resolved.startswith(self._root_slash):
            raise FileError(
                Diagnostic(
                    Code.PATH_ESCAPE,
                    Severity.ERROR,
                    f"{what} path {written!r} leaves the project root",
                    span,
                    "keep prompts, test inputs and schemas inside the project",
                )
            )
        rel = resolved[len(self._root_slash):] if resolved != self._root else "."
        # A path written as its real, normal form reached no link (normpath(rel) is rel).
        if fwd != rel:
            lexical = posixpath.normpath(fwd)
            if lexical != rel and not lexical.startswith(".."):
                self.links[lexical] = rel
        self._normal[written] = rel
        return rel

    @staticmethod
    def _real(directory: str, name: str) -> str:
        """realpath(directory/name) for a directory that is already real: one lstat, not one
        per component (per-file realpath dominated big locks)."""
        candidate = directory + "/" + name if directory != "/" else "/" + name
        if name == ".." or os.path.islink(candidate):
            return os.path.realpath(candidate)
        return candidate

    def _real_dir(self, parts: tuple[str, ...]) -> str:
        real = self._dirs.get(parts)
        if real is None:
            real = self._root if not parts else self._real(self._real_dir(parts[:-1]), parts[-1])
            self._dirs[parts] = real
        return real

    def read_bytes(self, written: str, span: Span, what: str) -> tuple[str, bytes]:
        rel = self.normalise(written, span, what)
        data = self._bytes.get(rel)
        if data is not None:
            return rel, data
        try:
            data = _read(self._root_slash + rel)
        except (FileNotFoundError, NotADirectoryError):
            raise FileError(
                Diagnostic(
                    Code.MISSING_FILE,
                    Severity.ERROR,
                    f"{what} file {written!r} does not exist",
                    span,
                    f"create {rel}, or fix the path (relative to the project root)",
                )
            ) from None
        except IsADirectoryError:
            raise FileError(
                Diagnostic(Code.MISSING_FILE, Severity.ERROR, f"{what} path {written!r} is a directory", span)
            ) from None
        except OSError as exc:
            raise FileError(
                Diagnostic(Code.MISSING_FILE, Severity.ERROR, f"cannot read {written!r}: {exc.strerror}", span)
            ) from None
        self._bytes[rel] = data
        return rel, data

    def read_text(self, written: str, span: Span, what: str) -> tuple[str, str]:
        rel, data = self.read_bytes(written, span, what)
        try:
            # Text as the model sees it must not depend on the checkout's line endings.
            return rel, data.decode("utf-8").replace("\r\n", "\n")
        except UnicodeDecodeError as exc:
            raise FileError(
                Diagnostic(
                    Code.ENCODING,
                    Severity.ERROR,
                    f"{what} file {rel} is not UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start})",
                    span,
                )
            ) from None

    def read_json(self, written: str, span: Span, what: str) -> tuple[str, Any]:
        rel, text = self.read_text(written, span, what)
        try:
            return rel, loads(text)
        except (ValueError, RecursionError) as exc:
            line = getattr(exc, "lineno", None)
            col = getattr(exc, "colno", None)
            where = Span(rel, line, col, line, col + 1) if line and col else Span(rel)
            reason = getattr(exc, "msg", None) or str(exc)[:120]
            raise FileError(
                Diagnostic(
                    Code.INVALID_JSON,
                    Severity.ERROR,
                    f"{what} file is not valid JSON: {reason}",
                    where,
                    None,
                    (f"referenced from {span.path}:{span.line}:{span.column}",),
                )
            ) from None

    def digest(self, rel: str) -> str:
        """Digest of a file already read (or read now, for spec files)."""
        if rel not in self._digests:
            data = self._bytes.get(rel)
            if data is None:
                data = self._bytes[rel] = _read(self._root_slash + rel)
            self._digests[rel] = source_digest(data)
        return self._digests[rel]

    def remember(self, rel: str, data: bytes) -> None:
        self._bytes[rel] = data
