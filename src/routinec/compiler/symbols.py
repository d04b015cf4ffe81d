"""Compiler layer, resolve pass: parsed files → one project-wide symbol table.

In: `ast.File`s. Out: a `Project` mapping type, routine and consumer names to their
declarations, plus `duplicate-name` diagnostics for names declared twice (across files too).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import partial
from typing import Generic, TypeVar

from routinec.codes import Code
from routinec.compiler import ast
from routinec.diagnostics import Diagnostic, Severity, Span

__all__ = ["PRIMITIVES", "RESERVED", "Decl", "Project", "resolve"]

PRIMITIVES = {"string": "string", "int": "integer", "number": "number", "bool": "boolean"}
RESERVED = frozenset(PRIMITIVES) | {"list"}

N = TypeVar("N")


class Decl(Generic[N]):
    """A declaration and the spec file it is in. A routine of a spec file that came from the
    build cache has its node read from the cache on first use (`later`); until then `head`
    says what the build reads without it (its name, spans and `model` statement)."""

    __slots__ = ("_load", "_node", "head", "path")

    def __init__(self, node: N, path: str) -> None:
        self._node: N | None = node
        self._load: Callable[[], N] | None = None
        self.head: ast.RoutineHead | None = None
        self.path = path

    @classmethod
    def later(cls, load: Callable[[], N], path: str, head: ast.RoutineHead) -> Decl[N]:
        decl: Decl[N] = cls.__new__(cls)
        decl._node, decl._load, decl.head, decl.path = None, load, head, path
        return decl

    @property
    def node(self) -> N:
        if self._node is None:
            assert self._load is not None
            self._node, self._load = self._load(), None
        return self._node

    @property
    def loaded(self) -> bool:
        return self._node is not None


@dataclass
class Project:
    files: dict[str, ast.File | ast.FileHead] = field(default_factory=dict)
    types: dict[str, Decl[ast.TypeDef]] = field(default_factory=dict)
    routines: dict[str, Decl[ast.RoutineDef]] = field(default_factory=dict)
    consumers: dict[str, Decl[ast.ConsumerDef]] = field(default_factory=dict)


def _where(span: Span) -> str:
    return f"{span.path}:{span.line}:{span.column}"


def _duplicate(kind: str, name: str, span: Span, first: Span) -> Diagnostic:
    return Diagnostic(
        Code.DUPLICATE_NAME,
        Severity.ERROR,
        f"{kind} {name!r} is declared twice",
        span,
        "rename one of them; names are project-wide, across all .routine files",
        (f"first declared at {_where(first)}",),
    )


def resolve(
    files: Iterable[ast.File | ast.FileHead], load: Callable[[str, int], ast.RoutineDef] | None = None
) -> tuple[Project, list[Diagnostic]]:
    """`load(path, index)`: the routine a `FileHead`'s `RoutineHead` stands for."""
    project = Project()
    diags: list[Diagnostic] = []
    for file in sorted(files, key=lambda f: f.path):
        project.files[file.path] = file
        for item in file.items:
            if isinstance(item, ast.TypeDef):
                table_t = project.types
                if item.name in RESERVED:
                    diags.append(
                        Diagnostic(
                            Code.DUPLICATE_NAME,
                            Severity.ERROR,
                            f"type {item.name!r} shadows a built-in type",
                            item.span,
                            "built-in types are string, int, number, bool and list[T]",
                        )
                    )
                elif item.name in table_t:
                    diags.append(_duplicate("type", item.name, item.span, table_t[item.name].node.span))
                else:
                    table_t[item.name] = Decl(item, file.path)
            elif isinstance(item, ast.RoutineDef | ast.RoutineHead):
                table_r = project.routines
                if item.name in table_r:
                    taken = table_r[item.name]
                    first = taken.head.name_span if taken.head is not None else taken.node.name_span
                    diags.append(_duplicate("routine", item.name, item.name_span, first))
                elif isinstance(item, ast.RoutineDef):
                    table_r[item.name] = Decl(item, file.path)
                else:
                    assert load is not None, "a FileHead needs a loader"
                    table_r[item.name] = Decl.later(partial(load, file.path, item.index), file.path, item)
            else:
                table_c = project.consumers
                if item.name in table_c:
                    first = table_c[item.name].node.name_span
                    diags.append(_duplicate("consumer", item.name, item.name_span, first))
                else:
                    table_c[item.name] = Decl(item, file.path)
    return project, diags
