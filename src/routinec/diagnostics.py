"""Bottom layer: the one diagnostic value type, its code registry and its renderers.

In: Diagnostic records from any pass. Out: text (`path:line:col: error: message  [code]`
with a caret line), JSON lines, or GitHub workflow annotations. Pure; no I/O but the
source-line lookup handed in by the caller.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from routinec.codes import Code, ExitClass
from routinec.pickling import by_constructor
from routinec.redact import redact_text

__all__ = [
    "Code",
    "Diagnostic",
    "DiagnosticError",
    "Severity",
    "Span",
    "did_you_mean",
    "exit_code_for",
    "github_escape",
    "render",
    "sarif",
    "sort_unique",
    "text_position",
]


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    NOTE = "note"


@by_constructor
@dataclass(frozen=True, order=True, slots=True)
class Span:
    """A source range; lines and columns are 1-based, end is exclusive on the same line."""

    path: str
    line: int = 0
    column: int = 0
    end_line: int = 0
    end_column: int = 0

    @property
    def located(self) -> bool:
        return self.line > 0


def text_position(text: str, pos: int) -> tuple[int, int]:
    """The 1-based line and column of offset `pos` in `text`, as a `Span` counts them."""
    return text.count("\n", 0, pos) + 1, pos - (text.rfind("\n", 0, pos) + 1) + 1


@dataclass(frozen=True)
class Diagnostic:
    code: Code
    severity: Severity
    message: str
    span: Span | None = None
    help: str | None = None
    notes: tuple[str, ...] = field(default=())

    def sort_key(self) -> tuple[str, int, int, str, str]:
        span = self.span or Span("")
        return (span.path, span.line, span.column, self.code, self.message)

    def to_json(self) -> dict[str, object]:
        span = self.span
        return {
            "code": self.code,
            "severity": self.severity.value,
            "message": self.message,
            "path": span.path if span else None,
            "line": span.line if span and span.located else None,
            "column": span.column if span and span.located else None,
            "end_line": span.end_line if span and span.located else None,
            "end_column": span.end_column if span and span.located else None,
            "help": self.help,
            "notes": list(self.notes),
        }


class DiagnosticError(Exception):
    """Raised once per phase with everything that phase found."""

    def __init__(self, diagnostics: Sequence[Diagnostic]) -> None:
        self.diagnostics = sort_unique(diagnostics)
        first = self.diagnostics[0].message if self.diagnostics else "failed"
        super().__init__(first)


def sort_unique(diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
    seen: set[tuple[object, ...]] = set()
    result: list[Diagnostic] = []
    for diag in sorted(diagnostics, key=Diagnostic.sort_key):
        key = (diag.sort_key(), diag.severity)
        if key not in seen:
            seen.add(key)
            result.append(diag)
    return result


def did_you_mean(name: str, known: Iterable[str], *, n: int = 1, cutoff: float = 0.6) -> str | None:
    """`did you mean 'check'?` (or `'a' or 'b'`) for a name that is close to a known one;
    None when nothing is. One helper for commands, routines, cases and codes."""
    from difflib import get_close_matches

    close = get_close_matches(name, sorted(set(known)), n=n, cutoff=cutoff)
    return f"did you mean {' or '.join(repr(c) for c in close)}?" if close else None


def exit_code_for(diagnostics: Iterable[Diagnostic], *, findings: bool = False) -> int:
    """The CLI's exit code for these diagnostics: 0 when none is an error, else the worst
    error's exit class (2: bad input beats 1: a check found a problem). `findings` says the
    check itself found something (drift, a failed case) though no diagnostic is an error."""
    classes = [d.code.exit_class for d in diagnostics if d.severity is Severity.ERROR]
    if findings:
        classes.append(ExitClass.FINDING)
    return int(max(classes, default=0))


SourceLookup = Callable[[str, int], "str | None"]


_CONTROL = {c: "\ufffd" for c in (*range(0x00, 0x20), 0x7F, *range(0x80, 0xA0))}


def _printable(text: str) -> str:
    """Control characters (NUL, ESC, …) never reach a terminal or a CI log raw."""
    return text.translate(_CONTROL)


# ANSI SGR, as compilers colour: location bold, severity red/yellow/cyan, caret green.
_SGR = {"bold": "1", "error": "1;31", "warning": "1;33", "note": "1;36", "caret": "1;32", "help": "1;36", "dim": "2"}


def _paint(text: str, style: str, color: bool) -> str:
    return f"\x1b[{_SGR[style]}m{text}\x1b[0m" if color and text else text


def _text(diag: Diagnostic, source_line: SourceLookup | None, color: bool = False) -> str:
    span = diag.span
    severity = _paint(f"{diag.severity.value}:", diag.severity.value, color)
    message = _printable(diag.message)
    code = _paint(f"[{diag.code}]", "dim", color)
    if span is None or not span.path:
        where = "routinec:"
    elif span.located:
        where = _printable(f"{span.path}:{span.line}:{span.column}:")
    else:
        where = _printable(f"{span.path}:")
    head = f"{_paint(where, 'bold', color)} {severity} {_paint(message, 'bold', color)}  {code}"
    lines = [head]
    if span is not None and span.located and source_line is not None:
        text = source_line(span.path, span.line)
        if text is not None:
            # The quoted source line may hold a key (that is what `secret-in-spec` reports).
            text = _printable(redact_text(text.expandtabs(4).rstrip("\r\n")))
            if len(text) > 200:
                text = text[:200] + "…"
            gutter = str(span.line)
            lines.append(f" {gutter} | {text}")
            width = 1
            if span.end_line == span.line and span.end_column > span.column:
                width = span.end_column - span.column
            start = min(span.column - 1, len(text))
            width = max(1, min(width, max(1, len(text) - start)))
            marker = _paint("^" + "~" * (width - 1), "caret", color)
            lines.append(" " + " " * len(gutter) + " | " + " " * start + marker)
    if diag.help:
        lines.append(f"  {_paint('help:', 'help', color)} {diag.help}")
    for note in diag.notes:
        lines.append(f"  {_paint('note:', 'note', color)} {note}")
    return "\n".join(lines)


def github_escape(text: str, *, prop: bool = False) -> str:
    """Escape a workflow-command message (or, with `prop`, a property value)."""
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if prop:
        text = text.replace(":", "%3A").replace(",", "%2C")
    return text


def _github(diag: Diagnostic) -> str:
    kind = {"error": "error", "warning": "warning", "note": "notice"}[diag.severity.value]
    props: list[str] = []
    span = diag.span
    if span is not None and span.path:
        props.append(f"file={github_escape(span.path, prop=True)}")
        if span.located:
            props.append(f"line={span.line}")
            props.append(f"col={span.column}")
            if span.end_line == span.line and span.end_column > span.column:
                props.append(f"endColumn={span.end_column}")
    props.append(f"title={github_escape(diag.code, prop=True)}")
    message = diag.message + (f"\nhelp: {diag.help}" if diag.help else "")
    message += "".join(f"\nnote: {note}" for note in diag.notes)
    return f"::{kind} {','.join(props)}::{github_escape(message)}"


def _redacted(diag: Diagnostic) -> Diagnostic:
    message, help_ = redact_text(diag.message), redact_text(diag.help) if diag.help else diag.help
    notes = tuple(redact_text(n) for n in diag.notes)
    if (message, help_, notes) == (diag.message, diag.help, diag.notes):
        return diag
    return Diagnostic(diag.code, diag.severity, message, diag.span, help_, notes)


def sarif(diagnostics: Iterable[Diagnostic], version: str) -> dict[str, object]:
    """One SARIF 2.1.0 log (the format GitHub code scanning and other dashboards read):
    one run, routinec as the tool, one rule per code used."""
    items = [_redacted(d) for d in diagnostics]
    codes = sorted({d.code for d in items})
    index = {code: i for i, code in enumerate(codes)}
    level = {"error": "error", "warning": "warning", "note": "note"}
    results: list[dict[str, object]] = []
    for d in items:
        text = d.message + (f"\nhelp: {d.help}" if d.help else "") + "".join(f"\nnote: {n}" for n in d.notes)
        result: dict[str, object] = {
            "ruleId": d.code.value, "ruleIndex": index[d.code], "level": level[d.severity.value],
            "message": {"text": text},
        }
        span = d.span
        if span is not None and span.path:
            physical: dict[str, object] = {"artifactLocation": {"uri": span.path, "uriBaseId": "%SRCROOT%"}}
            if span.located:
                region: dict[str, object] = {"startLine": span.line, "startColumn": max(span.column, 1)}
                if span.end_line == span.line and span.end_column > span.column:
                    region["endColumn"] = span.end_column
                physical["region"] = region
            result["locations"] = [{"physicalLocation": physical}]
        results.append(result)
    rules = [{
        "id": code.value, "name": code.value, "shortDescription": {"text": code.doc},
        "properties": {"phase": code.phase.value, "exit_class": int(code.exit_class)},
    } for code in codes]
    return {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "routinec", "version": version, "rules": rules}},
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    }


def render(
    diagnostics: Iterable[Diagnostic],
    fmt: str = "text",
    source_line: SourceLookup | None = None,
    *,
    color: bool = False,
) -> str:
    """Render diagnostics in one of `text`, `json` (JSON lines) or `github`. Messages quote
    values (a test input that does not validate, an output): any secret in them is redacted."""
    items = [_redacted(d) for d in diagnostics]
    if fmt == "json":
        return "\n".join(json.dumps(d.to_json(), sort_keys=True) for d in items)
    if fmt == "github":
        return "\n".join(_github(d) for d in items)
    return "\n".join(_text(d, source_line, color) for d in items)
