"""Compiler pass 4: each routine's materials (templates, test inputs, consumer schemas)
gathered and lowered to its lock entry.

An entry (and its warnings) is taken from the spec file's cache record instead when the
routine's model resolved the same and every file it was built from still hashes the same;
the rest are lowered, in two processes for big projects, and each process rewrites the
records of the spec files it lowered (a record pickled straight to disk, not across the fork).
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from itertools import accumulate
from typing import Any

from routinec.compiler import ast
from routinec.compiler.cache import SpecRecord
from routinec.compiler.files import ProjectFiles
from routinec.compiler.fork import split_run
from routinec.compiler.lower import consumer_schema, lower_routine, routine_schema, type_names
from routinec.compiler.materials import gather
from routinec.compiler.passes.state import BuildState
from routinec.compiler.spec_secrets import RecordScreen
from routinec.compiler.symbols import Project
from routinec.compiler.tools import import_roots, lower_triggers, resolve_tools
from routinec.compiler.values import Validated
from routinec.diagnostics import Severity
from routinec.lockfile import LockEntry, entry_text
from routinec.modeltable import ModelInfo

__all__ = ["PARALLEL_ROUTINES", "lower_routines"]

# Below this many spec files to file in the cache, a fork costs more than it saves.
PARALLEL_RECORDS = 16
# Below this many routines to lower, a fork costs more than it saves.
PARALLEL_ROUTINES = 200

Lowered = dict[str, dict[str, Any]]  # routine name → {"sources", "entry" (None on error), "diagnostics"}


def _lower_some(
    names: Sequence[str],
    project: Project,
    models: dict[str, ModelInfo],
    consumer_schemas: dict[str, dict[str, Any]],
    files: ProjectFiles,
    validated: Validated,
) -> Lowered:
    out: Lowered = {}
    roots = import_roots(files.root)
    for name in names:
        routine = project.routines[name].node
        input_schema = routine_schema(routine.inputs, project)
        mats = gather(routine, input_schema, consumer_schemas, files, validated)
        tool_mats = resolve_tools(routine, project, roots, files.root)
        mats.diagnostics.extend(tool_mats.diagnostics)
        if any(d.severity is Severity.ERROR for d in mats.diagnostics):
            out[name] = {"sources": {}, "entry": None, "diagnostics": mats.diagnostics}
            continue
        used = {routine.span.path} | mats.used_files | tool_mats.used_files
        used.update(project.types[t].path for t in type_names(routine.inputs, project))
        used.update(project.types[t].path for t in type_names(routine.outputs, project))
        for ref in routine.consumers:
            if not ref.is_file and ref.name in project.consumers:
                consumer = project.consumers[ref.name]
                used.add(consumer.path)
                used.update(project.types[t].path for t in type_names(consumer.node.expects, project))
        used.update(link for link, target in files.links.items() if target in used)
        sources = {rel: files.digest(rel) for rel in sorted(used)}
        entry = lower_routine(
            routine, project, models[name], mats.prompt, mats.tests, mats.consumers, sources,
            tools=tool_mats.tools, triggers=lower_triggers(routine),
        )
        # Its lockfile text too, made here (in both workers) and kept in the cache with it.
        out[name] = {"sources": sources, "entry": entry, "diagnostics": mats.diagnostics, "text": entry_text(name, entry)}
    return out


def _still_valid(cached: dict[str, Any] | None, model: ModelInfo, files: ProjectFiles) -> bool:
    if not isinstance(cached, dict) or cached.get("model") != repr(model):
        return False
    sources = cached.get("sources")
    if not isinstance(sources, dict) or not sources or not isinstance(cached.get("entry"), LockEntry):
        return False
    for rel, expected in sources.items():
        try:
            if files.digest(rel) != expected:
                return False
        except OSError:
            return False
    return isinstance(cached.get("diagnostics"), list)


def lower_routines(state: BuildState) -> None:
    project = state.project
    assert project is not None
    files = state.files
    by_file: dict[str, list[str]] = {}
    for name in sorted(project.routines):
        by_file.setdefault(project.routines[name].path, []).append(name)
    done: Lowered = {}
    todo: dict[str, list[str]] = {}  # spec path → its routines to lower
    for rel, names in by_file.items():
        record = state.records.get(rel)
        for name in names:
            cached = record.lowered.get(name) if record is not None else None
            if cached is not None and _still_valid(cached, state.models[name], files):
                done[name] = cached
            else:
                todo.setdefault(rel, []).append(name)
    # The spec files whose record is (re)written: each parsed one, and each with a routine to lower.
    filing = state.cache.enabled
    units = [
        file.path for file in state.parsed
        if file.path in todo or (filing and isinstance(file, ast.File) and file.path not in state.records)
    ]
    if units:
        consumer_schemas = {n: consumer_schema(d.node, project) for n, d in project.consumers.items()}
        screen = RecordScreen(state.tainted)
        parsed = {file.path: file for file in state.parsed}

        def job(rels: Sequence[str]) -> tuple[Lowered, set[bytes]]:
            # Each worker lowers the routines of its spec files and files their records itself:
            # the records (AST and entries) are pickled once, to disk, never across the fork.
            names = [name for rel in rels for name in todo.get(rel, ())]
            lowered = _lower_some(names, project, state.models, consumer_schemas, files, state.validated)
            for name, item in lowered.items():
                item["model"] = repr(state.models[name])
            if filing:
                for rel in rels:
                    _remember(state, parsed[rel], by_file.get(rel, []), done, lowered, screen)
            return lowered, set(state.validated.added)  # (a forked half's new passes go back to the parent)

        if sum(map(len, todo.values())) >= PARALLEL_ROUTINES or (filing and len(units) >= PARALLEL_RECORDS):
            # Halves of about equal work (a spec file costs its routines to lower, or one to
            # file), the parent's a little bigger: the child also pickles its half back (~3%).
            ends = list(accumulate(max(1, len(todo.get(rel, ()))) for rel in units))
            parts = split_run(job, units, min_items=2, at=bisect_left(ends, ends[-1] * 0.51) + 1)
        else:
            parts = [job(units)]
        for some, added in parts:
            done.update(some)
            state.validated.merge(added)
    for name in sorted(done):
        item = done[name]
        state.diagnostics.extend(item["diagnostics"])
        if item["entry"] is not None:
            state.entries[name] = item["entry"]
            state.sources.update(item["sources"])
            if isinstance(item.get("text"), str):
                state.texts[name] = (item["entry"], item["text"])


def _remember(
    state: BuildState, file: ast.File | ast.FileHead, names: list[str], done: Lowered, fresh: Lowered,
    screen: RecordScreen,
) -> None:
    """Write a spec file's record: its AST (as parsed, or as the cache held it) and the lock
    entries of its routines (`fresh` ones just lowered, the rest from `done`)."""
    rel = file.path
    lowered = {n: item for n in names if (item := fresh.get(n) or done.get(n)) is not None and item["entry"] is not None}
    old = state.records.get(rel)
    interface = state.interfaces.get(rel, "")
    if old is not None:  # from the cache: its AST as stored, without reading it
        record = SpecRecord(None, lowered, interface, old.head, old.rest)
    elif isinstance(file, ast.File):
        record = SpecRecord(file, lowered, interface)
    else:
        return
    if screen.clean(rel, record.lowered.values()):
        state.cache.store(rel, state.spec_bytes[rel], record, proven_clean=True)


def remember_parsed(state: BuildState) -> None:
    """After an error stops the build: keep the parsed ASTs (no entries) for next time."""
    if not state.cache.enabled:
        return
    for file in state.parsed:
        if (
            isinstance(file, ast.File) and file.path not in state.records
            and file.path in state.spec_bytes and file.path not in state.tainted
        ):
            state.cache.store(file.path, state.spec_bytes[file.path], SpecRecord(file, {}, state.interfaces.get(file.path, "")))
