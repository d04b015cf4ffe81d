"""Compiler layer, one check: secrets written into what the lock would carry.

In: template text (inline or a .j2 file), inline test inputs, descriptions. Out:
`secret-in-spec` warnings located at the secret (the lock copies these verbatim, so
`routinec lock` refuses them: a lock that differs from its spec could not verify).
"""

from __future__ import annotations

from bisect import bisect_right
from typing import Any

from routinec.codes import Code
from routinec.compiler import ast
from routinec.diagnostics import Diagnostic, Severity, Span
from routinec.redact import Redactor

__all__ = ["HELP", "in_template", "in_value"]

HELP = (
    "pass it in as an input instead (a test's input file, which transcripts redact, or an "
    "environment variable read by the caller), then rotate it"
)
_REDACTOR = Redactor()


def _message(kind: str, where: str) -> str:
    return f"{where} holds what looks like a secret ({kind}); routines.lock would carry it verbatim"


def in_template(text: str, tpl: ast.Template, rel: str | None, where: str) -> list[Diagnostic]:
    """Secrets in a template's text, located in the .j2 file or (inline) in the spec."""
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
