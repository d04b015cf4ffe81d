"""Bottom layer: OpenTelemetry spans for model calls and events for outcomes (`routinec[otel]`).

In: plain values from the runtime (routine, pinned model, locked parameters, the response)
and from the ledger (an outcome and the run it judges). Out: a CLIENT span `chat {model}` per
live or record run with the GenAI semantic-convention attributes, and a
`gen_ai.evaluation.result` event per outcome, on a short span parented to (and linked to)
the run's span when this process made the run; otherwise tied to it by `routinec.run_id`
and `gen_ai.response.id`, as the conventions ask when the span is not at hand.

The only module that touches `opentelemetry`, and it never imports it: it uses the API only
when the application already has (`"opentelemetry.trace" in sys.modules`) and has set a
tracer provider. Without the extra, or without a provider, each call is a dict lookup and
returns None. It sits at the bottom so the runtime (spans) and the ledger (outcome events)
can both use it. No prompt, input or output text ever goes into a span: digests and ids only.
"""

from __future__ import annotations

import sys
import threading
from collections import OrderedDict
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

__all__ = ["RunSpan", "enabled", "evaluation_event", "run_span"]

_NAME = "routinec"
# lock key → attribute (gen_ai.request.* where the conventions name one)
_PARAMS = {
    "temperature": "gen_ai.request.temperature",
    "top_p": "gen_ai.request.top_p",
    "top_k": "gen_ai.request.top_k",
    "max_tokens": "gen_ai.request.max_tokens",
    "stop_sequences": "gen_ai.request.stop_sequences",
    "effort": "routinec.request.effort",
    "thinking_budget": "routinec.request.thinking_budget",
}
# run_id → the run span's SpanContext, for outcomes recorded by the process that ran it.
_RECENT: OrderedDict[str, Any] = OrderedDict()
_RECENT_MAX = 4096
_RECENT_GUARD = threading.Lock()


def _api() -> Any:
    """`opentelemetry.trace` when the application loaded it and set a real provider; else None."""
    trace = sys.modules.get("opentelemetry.trace")
    if trace is None:
        return None
    provider = trace.get_tracer_provider()
    if isinstance(provider, trace.ProxyTracerProvider | trace.NoOpTracerProvider):
        return None
    return trace


def enabled() -> bool:
    """Whether spans would be recorded now (a dict lookup when OpenTelemetry is not loaded)."""
    return _api() is not None


def _value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, list | tuple):
        return [str(v) for v in value]
    return value


def _version() -> str:
    from routinec import __version__

    return __version__


class RunSpan:
    """One run's span, current while the run goes (HTTP spans of an instrumented client nest
    under it). `response` and `finish` are called by the runtime's `Session.run`."""

    __slots__ = ("_api", "_run_id", "_span", "_token")

    def __init__(self, api: Any, span: Any, run_id: str | None) -> None:
        from opentelemetry import context

        self._api, self._span, self._run_id = api, span, run_id
        self._token = context.attach(api.set_span_in_context(span))

    def response(self, body: Any) -> None:
        try:
            self._response(body)
        except Exception:  # telemetry never costs a run its answer
            return

    def _response(self, body: Any) -> None:
        if not isinstance(body, Mapping):
            return
        usage = body.get("usage") if isinstance(body.get("usage"), Mapping) else {}
        assert isinstance(usage, Mapping)
        attributes = {
            "gen_ai.response.model": body.get("model"),
            "gen_ai.response.id": body.get("id"),
            "gen_ai.response.finish_reasons": [body["stop_reason"]] if isinstance(body.get("stop_reason"), str) else None,
            "gen_ai.usage.input_tokens": usage.get("input_tokens"),
            "gen_ai.usage.output_tokens": usage.get("output_tokens"),
            "gen_ai.usage.cache_read.input_tokens": usage.get("cache_read_input_tokens"),
            "gen_ai.usage.cache_creation.input_tokens": usage.get("cache_creation_input_tokens"),
        }
        for key, value in attributes.items():
            if isinstance(value, str | list) or (isinstance(value, int) and not isinstance(value, bool)):
                self._span.set_attribute(key, value)

    def finish(self, error: BaseException | None = None, *, code: str | None = None) -> None:
        """End the span; on failure `error.type` is the routinec code (`api-error`,
        `invalid-output`, …) or the exception's class, and the status is ERROR."""
        from opentelemetry import context

        try:
            if error is not None:
                kind = code or type(error).__qualname__
                self._span.set_attribute("error.type", kind)
                self._span.set_status(self._api.Status(self._api.StatusCode.ERROR, kind))
            if self._run_id is not None:
                with _RECENT_GUARD:
                    _RECENT[self._run_id] = self._span.get_span_context()
                    while len(_RECENT) > _RECENT_MAX:
                        _RECENT.popitem(last=False)
        finally:
            self._span.end()
            context.detach(self._token)


def run_span(
    *, routine: str, version: int, entry_hash: str, model: str, params: Mapping[str, Any],
    run_id: str | None, mode: str, case: str | None,
) -> RunSpan | None:
    """Start the CLIENT span of one model call, or None when no tracer provider is set."""
    api = _api()
    if api is None:
        return None
    attributes: dict[str, Any] = {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "anthropic",
        "gen_ai.request.model": model,
        "routinec.routine": routine,
        "routinec.version": version,
        "routinec.entry_hash": entry_hash,
        "routinec.mode": mode,
    }
    if run_id is not None:
        attributes["routinec.run_id"] = run_id
    if case is not None:
        attributes["routinec.case"] = case
    for key, name in _PARAMS.items():
        if params.get(key) is not None:
            attributes[name] = _value(params[key])
    tracer = api.get_tracer(_NAME, _version())
    span = tracer.start_span(f"chat {model}", kind=api.SpanKind.CLIENT, attributes=attributes)
    return RunSpan(api, span, run_id)


def evaluation_event(
    *, run_id: str, routine: str, version: int, response_id: str | None, verdict: str, source: str,
    outcome_id: str, overrides: str | None, fields_changed: int | None,
) -> bool:
    """Emit a `gen_ai.evaluation.result` event for one outcome; False when telemetry is off."""
    api = _api()
    if api is None:
        return False
    run_context = None
    with _RECENT_GUARD:
        run_context = _RECENT.get(run_id)
    links = [api.Link(run_context, {"routinec.link": "evaluated-run"})] if run_context is not None else []
    parent = api.set_span_in_context(api.NonRecordingSpan(run_context)) if run_context is not None else None
    common: dict[str, Any] = {"routinec.run_id": run_id, "routinec.routine": routine, "routinec.version": version}
    if response_id is not None:
        common["gen_ai.response.id"] = response_id
    tracer = api.get_tracer(_NAME, _version())
    span = tracer.start_span(f"evaluation {routine}", context=parent, kind=api.SpanKind.INTERNAL,
                             attributes={**common, "gen_ai.operation.name": "evaluation"}, links=links)
    event: dict[str, Any] = {
        **common,
        "gen_ai.evaluation.name": "routinec.outcome",
        "gen_ai.evaluation.score.label": verdict,
        "routinec.outcome_id": outcome_id,
        "routinec.outcome.source": source,
    }
    if overrides is not None:
        event["routinec.outcome.overrides"] = overrides
    if fields_changed is not None:
        event["routinec.outcome.fields_changed"] = fields_changed
    try:
        span.add_event("gen_ai.evaluation.result", attributes=event)
    finally:
        span.end()
    return True
