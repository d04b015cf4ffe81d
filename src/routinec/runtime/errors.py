"""Runtime layer: the one error type a routine run raises, and helpers to build it.

In: what went wrong (kind, routine, case, file). Out: a `RoutineError`, a DiagnosticError
subclass carrying one Diagnostic and the exit code (1: a check failed, 2: bad input).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from routinec.codes import Code
from routinec.diagnostics import Diagnostic, DiagnosticError, Severity, Span, did_you_mean
from routinec.redact import Redactor

__all__ = ["RoutineError", "unknown_name"]


class RoutineError(DiagnosticError):
    """A routine run failed. `kind` (a diagnostic code) says why; its exit class is what the
    CLI returns for it (`exit_code`)."""

    def __init__(
        self,
        kind: Code,
        message: str,
        *,
        hint: str | None = None,
        routine: str | None = None,
        case: str | None = None,
        path: Path | str | None = None,
        notes: tuple[str, ...] = (),
    ) -> None:
        self.exit_code = int(kind.exit_class)
        # Messages quote inputs and outputs (a schema error shows the value): never a secret.
        redactor = Redactor()
        message, notes = redactor.text(message), tuple(redactor.text(n) for n in notes)
        self.kind = kind
        self.routine = routine
        self.case = case
        self.path = str(path) if path is not None else None
        self.hint = hint
        self.text = message
        # A tool-using run that failed part-way: the transcript so far, and where record mode kept it.
        self.partial_transcript: dict[str, Any] | None = None
        self.partial_path: Path | None = None
        where = routine + (f"/{case}" if case else "") + ": " if routine else ""
        span = Span(self.path) if self.path else None
        diag = Diagnostic(kind, Severity.ERROR, where + message, span, hint, notes)
        super().__init__([diag])

    @property
    def diagnostic(self) -> Diagnostic:
        return self.diagnostics[0]

    def brief(self) -> str:
        """The message and hint without the `routine/case:` prefix or the path, for a report
        that shows both beside it (`routinec show`, `record`)."""
        return self.text + (f"; {self.hint}" if self.hint else "")

    def one_line(self) -> str:
        """The message and hint on one line, for reports."""
        text = self.diagnostic.message
        if self.path:
            text += f" ({self.path})"
        if self.hint:
            text += f"; {self.hint}"
        return text


def unknown_name(
    kind: Code, name: str, known: list[str], *, routine: str | None = None, path: Path | None = None
) -> RoutineError:
    label = "routine" if kind is Code.UNKNOWN_ROUTINE else "test case"
    hint = did_you_mean(name, known)
    if hint is None:
        hint = f"known: {', '.join(sorted(known))}" if known else "the lock declares none"
    return RoutineError(
        kind, f"no {label} named {name!r} in the lock", hint=hint, routine=routine, path=path
    )
