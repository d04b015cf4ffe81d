"""Ledger layer: the one error type the ledger raises.

In: a code, a one-line message and a hint. Out: a `LedgerError`, a DiagnosticError carrying
one Diagnostic and its exit code, so the CLI renders it like every other problem.
"""

from __future__ import annotations

from pathlib import Path

from routinec.codes import Code
from routinec.diagnostics import Diagnostic, DiagnosticError, Severity, Span
from routinec.redact import Redactor

__all__ = ["LedgerError"]


class LedgerError(DiagnosticError):
    def __init__(self, code: Code, message: str, *, hint: str | None = None, path: Path | None = None) -> None:
        self.code = code
        self.exit_code = int(code.exit_class)
        self.text = Redactor().text(message)
        self.hint = hint
        span = Span(str(path)) if path is not None else None
        super().__init__([Diagnostic(code, Severity.ERROR, self.text, span, hint)])
