"""Compiler pass 3: types, consumers and routines checked; each routine's model resolved and
its lifecycle judged as of `state.on`. Any error stops the build before lowering.

What the check said is filed in the build cache (`cache.CheckRecord`) under the project's
interface digest (`check.project_interface`: everything a declaration's check reads from
other declarations). While that digest is the same, a declaration in a spec file whose bytes
are unchanged is not checked again: its findings are taken from the record (a routine's only
when its `model` resolves to the same model). Lifecycle findings depend on the date and are
always made afresh from the resolved model.
"""

from __future__ import annotations

from collections.abc import Sequence

from routinec.compiler.ast import Setting
from routinec.compiler.cache import CheckRecord, FileChecks
from routinec.compiler.check import (
    Resolver,
    check_consumer,
    check_python_names,
    check_routine,
    check_type,
    check_type_cycles,
    file_interface,
    project_interface,
)
from routinec.compiler.fork import split_run
from routinec.compiler.passes.state import BuildState
from routinec.diagnostics import Diagnostic
from routinec.modeltable import ModelInfo, lifecycle_diagnostic

__all__ = ["check_specs"]

# Below this many routines to check, a fork costs more than it saves.
PARALLEL_ROUTINES = 200


def check_specs(state: BuildState) -> None:
    project = state.project
    assert project is not None
    diags = state.diagnostics
    # A first build (no spec file came from the cache) has nothing to reuse: it files nothing
    # and spends nothing on interfaces; the next build does both.
    filing = state.cache.enabled and bool(state.records)
    last = state.cache.load_checks(state.config.root) if filing else None
    new = CheckRecord()
    for file in state.parsed if filing else ():
        rel = file.path
        mine = new.files[rel] = FileChecks(state.files.digest(rel))
        before = last.files.get(rel) if last is not None else None
        if rel not in state.interfaces:  # not in its spec record: the last check's, or made now
            known = before.interface if before is not None and before.digest == mine.digest else ""
            state.interfaces[rel] = known or file_interface(state.whole(file))
        mine.interface = state.interfaces[rel]
    new.interface = project_interface((rel, checks.interface) for rel, checks in new.files.items())
    old = last if last is not None and last.interface == new.interface else None
    rechecked = old is None

    def findings(path: str) -> tuple[FileChecks | None, FileChecks]:
        """The file's filed findings (None when its bytes changed) and the ones to file."""
        mine = new.files.get(path)
        if mine is None:
            mine = new.files[path] = FileChecks(state.files.digest(path))
        before = old.files.get(path) if old is not None else None
        return (before if before is not None and before.digest == mine.digest else None), mine

    for name, decl_t in project.types.items():
        before, mine = findings(decl_t.path)
        found: list[Diagnostic] | None = before.types.get(name) if before is not None else None
        if found is None:
            found, rechecked = check_type(decl_t.node, project, state.validated), True
        mine.types[name] = found
        diags.extend(found)
    new.cycles = old.cycles if old is not None else check_type_cycles(project)
    diags.extend(new.cycles)
    for name, decl_c in project.consumers.items():
        before, mine = findings(decl_c.path)
        found = before.consumers.get(name) if before is not None else None
        if found is None:
            found, rechecked = check_consumer(decl_c.node, project, state.validated), True
        mine.consumers[name] = found
        diags.extend(found)
    resolved: dict[str, tuple[ModelInfo | None, str]] = {}  # the model a name resolves to, its repr
    aliases: dict[str, str | None] = {}
    settings: dict[str, Setting | None] = {}  # each routine's `model` statement
    filed: dict[str, tuple[str | None, str, list[Diagnostic]]] = {}
    todo: list[str] = []
    for name, decl in project.routines.items():
        before, _ = findings(decl.path)
        setting = settings[name] = decl.head.model if decl.head is not None else decl.node.settings.get("model")
        alias = aliases[name] = None if setting is None else str(setting.value)
        shown = "None"
        if alias is not None:
            if alias not in resolved:  # here, not in a forked half: a resolver may ask the Models API
                info = state.resolve_model(alias)
                resolved[alias] = (info, repr(info))
            shown = resolved[alias][1]
        kept = before.routines.get(name) if before is not None else None
        if kept is not None and kept[0] == alias and kept[1] == shown:
            filed[name] = kept
        else:
            todo.append(name)

    def check_some(names: Sequence[str]) -> tuple[dict[str, tuple[ModelInfo | None, list[Diagnostic]]], set[bytes]]:
        out: dict[str, tuple[ModelInfo | None, list[Diagnostic]]] = {}
        for name in names:
            alias = aliases[name]
            model = resolved[alias][0] if alias is not None else None
            out[name] = check_routine(
                project.routines[name].node, project, _answers(state.resolve_model, alias, model), state.validated
            )
        return out, set(state.validated.added)  # (a forked half's new passes go back to the parent)

    checked: dict[str, tuple[ModelInfo | None, list[Diagnostic]]] = {}
    for some, added in split_run(check_some, todo, min_items=PARALLEL_ROUTINES):
        checked.update(some)
        state.validated.merge(added)
    rechecked = rechecked or bool(checked)
    for name, decl in project.routines.items():
        _, mine = findings(decl.path)
        alias = aliases[name]
        model, shown = resolved[alias] if alias is not None else (None, "None")
        if name in checked:
            model, found = checked[name]
        else:
            found = filed[name][2]
        mine.routines[name] = (alias, shown, found)
        diags.extend(found)
        setting = settings[name]
        if model is not None and setting is not None:
            state.models[name] = model
            state.model_spans[name] = setting.value_span
            said = lifecycle_diagnostic(name, model.id, model.lifecycle, model.retires_at, state.on, setting.value_span)
            if said is not None:
                diags.append(said)
                state.lifecycle.append(said)
    new.python_names = old.python_names if old is not None else check_python_names(project)
    diags.extend(new.python_names)
    if filing and (rechecked or last is not old) and not state.tainted:
        state.cache.store_checks(state.config.root, new)
    if state.has_errors():
        state.stop = True


def _answers(fallback: Resolver, alias: str | None, model: ModelInfo | None) -> Resolver:
    """`fallback`, except that `alias` resolves to what this build already resolved it to."""

    def resolve(name: str) -> ModelInfo | None:
        return model if name == alias else fallback(name)

    return resolve
