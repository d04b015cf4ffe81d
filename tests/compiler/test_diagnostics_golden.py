"""Golden diagnostics: each tests/data/check/NAME/ is a tiny project; expected.txt is the exact
stdout then stderr of `routinec check` (text format), its first line `exit: N`.

Control files in a case directory (never copied into the project):
  expected.txt  the golden output (ROUTINEC_UPDATE_GOLDEN=1 rewrites it)
  today         YYYY-MM-DD for ROUTINEC_TODAY (default: tests.helpers.DEFAULT_TODAY)
  xfail         a known bug in src/: the reason; expected.txt holds the *correct* output
                and is never rewritten by the update flag
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from routinec.codes import Code, Phase
from tests.helpers import (
    DATA,
    DEFAULT_TODAY,
    UPDATE_GOLDEN,
    cli_env,
    copy_case,
    invoke,
    run_cli,
)

CASES_DIR = DATA / "check"
CONTROL = ("expected.txt", "today", "xfail")


def _cases() -> list[pytest.param]:
    params = []
    for case in sorted(p for p in CASES_DIR.iterdir() if p.is_dir()):
        marks = []
        xfail = case / "xfail"
        if xfail.exists():
            marks.append(pytest.mark.xfail(strict=True, reason=xfail.read_text("utf-8").strip()))
        params.append(pytest.param(case, id=case.name, marks=marks))
    return params


def render_case(case: Path, tmp_path: Path, *, subprocess: bool = False) -> str:
    """Run `routinec check` in a copy of the case; in-process by default (same CLI, faster)."""
    project = copy_case(case, tmp_path / "project", skip=CONTROL)
    today = case / "today"
    env = cli_env(
        ROUTINEC_TODAY=today.read_text("utf-8").strip() if today.exists() else DEFAULT_TODAY
    )
    result = (run_cli if subprocess else invoke)("check", cwd=project, env=env)
    # Diagnostics are results: stdout (as ruff and mypy); the summary line is a log: stderr.
    assert not result.stderr.startswith(("specs/", "routinec: error")), "diagnostics belong on stdout"
    both = result.stdout + result.stderr
    both = both.replace(str(project.resolve()), "<root>").replace(str(project), "<root>")
    return f"exit: {result.code}\n{both}"


@pytest.mark.parametrize("case", _cases())
def test_check_golden(case: Path, tmp_path: Path) -> None:
    actual = render_case(case, tmp_path)
    expected_file = case / "expected.txt"
    if UPDATE_GOLDEN and not (case / "xfail").exists():
        expected_file.write_text(actual, encoding="utf-8", newline="\n")
    assert expected_file.exists(), (
        f"{case.name}: no expected.txt (run with ROUTINEC_UPDATE_GOLDEN=1)"
    )
    assert actual == expected_file.read_text("utf-8")
    assert "Traceback" not in actual


@pytest.mark.parametrize("name", ["design_example", "syntax_missing_colon", "model_retired_error"])
def test_subprocess_matches_in_process(name: str, tmp_path: Path) -> None:
    """The in-process runner is a faithful stand-in for `python -m routinec check`."""
    case = CASES_DIR / name
    assert render_case(case, tmp_path / "sub", subprocess=True) == render_case(
        case, tmp_path / "in"
    )


def test_every_case_has_a_project_and_an_expected_file() -> None:
    stray = [p.name for p in CASES_DIR.iterdir() if not p.is_dir()]
    assert stray == [], f"files outside any case directory: {stray}"
    problems = []
    for case in sorted(p for p in CASES_DIR.iterdir() if p.is_dir()):
        project_files = [
            p
            for p in case.rglob("*")
            if p.is_file() and p.relative_to(case).as_posix() not in CONTROL
        ]
        if not (case / "expected.txt").exists():
            problems.append(f"{case.name}: case without expected.txt")
        if not project_files:
            problems.append(f"{case.name}: expected.txt without a project")
    assert problems == []


def _expected_texts() -> dict[str, str]:
    return {p.parent.name: p.read_text("utf-8") for p in CASES_DIR.glob("*/expected.txt")}


# The codes `routinec check` can emit: those of the phases it runs.
CHECK_PHASES = {Phase.PARSE, Phase.CHECK, Phase.MATERIALS, Phase.CONFIG}
def test_goldens_cover_every_check_code() -> None:
    seen = set()
    for text in _expected_texts().values():
        seen.update(re.findall(r"  \[([a-z-]+)\]$", text, flags=re.MULTILINE))
    missing = sorted({c.value for c in Code if c.phase in CHECK_PHASES} - seen)
    assert missing == [], f"no golden case shows these codes: {missing}"


def test_every_golden_line_names_a_registered_code() -> None:
    for name, text in _expected_texts().items():
        for code in re.findall(r"  \[([a-z-]+)\]$", text, flags=re.MULTILINE):
            assert code in {c.value for c in Code}, f"{name}: unregistered code {code!r}"


def test_design_example_checks_clean() -> None:
    text = (CASES_DIR / "design_example" / "expected.txt").read_text("utf-8")
    assert text.startswith("exit: 0\n")
    assert "error" not in text.split("\n", 1)[1].replace("0 errors", "")
    assert "warning:" not in text


def test_design_example_is_verbatim() -> None:
    design = Path(__file__).parents[3] / "shared" / "DESIGN.md"  # CI puts shared/ beside the clone
    if not design.exists():
        pytest.skip("../shared/DESIGN.md is not beside the checkout (CI puts it there)")
    doc = design.read_text("utf-8")
    start = doc.index("```\n# specs/summarize_pr.routine") + 4
    spec = doc[start : doc.index("```", start)]
    case_spec = (CASES_DIR / "design_example" / "specs" / "summarize_pr.routine").read_text("utf-8")
    assert case_spec == spec


# ---- known bugs in src/ (kept failing, for the lead to fix)

_INT_ROUTINE = """\
routine r v1 {
  model "claude-haiku-4-5"
  max_tokens 100
  prompt \"\"\"{{ n }}\"\"\"
  input { n: int }
  output { a: string }
  test t {
    input { n: 5 }
  }
}
"""


def test_inline_integer_test_input_is_valid(tmp_path: Path) -> None:
    from tests.helpers import write_project

    root = write_project(tmp_path / "p", {"specs/r.routine": _INT_ROUTINE})
    result = invoke("check", cwd=root)
    assert result.code == 0, result.output
    assert "0 errors" in result.output


@pytest.mark.parametrize(
    "field",
    [
        'n: int = "x"',
        "labels: list[string] = 3",
        'risk: "low" | "high" = "medium"',
        'code: string (max_length 2) = "abcdef"',
    ],
)
def test_default_that_does_not_fit_its_type(tmp_path: Path, field: str) -> None:
    from tests.helpers import write_project

    name = field.split(":")[0]
    spec = (
        'routine r v1 {\n  model "claude-haiku-4-5"\n  max_tokens 100\n'
        f'  prompt """{{{{ {name} }}}}"""\n  input {{\n    {field}\n  }}\n  output {{ a: string }}\n}}\n'
    )
    root = write_project(tmp_path / "p", {"specs/r.routine": spec})
    result = invoke("check", cwd=root)
    assert result.code == 2, result.output
    assert re.search(
        r"^specs/r\.routine:6:\d+: error: .*  \[invalid-default\]$", result.output, re.M
    )
