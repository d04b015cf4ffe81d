"""Bottom layer: the Python names the typed client (`routinec gen python`) gives spec names.

In: routine, type and field names. Out: the generated class and function names, and why a
name cannot be used in Python (a keyword; a name pydantic or the generated module already
owns). `compiler.check` refuses such names and `routinec.client` relies on that: one set of
rules for both, so a spec that checks always generates a module that imports.
"""

from __future__ import annotations

import keyword
from functools import lru_cache

__all__ = [
    "BASEMODEL_NAMES",
    "MODULE_NAMES",
    "RUNTIME_PARAM",
    "SHADOWED_BUILTINS",
    "class_name",
    "field_problem",
    "function_names",
    "input_class",
    "output_class",
]

# BaseModel's public attributes (pydantic 2): a field with one of these names shadows it.
BASEMODEL_NAMES = frozenset({
    "construct", "copy", "dict", "from_orm", "json", "parse_file", "parse_obj", "parse_raw",
    "schema", "schema_json", "update_forward_refs", "validate",
})
# Annotations in the generated classes name these; a field of the same name would shadow them
# for the fields after it.
SHADOWED_BUILTINS = frozenset({"str", "int", "float", "bool", "list"})
# Module-level names the generated module defines besides the routines' own.
MODULE_NAMES = frozenset({"default_runtime", "result_of"})
# The keyword argument every generated function takes besides the routine's inputs.
RUNTIME_PARAM = "runtime"


@lru_cache(maxsize=65536)
def class_name(name: str) -> str:
    """`summarize_pr` → `SummarizePr` (a type's name is used as written)."""
    return "".join(part[:1].upper() + part[1:] for part in name.split("_") if part) or name


@lru_cache(maxsize=65536)
def input_class(routine: str) -> str:
    return f"{class_name(routine)}Input"


@lru_cache(maxsize=65536)
def output_class(routine: str) -> str:
    return f"{class_name(routine)}Output"


@lru_cache(maxsize=65536)
def function_names(routine: str) -> tuple[str, str]:
    """The sync function and its async twin."""
    return routine, f"{routine}_async"


def field_problem(name: str, *, is_input: bool) -> str | None:
    """Why a field with this name cannot be a pydantic field (and function parameter), or None."""
    if keyword.iskeyword(name):
        return "is a Python keyword"
    if name.startswith("_"):
        return "starts with '_' (pydantic keeps such names private, not as fields)"
    if name.startswith("model_"):
        return "starts with 'model_', which pydantic reserves for its own methods"
    if name in BASEMODEL_NAMES:
        return f"shadows pydantic's BaseModel.{name}"
    if name in SHADOWED_BUILTINS:
        return f"shadows the builtin {name!r} the generated annotations use"
    if is_input and name == RUNTIME_PARAM:
        return "is the generated function's own 'runtime' parameter"
    return None
