"""Compiler layer, resolve pass: parsed files → one project-wide symbol table.

In: `ast.File`s. Out: a `Project` mapping type, routine and consumer names to their
declarations, plus `duplicate-name` diagnostics for names declared twice (across files too).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from routinec.codes import Code
from routinec.compiler import ast
from routinec.diagnostics import Diagnostic, Severity, Span

__all__ = ["PRIMITIVES", "RESERVED", "Decl", "Project", "resolve"]

PRIMITIVES = {"string": "string", "int": "integer", "number": "number", "bool": "boolean"}
RESERVED = frozenset(PRIMITIVES) | {"list"}

N = TypeVar("N")


@dataclass(frozen=True)
class Decl(Generic[N]):
    node: N
    path: str


@dataclass
class Project:
    files: dict[str, ast.File] = field(default_factory=dict)
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


def resolve(files: Iterable[ast.File]) -> tuple[Project, list[Diagnostic]]:
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
            elif isinstance(item, ast.RoutineDef):
                table_r = project.routines
                if item.name in table_r:
                    first = table_r[item.name].node.name_span
                    diags.append(_duplicate("routine", item.name, item.name_span, first))
                else:
                    table_r[item.name] = Decl(item, file.path)
            else:
                table_c = project.consumers
                if item.name in table_c:
                    first = table_c[item.name].node.name_span
                    diags.append(_duplicate("consumer", item.name, item.name_span, first))
                else:
                    table_c[item.name] = Decl(item, file.path)
    return project, diags
