"""CLI layer: the GitHub Actions job summary. In: one command's result (its name, exit code,
pass/fail counts and findings). Out: rows of one markdown table, appended to the file
`$GITHUB_STEP_SUMMARY` names (never rewritten: Actions concatenates what each step appends).

Several commands in one step (the composite action runs verify, test and compat in one) add
their rows to the same table; a finding's row follows its command's row."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from routinec.diagnostics import Diagnostic
from routinec.redact import redact_text

__all__ = ["HEADER", "Annotation", "CommandResult", "append", "cell", "render"]

HEADING = "### routinec"
HEADER = "| command | status | findings | passed | failed | where | code | message |"
_RULE = "|---|---|---:|---:|---:|---|---|---|"
MAX_FINDINGS = 50  # per command: a step summary holds at most 1 MiB
MAX_MESSAGE = 500
_KIND = {"error": "error", "warning": "warning", "note": "notice"}
# CommonMark lets every ASCII punctuation character be escaped; these would otherwise become
# emphasis, code, links, HTML, entities or cell boundaries.
_MARKDOWN = str.maketrans({c: "\\" + c for c in "\\`*_[]<>|~#&!"})


@dataclass(frozen=True)
class Annotation:
    """One annotation a command printed, as the summary lists it (a diagnostic, or a compat
    finding, which has a rule id rather than a diagnostic code)."""

    severity: str  # error | warning | notice (the workflow command's name)
    path: str
    line: int | None
    code: str
    message: str

    @classmethod
    def of(cls, diag: Diagnostic) -> Annotation:
        """The diagnostic as its `::error file=…` annotation says it (message, help, notes),
        secrets redacted as the renderer redacts them."""
        text = diag.message + (f"\nhelp: {diag.help}" if diag.help else "") + "".join(f"\nnote: {n}" for n in diag.notes)
        span = diag.span
        return cls(
            _KIND[diag.severity.value], span.path if span is not None else "",
            span.line if span is not None and span.located else None, str(diag.code), redact_text(text),
        )

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}" if self.path and self.line else self.path

    def sort_key(self) -> tuple[str, int, str, str, str]:
        return (self.path, self.line or 0, self.code, self.message, self.severity)


@dataclass(frozen=True)
class CommandResult:
    """What one command run adds to the summary: its row, then one row per finding."""

    command: str  # as typed after `routinec`, e.g. "verify" or "compat --against origin/main"
    exit_code: int
    findings: tuple[Annotation, ...] = ()
    passed: int | None = None  # routines up to date, cases passed, routines compatible
    failed: int | None = None


def cell(text: str) -> str:
    """Text as one table cell: markdown and pipes escaped, line breaks as <br>."""
    lines = [line.strip().translate(_MARKDOWN) for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    return "<br>".join(line for line in lines if line)


def _status(code: int) -> str:
    return {0: "✅ passed", 1: "❌ failed", 2: "⛔ bad input", 130: "⏹ interrupted"}.get(code, "❌ failed") + f" (exit {code})"


def _count(value: int | None) -> str:
    return "–" if value is None else str(value)


def _clip(text: str) -> str:
    return text if len(text) <= MAX_MESSAGE else text[:MAX_MESSAGE] + "…"


def render(result: CommandResult) -> list[str]:
    """The command's rows (no header): deterministic, findings sorted by place."""
    findings = sorted(set(result.findings), key=Annotation.sort_key)
    rows = [
        f"| `routinec {cell(result.command)}` | {_status(result.exit_code)} | {len(findings)} | "
        f"{_count(result.passed)} | {_count(result.failed)} |  |  |  |"
    ]
    for f in findings[:MAX_FINDINGS]:
        rows.append(f"| ↳ | {f.severity} |  |  |  | {cell(f.where)} | {cell(f.code)} | {cell(_clip(f.message))} |")
    if len(findings) > MAX_FINDINGS:
        more = len(findings) - MAX_FINDINGS
        rows.append(f"| ↳ |  |  |  |  |  |  | … {more} more (the annotations list them all) |")
    return rows


def _continues_table(existing: str) -> bool:
    """True when the file ends inside our table, so new rows extend it."""
    at = existing.rfind("\n" + HEADER + "\n")
    if at < 0 or not existing.endswith("\n"):
        return False
    tail = existing[at + 1:].rstrip("\n").split("\n")
    return all(line.startswith("|") for line in tail)


def append(path: Path, result: CommandResult) -> None:
    """Add the result's rows to the summary file, with the heading and header when the file
    does not already end in our table. Appends only (each step's file is shown in order)."""
    try:
        existing = path.read_text("utf-8", errors="replace")
    except FileNotFoundError:
        existing = ""
    lines: list[str] = []
    if not _continues_table(existing):
        if existing and not existing.endswith("\n\n"):
            lines.append("" if existing.endswith("\n") else "\n")
        lines += [HEADING, "", HEADER, _RULE]
    lines += render(result)
    with path.open("a", encoding="utf-8") as stream:
        stream.write("\n".join(lines) + "\n")
