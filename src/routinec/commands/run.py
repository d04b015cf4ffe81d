"""Command layer: `routinec run NAME`, one routine run live on inputs from a file, stdin or a
GitHub event payload (what the generated workflows call).

In: the routine's name and raw inputs (JSON text, or an event payload). Out: the `Result`.
An event payload gives the routine the inputs it declares, looked up in order in the
dispatch inputs (`inputs.inputs`, a JSON object as text), then the event's `pull_request` or
`issue` object, then the payload's top level.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from routinec.codes import Code
from routinec.config import Config
from routinec.diagnostics import Diagnostic, DiagnosticError, Severity, Span

if TYPE_CHECKING:
    from routinec.runtime.core import Result

__all__ = ["event_inputs", "parse_inputs", "run_routine"]


def _bad(message: str, where: str | None, hint: str) -> DiagnosticError:
    return DiagnosticError([Diagnostic(Code.INVALID_INPUT, Severity.ERROR, message, Span(where) if where else None, hint)])


def parse_inputs(text: str, where: str) -> Any:
    try:
        return json.loads(text)
    except ValueError as exc:
        raise _bad(f"the inputs in {where} are not JSON: {exc}", where, "give a JSON object of the routine's inputs") from None


def event_inputs(payload: Any, names: list[str], where: str) -> dict[str, Any]:
    if not isinstance(payload, dict):
        raise _bad(f"the event payload in {where} is not a JSON object", where, "pass the file GitHub names in $GITHUB_EVENT_PATH")
    layers: list[dict[str, Any]] = []
    dispatch = payload.get("inputs")
    if isinstance(dispatch, dict) and isinstance(dispatch.get("inputs"), str) and dispatch["inputs"].strip():
        given = parse_inputs(dispatch["inputs"], f"{where} (inputs.inputs)")
        if not isinstance(given, dict):
            raise _bad("the dispatch inputs are not a JSON object", where, 'e.g. {"title": "…"}')
        layers.append(given)
    for key in ("pull_request", "issue"):
        if isinstance(payload.get(key), dict):
            layers.append(payload[key])
    layers.append(payload)
    out: dict[str, Any] = {}
    for name in names:
        for layer in layers:
            if name in layer:
                out[name] = layer[name]
                break
    return out


def run_routine(config: Config, name: str, inputs: Any, *, allow_writes: bool = False) -> Result:
    from routinec.runtime.core import Runtime

    runtime = Runtime(config=config, mode="live", allow_writes=allow_writes)
    return runtime.run(name, inputs)
