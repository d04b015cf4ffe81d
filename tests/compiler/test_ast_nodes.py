"""AST nodes (`compiler.ast._node`) behave as the `@dataclass(frozen=True, slots=True)` they stand for."""

from __future__ import annotations

import copy
import dataclasses
import inspect
import pickle
from decimal import Decimal
from typing import Any

import pytest

from routinec.compiler import ast
from routinec.diagnostics import Span

NODES = [cls for name in ast.__all__ if dataclasses.is_dataclass(cls := getattr(ast, name)) and isinstance(cls, type)]
SPAN = Span("specs/a.routine", 1, 2, 3, 4)


def _twin(cls: type) -> type:
    """The same class as a plain frozen, slotted dataclass (same name, fields and defaults)."""
    spec = [
        (f.name, f.type) if f.default is dataclasses.MISSING else (f.name, f.type, dataclasses.field(default=f.default))
        for f in dataclasses.fields(cls)
    ]
    return dataclasses.make_dataclass(cls.__name__, spec, frozen=True, slots=True)


def _args(cls: type, salt: str) -> list[Any]:
    """Made-up field values (types do not matter to a dataclass); every third one a string
    that differs by `salt`, the first among them."""
    pool: list[Any] = [SPAN, Decimal(len(salt)), (salt,), None, True]
    return [f"{salt}{i}" if i % 3 == 0 else pool[i % len(pool)] for i in range(len(dataclasses.fields(cls)))]


def test_every_node_is_made_by_node() -> None:
    assert len(NODES) == 22
    assert all(cls.__init__.__qualname__ == f"{cls.__qualname__}.__init__" for cls in NODES)


@pytest.mark.parametrize("cls", NODES, ids=lambda c: c.__name__)
def test_a_node_equals_hashes_and_reads_as_its_dataclass_twin(cls: type) -> None:
    twin = _twin(cls)
    node, same, other = cls(*_args(cls, "a")), cls(*_args(cls, "a")), cls(*_args(cls, "xb"))
    ref, ref_other = twin(*_args(cls, "a")), twin(*_args(cls, "xb"))
    assert repr(node) == repr(ref) and repr(other) == repr(ref_other)
    assert node == same and node != other and hash(node) == hash(same) == hash(ref)
    assert (node == ref) is False  # another class, as between two dataclasses
    assert cls.__doc__ == twin.__doc__ or not cls.__doc__.startswith(f"{cls.__name__}(")  # or its own
    assert cls.__match_args__ == twin.__match_args__  # type: ignore[attr-defined]
    assert str(inspect.signature(cls)) == str(inspect.signature(twin))
    assert not hasattr(node, "__dict__")


@pytest.mark.parametrize("cls", NODES, ids=lambda c: c.__name__)
def test_a_node_is_frozen_and_copies_pickles_and_replaces_as_itself(cls: type) -> None:
    node = cls(*_args(cls, "a"))
    first = dataclasses.fields(cls)[0].name
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(node, first, "changed")
    with pytest.raises(dataclasses.FrozenInstanceError):
        delattr(node, first)
    assert pickle.loads(pickle.dumps(node)) == node
    assert copy.deepcopy(node) == node
    assert dataclasses.replace(node, **{first: "changed"}) == cls("changed", *_args(cls, "a")[1:])


def test_a_node_takes_defaults_and_keywords_and_refuses_missing_arguments() -> None:
    assert ast.Template("t", None, SPAN) == ast.Template(text="t", path=None, span=SPAN, text_line=0, triple=False)
    assert ast.File("p", ()).comments == ()
    with pytest.raises(TypeError, match="span"):
        ast.NamedType("x")  # type: ignore[call-arg]
