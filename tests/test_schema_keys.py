"""routinec.schema_keys: a misspelt key behind real jsonschema errors."""

from __future__ import annotations

import jsonschema

from routinec.schema_keys import Misspelt, misspelt_keys

SCHEMA = {
    "type": "object",
    "properties": {
        "category": {"type": "string"},
        "summary": {"type": "string"},
        "files": {"type": "array", "items": {
            "type": "object", "properties": {"path": {"type": "string"}}, "required": ["path"], "additionalProperties": False,
        }},
    },
    "required": ["category"],
    "additionalProperties": False,
}


def _errors(value: object) -> list[jsonschema.ValidationError]:
    return list(jsonschema.Draft202012Validator(SCHEMA).iter_errors(value))


def test_a_misspelt_key_is_named_with_the_key_it_meant() -> None:
    slips = misspelt_keys(_errors({"categroy": "bug", "files": [{"paht": "a"}]}))
    assert slips == [Misspelt((), "categroy", "category"), Misspelt(("files", 0), "paht", "path")]
    assert slips[0].text() == "key 'categroy' is not in the schema; did you mean 'category'?"
    assert slips[1].text() == "key 'paht' at files/0 is not in the schema; did you mean 'path'?"


def test_an_unrelated_extra_key_has_no_guess_and_other_errors_none() -> None:
    assert misspelt_keys(_errors({"category": "bug", "zzz": 1})) == [Misspelt((), "zzz", None)]
    assert misspelt_keys(_errors({"category": 3})) == []
