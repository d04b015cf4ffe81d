"""fmt: golden pairs in tests/data/fmt (NAME.routine → NAME.expected.routine) and unit cases.

`ROUTINEC_UPDATE_GOLDEN=1 pytest tests/compiler/test_fmt.py` rewrites the expected files.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from routinec.compiler import ast
from routinec.compiler.fmt import WIDTH, format_text
from routinec.compiler.parse import parse_text
from routinec.diagnostics import DiagnosticError
from tests.helpers import DATA, UPDATE_GOLDEN

CASES = DATA / "fmt"
EXPECTED = ".expected.routine"
INPUTS = sorted(p for p in CASES.glob("*.routine") if not p.name.endswith(EXPECTED))


def _read(path: Path) -> str:
    return path.read_bytes().decode("utf-8")  # no newline translation: bytes are what fmt sees


def _expected_for(case: Path) -> Path:
    return case.with_name(case.name.removesuffix(".routine") + EXPECTED)


@pytest.mark.parametrize("case", INPUTS, ids=lambda p: p.name.removesuffix(".routine"))
def test_golden(case: Path) -> None:
    source = _read(case)
    got = format_text(source, case.name)
    expected_path = _expected_for(case)
    if UPDATE_GOLDEN:
        expected_path.write_bytes(got.encode("utf-8"))
    assert expected_path.exists(), f"no {expected_path.name}; run with ROUTINEC_UPDATE_GOLDEN=1"
    assert got == _read(expected_path)
    # The golden output is a fixed point and means what the input meant.
    assert format_text(got, case.name) == got
    assert ast.to_plain(parse_text(got, case.name).items) == ast.to_plain(
        parse_text(source, case.name).items
    )


def test_goldens_are_complete() -> None:
    assert len(INPUTS) >= 10
    orphans = [p.name for p in CASES.glob("*" + EXPECTED) if not p.with_name(
        p.name.removesuffix(EXPECTED) + ".routine").exists()]
    assert not orphans, f"expected files without an input: {orphans}"


def test_design_example_is_verbatim() -> None:
    design = Path(__file__).parents[3] / "shared" / "DESIGN.md"  # CI puts shared/ beside the clone
    if not design.exists():
        pytest.skip("../shared/DESIGN.md is not beside the checkout (CI puts it there)")
    text = design.read_text("utf-8")
    block = text[text.index("## The language") :].split("```")[1].removeprefix("\n")
    assert _read(CASES / "design_example.routine") == block


@pytest.mark.parametrize(
    ("number", "printed"),
    [
        ("0", "0"), ("-0", "0"), ("-0.000", "0"), ("0.50", "0.5"), ("1e3", "1000"),
        ("1E+16", "10000000000000000"), ("1.5e25", "1.5e25"), ("-2.50e2", "-250"),
        ("1.5e-30", "1.5e-30"), ("0.000001", "0.000001"), ("0.0000001", "1e-7"),
        ("01024", "1024"), ("123.4500", "123.45"), ("1e20", "100000000000000000000"),
        ("1e21", "1e21"), ("12345678901234567890123456789012345", "1.2345678901234567890123456789012345e34"),
    ],
)
def test_numbers_print_canonically(number: str, printed: str) -> None:
    out = format_text(f"type T {{ n: number = {number} }}\n", "n.routine")
    assert out == f"type T {{\n  n: number = {printed}\n}}\n"
    value = parse_text(out, "n.routine").items[0].fields[0].default
    assert value == Decimal(number)


@pytest.mark.parametrize(
    ("written", "printed"),
    [
        (r'"\u0041\/"', '"A/"'), (r'"\ud83d\ude00"', '"😀"'), (r'"\ud800"', r'"\ud800"'),
        ('"a\tb"', r'"a\tb"'), (r'"\u0000\u007f\u2029"', r'"\u0000\u007f\u2029"'),
        (r'"\"\\"', r'"\"\\"'), ('"é"', '"é"'),
    ],
)
def test_strings_are_reescaped(written: str, printed: str) -> None:
    out = format_text(f"routine r v1 {{ model {written} }}\n", "s.routine")
    assert out == f"routine r v1 {{\n  model {printed}\n}}\n"


@pytest.mark.parametrize(
    "text",
    [
        "routine r v1 { model \"a\" model \"b\" }\n",
        "routine r v1 { input { a: string } input { b: string } }\n",
        "routine r v1 { consumers [] consumers [a] }\n",
        "routine r v1 { test t { input file \"a.json\" input { a: 1 } } }\n",
        "routine r v1 { test t { compare { a: exact } compare { b: exact } } }\n",
        "consumer c { expects { a: string } expects { b: string } }\n",
        "consumer c { description \"a\" description \"b\" }\n",
    ],
)
def test_repeated_statements_are_refused(text: str) -> None:
    with pytest.raises(DiagnosticError) as info:
        format_text(text, "dup.routine")
    [diag] = info.value.diagnostics
    assert diag.code == "duplicate-statement"
    assert diag.span is not None and diag.span.line == 1 and diag.span.column > 1


def test_repeated_tests_are_fine() -> None:
    text = "routine r v1 {\n  test a {}\n  test b {}\n}\n"
    assert format_text(text, "t.routine") == text


@pytest.mark.parametrize("text", ["", "   \n\n\t", "\n"])
def test_empty_files_format_to_nothing(text: str) -> None:
    assert format_text(text, "e.routine") == ""


def test_syntax_errors_are_diagnostics() -> None:
    with pytest.raises(DiagnosticError) as info:
        format_text("routine r { }\n", "bad.routine")
    assert info.value.diagnostics[0].code == "syntax"


def test_crlf_line_endings_become_lf() -> None:
    text = "# c\r\ntype T {\r\n  a: string  # t\r\n}\r\n"
    assert format_text(text, "crlf.routine") == "# c\ntype T {\n  a: string  # t\n}\n"


def test_crlf_inside_triple_strings_is_kept() -> None:
    text = 'routine r v1 {\r\n  prompt """a\r\nb"""\r\n}\r\n'
    assert format_text(text, "crlf.routine") == 'routine r v1 {\n  prompt """a\r\nb"""\n}\n'


def test_width_limit_decides_folding() -> None:
    def spec(value: str) -> str:
        return f"routine r v1 {{\n  test t {{\n    input {{ a: \"{value}\" }}\n  }}\n}}\n"

    fits = "x" * (WIDTH - len('    input { a: "" }'))
    assert format_text(spec(fits), "w.routine") == spec(fits)
    folded = format_text(spec(fits + "x"), "w.routine")
    assert folded == (
        f'routine r v1 {{\n  test t {{\n    input {{\n      a: "{fits}x",\n    }}\n  }}\n}}\n'
    )
    assert format_text(folded, "w.routine") == folded


def test_a_comment_inside_a_short_object_unfolds_it() -> None:
    text = "routine r v1 { test t { input { a: 1, # why\n b: 2 } } }\n"
    assert format_text(text, "c.routine") == (
        "routine r v1 {\n  test t {\n    input {\n      a: 1,  # why\n      b: 2,\n    }\n  }\n}\n"
    )
