"""Compiler layer: safe access to the files a spec names (templates, test inputs, schemas).

In: paths as written in specs (relative to the project root). Out: file text or parsed JSON,
their raw-bytes digests for the lock's `sources`, or `path-escape` / `missing-file` /
`invalid-json` diagnostics. Every file is read once per compile.
"""

from __future__ import annotations

import os
import posixpath
from pathlib import Path, PurePosixPath
from typing import Any

from routinec.canonical import loads, source_digest
from routinec.codes import Code
from routinec.diagnostics import Diagnostic, Severity, Span

__all__ = ["FileError", "ProjectFiles"]


class FileError(Exception):
    def __init__(self, diagnostic: Diagnostic) -> None:
        super().__init__(diagnostic.message)
        self.diagnostic = diagnostic


class ProjectFiles:
    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self._bytes: dict[str, bytes] = {}
        self._digests: dict[str, str] = {}
        self._dirs: dict[PurePosixPath, Path] = {}
        # Paths as written that reach their file through a symlink → the file: the written
        # path is a source too, so repointing the link is a change (cache, verify, runtime).
        self.links: dict[str, str] = {}

    def normalise(self, written: str, span: Span, what: str) -> str:
        """The project-relative POSIX path for `written`, or a FileError if it leaves the root."""
        pure = PurePosixPath(written.replace("\\", "/"))
        if not written.strip():
            raise FileError(Diagnostic(Code.MISSING_FILE, Severity.ERROR, f"empty {what} path", span))
        if pure.is_absolute() or (len(written) > 1 and written[1] == ":"):
            raise FileError(
                Diagnostic(
                    Code.PATH_ESCAPE,
                    Severity.ERROR,
                    f"{what} path {written!r} is absolute",
                    span,
                    "paths in specs are relative to the project root (the directory holding pyproject.toml)",
                )
            )
        resolved = self._resolve(pure)
        if resolved != self.root and self.root not in resolved.parents:
            raise FileError(
                Diagnostic(
                    Code.PATH_ESCAPE,
                    Severity.ERROR,
                    f"{what} path {written!r} leaves the project root",
                    span,
                    "keep prompts, test inputs and schemas inside the project",
                )
            )
        rel = resolved.relative_to(self.root).as_posix()
        lexical = posixpath.normpath(pure.as_posix())
        if lexical != rel and not lexical.startswith(".."):
            self.links[lexical] = rel
        return rel

    def _resolve(self, pure: PurePosixPath) -> Path:
        """realpath, with each directory resolved once (a per-file resolve() dominated big locks)."""
        parent = self._dirs.get(pure.parent)
        if parent is None:
            parent = Path(os.path.realpath(self.root / pure.parent))
            self._dirs[pure.parent] = parent
        candidate = parent / pure.name
        if pure.name in ("", ".", "..") or os.path.islink(candidate):
            return Path(os.path.realpath(candidate))
        return candidate

    def read_bytes(self, written: str, span: Span, what: str) -> tuple[str, bytes]:
        rel = self.normalise(written, span, what)
        if rel in self._bytes:
            return rel, self._bytes[rel]
        path = self.root / rel
        try:
            data = path.read_bytes()
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
                data = (self.root / rel).read_bytes()
                self._bytes[rel] = data
            self._digests[rel] = source_digest(data)
        return self._digests[rel]

    def remember(self, rel: str, data: bytes) -> None:
        self._bytes[rel] = data
