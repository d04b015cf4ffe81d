"""Dialects: the same comparisons give the same verdicts in draft-04, -06, -07, 2019-09 and
2020-12 (declared with $schema, or inferred when that is unambiguous), and remote references
are reported, never fetched."""

from __future__ import annotations

import socket
from typing import Any

import pytest

from routinec.compat import Level, SchemaError, compare
from routinec.compat.dialect import DIALECTS
from tests.compat.dialects import BASE, DATA, render, to_dialect


def test_dialect_corpus_file_is_generated_from_the_base_cases() -> None:
    # regenerate with `python -m tests.compat.dialects`
    assert DATA.read_text(encoding="utf-8") == render()


def _verdict(old: Any, new: Any) -> tuple[str, str, str]:
    out, inp = compare(old, new, direction="out"), compare(old, new, direction="in")
    return (
        out.compatibility.value,
        (out.worst() or Level.INFO).value,
        (inp.worst() or Level.INFO).value,
    )


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("name", [case[0] for case in BASE])
def test_same_verdict_in_every_dialect(name: str, dialect: str) -> None:
    _, old, new, compat, out, in_, _, _ = next(case for case in BASE if case[0] == name)
    assert _verdict(to_dialect(old, dialect), to_dialect(new, dialect)) == (compat, out, in_)


@pytest.mark.parametrize("dialect", ["draft-04", "draft-07", "2020-12"])
def test_without_schema_keyword_the_dialect_is_inferred(dialect: str) -> None:
    name = "tuple-position-widened" if dialect != "draft-04" else "exclusive-maximum-added"
    _, old, new, compat, out, _, _, _ = next(case for case in BASE if case[0] == name)
    old, new = to_dialect(old, dialect), to_dialect(new, dialect)
    del old["$schema"], new["$schema"]
    report = compare(old, new, direction="out")
    assert (report.compatibility.value, (report.worst() or Level.INFO).value) == (compat, out)
    notes = [f for f in report.findings if f.rule_id == "dialect-assumed"]
    if dialect == "2020-12":
        assert notes == []  # nothing to infer: the default dialect
    else:
        assert notes and all(f.level is Level.INFO and dialect in f.message for f in notes)


def test_tuple_items_without_schema_is_no_longer_rejected() -> None:
    old = {"type": "array", "items": [{"type": "string"}, {"type": "integer"}]}
    new = {"type": "array", "items": [{"type": "string"}, {"type": "integer"}, {"type": "string"}]}
    report = compare(old, new, direction="in")
    assert any(f.rule_id == "dialect-assumed" for f in report.findings)


def test_mixed_dialect_keywords_without_schema_are_ambiguous() -> None:
    mixed = {"type": "array", "items": [{"type": "string"}], "prefixItems": [{"type": "string"}]}
    with pytest.raises(SchemaError, match="mixes"):
        compare(mixed, mixed)


def test_each_dialect_checks_against_its_own_meta_schema() -> None:
    tuple_07 = {"$schema": "http://json-schema.org/draft-07/schema#", "items": [{}]}
    compare(tuple_07, tuple_07)
    tuple_2020 = {"$schema": "https://json-schema.org/draft/2020-12/schema", "items": [{}]}
    with pytest.raises(SchemaError, match="not a valid JSON Schema"):
        compare(tuple_2020, tuple_2020)
    draft4_bool = {
        "$schema": "http://json-schema.org/draft-04/schema#",
        "maximum": 1,
        "exclusiveMaximum": True,
    }
    compare(draft4_bool, draft4_bool)


def test_unknown_schema_uri_is_assumed_2020_12() -> None:
    schema = {"$schema": "https://example.com/my-dialect", "type": "string"}
    report = compare(schema, {**schema, "maxLength": 3}, direction="in")
    assert any(f.rule_id == "dialect-assumed" and "2020-12" in f.message for f in report.findings)


def test_draft07_ref_siblings_are_ignored_as_the_draft_says() -> None:
    uri = "http://json-schema.org/draft-07/schema#"
    defs = {"A": {"type": "string"}}
    old = {"$schema": uri, "definitions": defs, "$ref": "#/definitions/A"}
    new = {"$schema": uri, "definitions": defs, "$ref": "#/definitions/A", "maxLength": 2}
    assert compare(old, new, direction="in").findings == []
    modern = {"definitions": defs, "$ref": "#/definitions/A", "maxLength": 2}
    assert not compare({**modern, "maxLength": 5}, modern, direction="in").ok


def test_draft04_id_is_an_annotation() -> None:
    uri = "http://json-schema.org/draft-04/schema#"
    old = {"$schema": uri, "id": "http://example.com/a", "type": "string"}
    new = {"$schema": uri, "id": "http://example.com/b", "type": "string"}
    assert compare(old, new).findings == []


@pytest.mark.parametrize(
    "ref",
    ["https://example.com/s.json", "http://example.com/s.json#/A", "urn:example:s", "other.json"],
)
def test_remote_and_file_refs_are_reported_and_never_fetched(
    monkeypatch: pytest.MonkeyPatch, ref: str
) -> None:
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the compat engine opened a socket")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    old = {"type": "object", "properties": {"a": {"type": "string"}}}
    new = {"type": "object", "properties": {"a": {"$ref": ref}}}
    for direction in ("out", "in"):
        report = compare(old, new, direction=direction)
        found = [f for f in report.findings if f.rule_id == "ref-unresolved"]
        assert found and found[0].level is Level.ERR, report.text_lines()
        assert found[0].path == "#/properties/a/$ref"
        assert ("never fetched" in found[0].message) == (":" in ref)
