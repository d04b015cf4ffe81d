"""The README's diagnostics are real output: each example is run through `routinec check`
(a subprocess, as users run it) and must equal what it prints today."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import copy_examples, run_cli, write_project

README = Path(__file__).resolve().parents[2] / "README.md"


def _block_after(doc: str, marker: str) -> str:
    """The body of the first ``` block that starts at or after `marker`."""
    start = doc.index("```\n", doc.index(marker)) + 4
    return doc[start : doc.index("```", start)]


def test_readme_diagnostic_example_is_what_check_prints(tmp_path: Path) -> None:
    doc = README.read_text("utf-8")
    spec = _block_after(doc, "Every problem is a diagnostic with a stable code")
    assert spec.startswith("# specs/triage.routine\n"), spec
    shown = _block_after(doc, "makes `routinec check` print")
    root = write_project(tmp_path / "p", {"specs/triage.routine": spec.split("\n", 1)[1]})
    result = run_cli("check", cwd=root)
    assert result.code == 2, result.output
    assert result.stdout == shown
    assert result.stderr == "checked 1 routine: 1 error, 0 warnings\n"


def test_readme_compat_example_is_what_check_prints(tmp_path: Path) -> None:
    """The shipped example project (the README's summarize_pr), its output widened with a
    `"critical"` risk and no version bump."""
    doc = README.read_text("utf-8")
    shown = _block_after(doc, "In the project: every `consumers [...]` edge")
    root = copy_examples(tmp_path / "p")
    spec = root / "specs" / "summarize_pr.routine"
    text = spec.read_text("utf-8")
    assert text.count('    risk: "low" | "medium" | "high"\n') == 1
    spec.write_text(text.replace('    risk: "low" | "medium" | "high"\n', '    risk: "low" | "medium" | "high" | "critical"\n'), "utf-8")
    result = run_cli("check", cwd=root)
    assert result.code == 1, result.output
    assert shown in result.stdout, result.stdout
    # the consumer hint the README quotes, joined back onto one line
    quoted = doc[doc.index("A consumer that rejects the output gets `") :].split("`", 2)[1]
    assert f"help: {' '.join(quoted.split())}" in result.stdout
