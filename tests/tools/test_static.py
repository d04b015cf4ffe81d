"""Static resolution of tool entry points and signature-derived schemas (no import)."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

from routinec.compiler.tools import _locate, schema_disagreement, signature_schema


def _schema(source: str, name: str = "f") -> tuple[dict | None, str | None]:
    tree = ast.parse(source)
    aliases = {
        s.targets[0].id: s.value for s in tree.body
        if isinstance(s, ast.Assign) and isinstance(s.targets[0], ast.Name)
    }
    fn = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == name)
    return signature_schema(fn, aliases)


def test_annotations_map_to_json_schema() -> None:
    schema, why = _schema(
        "from typing import Literal, Optional, Annotated\n"
        "Kind = Literal['a', 'b']\n"
        "def f(q: str, n: int = 3, x: float | None = None, tags: list[str] = [], k: Kind = 'a',\n"
        "      o: Optional[bool] = None, m: dict = {}, an: Annotated[int, 'doc'] = 0, *, kw: 'str') -> None: ...\n"
    )
    assert why is None and schema is not None
    props = schema["properties"]
    assert props["q"] == {"type": "string"} and props["n"] == {"type": "integer"}
    assert props["x"] == {"type": "number"} and props["tags"] == {"type": "array", "items": {"type": "string"}}
    assert props["k"] == {"type": "string", "enum": ["a", "b"]} and props["o"] == {"type": "boolean"}
    assert props["m"] == {"type": "object"} and props["an"] == {"type": "integer"} and props["kw"] == {"type": "string"}
    assert schema["required"] == ["q", "kw"]


@pytest.mark.parametrize(
    ("source", "why"),
    [
        ("def f(*args): ...", "*args or **kwargs"),
        ("def f(a, /): ...", "positional-only"),
        ("def f(a): ...", "parameter 'a' has no annotation"),
        ("def f(a: set[int]): ...", "annotated 'set[int]'"),
    ],
)
def test_underivable_signatures_say_why(source: str, why: str) -> None:
    schema, reason = _schema(source)
    assert schema is None and reason is not None and why in reason


def test_disagreements_are_named() -> None:
    declared = {"properties": {"a": {"type": "string"}, "b": {"type": "integer"}}, "required": ["a", "b"]}
    derived = {"properties": {"a": {"type": "string"}, "c": {"type": "string"}}, "required": ["a"]}
    assert schema_disagreement(declared, derived) == [
        "'b' is in the input block but not in the signature",
        "'c' is in the signature but not in the input block",
    ]
    assert schema_disagreement(declared, {"properties": {"a": {"type": "string"}, "b": {"type": "integer"}}, "required": ["a"]}) == [
        "'b' is required only in the input block"
    ]


def test_locate_walks_packages_without_importing(tmp_path: Path) -> None:
    pkg = tmp_path / "pkg_never_imported"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("raise SystemExit('imported')\n")
    (pkg / "sub" / "__init__.py").write_text("")
    (pkg / "sub" / "mod.py").write_text("def f(x: int): ...\n")
    (tmp_path / "ns_only" / "inner").mkdir(parents=True)
    (tmp_path / "ns_only" / "inner" / "tools.py").write_text("def g(): ...\n")
    roots = [str(tmp_path)]
    found = _locate("pkg_never_imported.sub.mod", roots)
    assert isinstance(found, tuple) and found[1] == "pkg_never_imported/sub/mod.py"
    assert "pkg_never_imported" not in sys.modules
    ns = _locate("ns_only.inner.tools", roots)
    assert isinstance(ns, tuple) and ns[1] == "ns_only/inner/tools.py"
    assert _locate("pkg_never_imported.nope", roots) == "pkg_never_imported.nope"
    assert _locate("pkg_never_imported.sub.mod.deeper", roots) == "pkg_never_imported.sub.mod.deeper"
    assert _locate("ns_only", roots) == "ns_only"  # a namespace package has no source
    found = _locate("pkg_never_imported", roots)
    assert isinstance(found, tuple) and found[1] == "pkg_never_imported/__init__.py"
