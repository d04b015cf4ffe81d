"""Compiler pass 1: spec files on disk → `ast.File`s (from the build cache when the bytes match).

Big projects parse their cache misses in two processes (Lark is pure Python).
"""

from __future__ import annotations

from collections.abc import Sequence

from routinec.codes import Code
from routinec.compiler import ast, spec_secrets
from routinec.compiler.fork import split_run
from routinec.compiler.parse import parse_file
from routinec.compiler.passes.state import BuildState
from routinec.diagnostics import Diagnostic, DiagnosticError, Severity, Span

__all__ = ["PARALLEL_FILES", "parse_specs"]

# Below this many files to parse, a fork costs more than it saves.
PARALLEL_FILES = 24


def _parse_some(items: Sequence[tuple[str, bytes]]) -> tuple[list[ast.File], list[Diagnostic]]:
    parsed: list[ast.File] = []
    diags: list[Diagnostic] = []
    for rel, data in items:
        # Whole-file secret scan here, on cache misses only: a record is written only for a
        # spec without one, so a spec read from the cache is clean (spec_secrets.RecordScreen).
        diags.extend(spec_secrets.in_spec_file(data.decode("utf-8", "replace"), rel))
        try:
            parsed.append(parse_file(data, rel))
        except DiagnosticError as exc:
            diags.extend(exc.diagnostics)
        except RecursionError:
            diags.append(Diagnostic(Code.SYNTAX, Severity.ERROR, "the spec nests too deeply to parse", Span(rel)))
    return parsed, diags


def _warm() -> None:
    """While the forked half parses and pickles its files (the slower half: it sends them),
    import what checking and lowering that many new files will need: jsonschema validates
    field defaults and test inputs not known to pass (`values.Validated`), ~40 ms that would
    otherwise be spent with the other core idle."""
    import jsonschema  # noqa: F401


def parse_specs(state: BuildState) -> None:
    root = state.config.root
    todo: list[tuple[str, bytes]] = []
    found: dict[str, ast.File | ast.FileHead] = {}
    for rel in state.paths:
        try:
            data = (root / rel).read_bytes()
        except OSError as exc:
            state.diagnostics.append(
                Diagnostic(Code.MISSING_FILE, Severity.ERROR, f"cannot read spec: {exc.strerror}", Span(rel))
            )
            continue
        state.spec_bytes[rel] = data
        state.files.remember(rel, data)
        record = state.cache.load(rel, data)
        if record is not None:  # its routines are read when needed (`state.load_routine`)
            state.records[rel] = record
            found[rel] = record.head
            if isinstance(record.interface, str) and record.interface:
                state.interfaces[rel] = record.interface
        else:
            todo.append((rel, data))
    for some, diags in split_run(_parse_some, todo, min_items=PARALLEL_FILES, meanwhile=_warm):
        for file in some:
            found[file.path] = file
        state.diagnostics.extend(diags)
        state.tainted.update(d.span.path for d in diags if d.code is Code.SECRET_IN_SPEC and d.span is not None)
    state.parsed = [found[rel] for rel in state.paths if rel in found]
