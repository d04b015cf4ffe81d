"""Compiler layer, one check: secrets written into what the lock would carry.

In: template text (inline or a .j2 file), inline test inputs, descriptions. Out:
`secret-in-spec` warnings located at the secret (the lock copies these verbatim, so
`routinec lock` refuses them: a lock that differs from its spec could not verify).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Mapping
from typing import Any

from routinec.codes import Code
from routinec.compiler import ast
from routinec.diagnostics import Diagnostic, Severity, Span
from routinec.redact import Redactor, find_secret

__all__ = ["HELP", "RAW_WHERE", "RecordScreen", "drop_repeats", "in_spec_file", "in_template", "in_value", "refused"]

HELP = (
    "pass it in as an input instead (a test's input file, which transcripts redact, or an "
    "environment variable read by the caller), then rotate it"
)
_REDACTOR = Redactor()


def refused(diag: Diagnostic) -> Diagnostic:
    """A `secret-in-spec` finding as a build reports it: an error, for every command that
    compiles (no lock is made from a spec holding a secret) and in the editor. The passes
    note it as a warning so that one build still reports everything else about the spec."""
    if diag.code is not Code.SECRET_IN_SPEC or diag.severity is Severity.ERROR:
        return diag
    return Diagnostic(diag.code, Severity.ERROR, diag.message, diag.span, diag.help, diag.notes)


def _message(kind: str, where: str) -> str:
    return f"{where} holds what looks like a secret ({kind}); routines.lock would carry it verbatim"


def in_template(text: str, tpl: ast.Template, rel: str | None, where: str) -> list[Diagnostic]:
    """Secrets in a template's text, located in the .j2 file or (inline) in the spec."""
    return _located(text, tpl, rel, where)


def in_spec_file(text: str, rel: str) -> list[Diagnostic]:
    """Secrets anywhere in a spec file's text: a type's literal, a pattern, a comment.
    (Templates, descriptions and inputs are also checked where they are used, escaped
    spellings decoded; `drop_repeats` keeps one finding per place.)"""
    return _located(text, None, rel, RAW_WHERE)


RAW_WHERE = "this spec file"


def drop_repeats(diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    """Without the spec-file findings at a place a more specific finding already names."""
    raw = [d for d in diagnostics if d.code is Code.SECRET_IN_SPEC and d.message.startswith(RAW_WHERE)]
    if not raw:
        return diagnostics
    named = {
        (d.span.path, d.span.line, d.span.column)
        for d in diagnostics
        if d.code is Code.SECRET_IN_SPEC and d.span is not None and not d.message.startswith(RAW_WHERE)
    }
    return [d for d in diagnostics if not (d in raw and d.span is not None and (d.span.path, d.span.line, d.span.column) in named)]


def _located(text: str, tpl: ast.Template | None, rel: str | None, where: str) -> list[Diagnostic]:
    found: list[Diagnostic] = []
    hits = list(_REDACTOR.finditer(text))
    if not hits:
        return found
    starts = [0, *(i + 1 for i, ch in enumerate(text) if ch == "\n")]
    seen: set[tuple[int, int]] = set()
    for kind, start, end in hits:
        line = bisect_right(starts, start)
        column = start - starts[line - 1] + 1
        if (line, column) in seen:
            continue
        seen.add((line, column))
        width = max(1, min(end, starts[line] - 1 if line < len(starts) else len(text)) - start)
        if rel is not None:
            span = Span(rel, line, column, line, column + width)
        else:
            assert tpl is not None
            spec_line = tpl.text_line + line - 1 if tpl.text_line else tpl.span.line
            if line == 1:
                column = tpl.span.column + (3 if tpl.triple else 1) + column - 1
            span = Span(tpl.span.path, spec_line, column, spec_line, column + width)
        found.append(Diagnostic(Code.SECRET_IN_SPEC, Severity.WARNING, _message(kind, where), span, HELP))
    return found


def _first(value: Any) -> str | None:
    if isinstance(value, str):
        return _REDACTOR.find(value)
    if isinstance(value, dict):
        for key in sorted(value, key=str):
            kind = _first(str(key)) or _first(value[key])
            if kind:
                return kind
    if isinstance(value, list | tuple):
        for item in value:
            kind = _first(item)
            if kind:
                return kind
    return None


def in_value(value: Any, span: Span, where: str) -> list[Diagnostic]:
    """A secret anywhere in a literal value (an inline test input, a description)."""
    kind = _first(value)
    if kind is None:
        return []
    return [Diagnostic(Code.SECRET_IN_SPEC, Severity.WARNING, _message(kind, where), span, HELP)]


class RecordScreen:
    """Whether a build-cache record may be written, judged from what it was made of.

    A spec file's record holds its AST and its routines' lock entries and diagnostics. Every
    string in it is a decoded piece of a source its entries name in `sources`, or made by the
    compiler. Spec files parsed in this build were scanned whole (`in_spec_file`); a spec file
    that came from the cache was clean when its record was written, since a record whose spec
    holds a secret is never written. Template files, includes, inline inputs, descriptions and
    consumer schema files are scanned by the compile, whose `secret-in-spec` finding refuses
    the record, and the diagnostics, which may quote a test's input file, are scanned here.
    That replaces a scan of the pickled record: 7.5 MB on 1,000 routines, 2.8 s of CPU, more
    than the rest of a cold `lock`.
    """

    def __init__(self, tainted: set[str]) -> None:
        self._tainted = tainted  # spec files holding a secret

    def clean(self, rel: str, lowered: Iterable[Mapping[str, Any]]) -> bool:
        """True when spec file `rel`'s record, holding these lowered routines, has no secret."""
        if rel in self._tainted:
            return False
        for item in lowered:
            if not self._tainted.isdisjoint(item.get("sources", ())):
                return False
            for diag in item.get("diagnostics", ()):
                if not isinstance(diag, Diagnostic) or diag.code is Code.SECRET_IN_SPEC:
                    return False
                if find_secret("\n".join((diag.message, diag.help or "", *diag.notes))) is not None:
                    return False
        return True
