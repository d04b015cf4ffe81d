"""Compiler pass 3: types, consumers and routines checked; each routine's model resolved and
its lifecycle judged as of `state.on`. Any error stops the build before lowering."""

from __future__ import annotations

from routinec.compiler.check import (
    check_consumer,
    check_python_names,
    check_routine,
    check_type,
    check_type_cycles,
)
from routinec.compiler.passes.state import BuildState
from routinec.modeltable import lifecycle_diagnostic

__all__ = ["check_specs"]


def check_specs(state: BuildState) -> None:
    project = state.project
    assert project is not None
    diags = state.diagnostics
    for decl_t in project.types.values():
        diags.extend(check_type(decl_t.node, project))
    diags.extend(check_type_cycles(project))
    for decl_c in project.consumers.values():
        diags.extend(check_consumer(decl_c.node, project))
    for name, decl in project.routines.items():
        model, found = check_routine(decl.node, project, state.resolve_model)
        diags.extend(found)
        if model is not None:
            state.models[name] = model
            setting = next(s for s in decl.node.settings if s.key == "model")
            state.model_spans[name] = setting.value_span
            said = lifecycle_diagnostic(name, model.id, model.lifecycle, model.retires_at, state.on, setting.value_span)
            if said is not None:
                diags.append(said)
                state.lifecycle.append(said)
    diags.extend(check_python_names(project))
    if state.has_errors():
        state.stop = True
