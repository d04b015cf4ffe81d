"""Runtime layer: the one error type a routine run raises, and helpers to build it.

In: what went wrong (kind, routine, case, file). Out: a `RoutineError`, a DiagnosticError
subclass carrying one Diagnostic and the exit code (1: a check failed, 2: bad input).
"""

from __future__ import annotations

from difflib import get_close_matches
from pathlib import Path

from routinec.diagnostics import Diagnostic, DiagnosticError, Severity, Span
from routinec.redact import Redactor

__all__ = ["EXIT_FOR_KIND", "RoutineError", "unknown_name"]

# kind -> (diagnostic code, exit code). Drift between recordings, goldens and the model is a
# failed check (1); broken files, bad inputs, stale locks and setup problems are bad input (2).
EXIT_FOR_KIND: dict[str, tuple[str, int]] = {
    "unknown-routine": ("runtime", 2),
    "unknown-case": ("runtime", 2),
    "stale": ("runtime", 2),
    "input": ("runtime", 2),
    "template": ("runtime", 2),
    "sandbox": ("template-unsafe", 2),
    "mode": ("runtime", 2),
    "api-key": ("runtime", 2),
    "api": ("runtime", 1),
    "output": ("runtime", 1),
    "transcript-missing": ("transcript", 1),
    "transcript-mismatch": ("transcript", 1),
    "transcript-corrupt": ("transcript", 2),
    "transcript-orphan": ("transcript", 1),
    "secret": ("transcript", 2),
    "golden-missing": ("golden", 1),
    "golden-mismatch": ("golden", 1),
    "golden-invalid": ("golden", 1),
    "golden-corrupt": ("golden", 2),
    "golden-orphan": ("golden", 1),
    "ci": ("runtime", 2),
}


class RoutineError(DiagnosticError):
    """A routine run failed. `kind` says why; `exit_code` is what the CLI returns for it."""

    def __init__(
        self,
        kind: str,
        message: str,
        *,
        hint: str | None = None,
        routine: str | None = None,
        case: str | None = None,
        path: Path | str | None = None,
        notes: tuple[str, ...] = (),
    ) -> None:
        code, self.exit_code = EXIT_FOR_KIND.get(kind, ("runtime", 2))
        # Messages quote inputs and outputs (a schema error shows the value): never a secret.
        redactor = Redactor()
        message, notes = redactor.text(message), tuple(redactor.text(n) for n in notes)
        self.kind = kind
        self.routine = routine
        self.case = case
        self.path = str(path) if path is not None else None
        self.hint = hint
        self.text = message
        where = routine + (f"/{case}" if case else "") + ": " if routine else ""
        span = Span(self.path) if self.path else None
        diag = Diagnostic(code, Severity.ERROR, where + message, span, hint, notes)
        super().__init__([diag])

    @property
    def diagnostic(self) -> Diagnostic:
        return self.diagnostics[0]

    def one_line(self) -> str:
        """The message and hint on one line, for reports."""
        text = self.diagnostic.message
        if self.path:
            text += f" ({self.path})"
        if self.hint:
            text += f"; {self.hint}"
        return text


def unknown_name(
    kind: str, name: str, known: list[str], *, routine: str | None = None, path: Path | None = None
) -> RoutineError:
    label = "routine" if kind == "unknown-routine" else "test case"
    close = get_close_matches(name, known, n=1)
    hint = f"did you mean {close[0]!r}?" if close else None
    if hint is None:
        hint = f"known: {', '.join(sorted(known))}" if known else "the lock declares none"
    return RoutineError(
        kind, f"no {label} named {name!r} in the lock", hint=hint, routine=routine, path=path
    )
