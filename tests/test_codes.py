"""The diagnostic code registry: objects, unique names, and the reference page kept equal."""

from __future__ import annotations

import re
from pathlib import Path

from routinec.codes import Code, ExitClass, reference_table
from routinec.diagnostics import Diagnostic, Severity, exit_code_for

DOCS = Path(__file__).parents[1] / "docs" / "diagnostics.md"


def test_names_are_unique_kebab_case() -> None:
    names = [c.value for c in Code]
    assert len(names) == len(set(names))
    assert all(re.fullmatch(r"[a-z]+(-[a-z]+)*", n) for n in names), names


def test_reference_page_lists_every_code() -> None:
    assert DOCS.read_text("utf-8").endswith(reference_table())


def test_codes_are_their_names() -> None:
    assert Code("lock-drift") is Code.LOCK_DRIFT
    assert f"[{Code.LOCK_DRIFT}]" == "[lock-drift]"


def _diag(code: Code, severity: Severity = Severity.ERROR) -> Diagnostic:
    return Diagnostic(code, severity, "m")


def test_exit_code_is_the_worst_exit_class() -> None:
    assert exit_code_for([]) == 0
    assert exit_code_for([_diag(Code.SYNTAX, Severity.WARNING)]) == 0
    assert exit_code_for([_diag(Code.LOCK_DRIFT)]) == 1
    assert exit_code_for([_diag(Code.LOCK_DRIFT), _diag(Code.SYNTAX)]) == 2
    assert exit_code_for([], findings=True) == 1
    assert exit_code_for([_diag(Code.LOCK_CORRUPT)], findings=True) == 2


def test_findings_are_what_the_readme_calls_findings() -> None:
    findings = {c.value for c in Code if c.exit_class is ExitClass.FINDING}
    assert {"lock-drift", "lock-missing", "lock-tampered", "compat-break", "consumer-break", "golden-mismatch"} <= findings
    assert not {"syntax", "lock-corrupt", "config", "internal"} & findings
