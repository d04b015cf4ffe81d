"""Compiler pass 4: each routine's materials (templates, test inputs, consumer schemas)
gathered and lowered to its lock entry.

An entry (and its warnings) is taken from the spec file's cache record instead when the
routine's model resolved the same and every file it was built from still hashes the same;
the rest are lowered, in two processes for big projects, and the records rewritten.
"""

from __future__ import annotations

from collections.abc import Sequence
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
    done: Lowered = {}
    todo: list[str] = []
    for name in sorted(project.routines):
        record = state.records.get(project.routines[name].path)
        cached = record.lowered.get(name) if record is not None else None
        if cached is not None and _still_valid(cached, state.models[name], files):
            done[name] = cached
        else:
            todo.append(name)
    if todo:
        consumer_schemas = {n: consumer_schema(d.node, project) for n, d in project.consumers.items()}

        def job(names: Sequence[str]) -> Lowered:
            # (A forked half's new passes stay in that process: the memo is only a shortcut.)
            return _lower_some(names, project, state.models, consumer_schemas, files, state.validated)

        fresh: Lowered = {}
        for some in split_run(job, todo, min_items=PARALLEL_ROUTINES):
            fresh.update(some)
        for name, item in fresh.items():
            item["model"] = repr(state.models[name])
        done.update(fresh)
    for name in sorted(done):
        item = done[name]
        state.diagnostics.extend(item["diagnostics"])
        if item["entry"] is not None:
            state.entries[name] = item["entry"]
            state.sources.update(item["sources"])
            if isinstance(item.get("text"), str):
                state.texts[name] = (item["entry"], item["text"])
    _remember(state, done, set(todo))


def _remember(state: BuildState, done: Lowered, changed: set[str]) -> None:
    """Rewrite the record of every spec file that was parsed or has a newly lowered routine."""
    if not state.cache.enabled or state.project is None:
        return
    by_file: dict[str, list[str]] = {}
    for name, decl in state.project.routines.items():
        by_file.setdefault(decl.path, []).append(name)
    jobs: list[tuple[str, SpecRecord]] = []
    for file in state.parsed:
        rel = file.path
        names = by_file.get(rel, [])
        old = state.records.get(rel)
        if old is not None and not changed.intersection(names):
            continue
        lowered = {n: done[n] for n in names if n in done and done[n]["entry"] is not None}
        interface = state.interfaces.get(rel, "")
        if old is not None:  # from the cache: its AST as stored, without reading it
            jobs.append((rel, SpecRecord(None, lowered, interface, old.head, old.rest)))
        elif isinstance(file, ast.File):
            jobs.append((rel, SpecRecord(file, lowered, interface)))
    cache, spec_bytes = state.cache, state.spec_bytes
    screen = RecordScreen(state.tainted)

    def store(some: Sequence[tuple[str, SpecRecord]]) -> None:
        for rel, record in some:
            if screen.clean(rel, record.lowered.values()):
                cache.store(rel, spec_bytes[rel], record, proven_clean=True)

    # Pickling costs a third of lowering: both halves.
    split_run(store, jobs, min_items=PARALLEL_RECORDS)


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
