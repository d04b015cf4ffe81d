"""Shared helpers for the compat tests: corpus locations and a jsonschema validity check."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
JSONCOMPAT = REPO.parent / "shared" / "corpora" / "jsoncompat-backcompat"
OWN = REPO / "tests" / "data" / "compat"


def valid(schema: Any, value: Any) -> bool:
    from jsonschema.validators import Draft202012Validator, validator_for

    cls = validator_for(schema, default=Draft202012Validator)
    try:
        return bool(cls(schema).is_valid(value))
    except (RecursionError, re.error):
        # jsonschema loops on coinductive schemas such as {"allOf": [{"$ref": "#"}, ...]} and
        # cannot run ECMA-262 escapes like \\cC; the engine's validator handles both (it
        # assumes a recursive reference holds: the greatest fixpoint, as jsoncompat does)
        from routinec.compat.member import member3
        from routinec.compat.node import normalise

        return member3(value, normalise(schema, "schema")) is True


@pytest.fixture
def is_valid() -> Any:
    return valid
