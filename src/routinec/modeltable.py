"""Bottom layer: the shipped model table (what the Models API's `ModelInfo` carries).

In: a model id or alias as written in a spec. Out: a `ModelInfo` with the dated snapshot,
lifecycle, retirement date, `max_tokens` limit and capabilities. Drawn from the anthropic
SDK's model list (`anthropic.types.Model`) and Anthropic's published retirement dates, checked
in tests against recorded Models-API data; `lock --resolve-online` can overrule it per model.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from typing import Any

__all__ = ["EFFORT_LEVELS", "MODELS", "SERVER_TOOL_TYPES", "ModelInfo", "lifecycle_diagnostic", "lifecycle_on", "lookup"]

EFFORT_LEVELS = ("low", "medium", "high", "xhigh", "max")
# Server tools the API runs, by versioned type name → the options each accepts.
SERVER_TOOL_TYPES: dict[str, frozenset[str]] = {
    "web_search_20250305": frozenset({"max_uses", "allowed_domains", "blocked_domains", "user_location"}),
    "web_fetch_20250910": frozenset({"max_uses", "allowed_domains", "blocked_domains", "citations", "max_content_tokens"}),
    "code_execution_20250825": frozenset(),
}
_ALL_SERVER_TOOLS = tuple(sorted(SERVER_TOOL_TYPES))


@dataclass(frozen=True)
class ModelInfo:
    id: str  # the pinned id requests use
    aliases: tuple[str, ...] = ()
    lifecycle: str = "active"  # active | deprecated | retired
    retires_at: str | None = None  # YYYY-MM-DD
    max_tokens: int = 64000
    structured_outputs: bool = True
    sampling: bool = True  # accepts temperature / top_p / top_k
    one_sampler: bool = True  # rejects temperature and top_p together
    effort: tuple[str, ...] = ()  # accepted effort levels; empty: no effort parameter
    thinking_budget: bool = True  # accepts thinking {type: enabled, budget_tokens}
    resolved_by: str = "table"
    notes: tuple[str, ...] = field(default=())
    tool_use: bool = True  # accepts client tools (`tools`, `tool_choice`)
    server_tools: tuple[str, ...] = _ALL_SERVER_TOOLS  # server tool types it can run


_ALL_EFFORT = ("low", "medium", "high", "max")
_X_EFFORT = ("low", "medium", "high", "xhigh", "max")


def _new(model_id: str, *, max_tokens: int = 128000, xhigh: bool = True) -> ModelInfo:
    # From Opus 4.7 on, models reject sampling parameters and budgeted thinking (adaptive only).
    return ModelInfo(
        id=model_id,
        max_tokens=max_tokens,
        sampling=False,
        effort=_X_EFFORT if xhigh else _ALL_EFFORT,
        thinking_budget=False,
    )


MODELS: tuple[ModelInfo, ...] = (
    ModelInfo(
        "claude-sonnet-4-5-20250929",
        aliases=("claude-sonnet-4-5",),
        lifecycle="deprecated",
        retires_at="2026-11-30",
        max_tokens=64000,
    ),
    ModelInfo(
        "claude-opus-4-5-20251101",
        aliases=("claude-opus-4-5",),
        lifecycle="deprecated",
        retires_at="2027-01-22",
        max_tokens=64000,
        effort=("low", "medium", "high"),
    ),
    ModelInfo("claude-haiku-4-5-20251001", aliases=("claude-haiku-4-5",), max_tokens=64000),
    ModelInfo("claude-sonnet-4-6", max_tokens=64000, effort=_ALL_EFFORT),
    ModelInfo("claude-opus-4-6", max_tokens=128000, effort=_ALL_EFFORT),
    ModelInfo(
        "claude-mythos-preview",
        lifecycle="deprecated",
        retires_at="2026-06-30",
        sampling=False,
        effort=_ALL_EFFORT,
        thinking_budget=False,
        structured_outputs=False,
        server_tools=(),  # a research preview: client tools only
    ),
    _new("claude-opus-4-7"),
    _new("claude-opus-4-8"),
    _new("claude-opus-5"),
    _new("claude-sonnet-5", max_tokens=64000),
    _new("claude-mythos-5"),
    _new("claude-fable-5"),
    _new("claude-mythos-5-1"),
    _new("claude-fable-5-1"),
    _new("claude-opus-5-5"),
    _new("claude-sonnet-5-5", max_tokens=64000),
    _new("claude-haiku-5-5", max_tokens=64000, xhigh=False),
    _new("claude-mythos-5-2"),
    _new("claude-fable-5-2"),
)

_BY_NAME: dict[str, ModelInfo] = {}
for _info in MODELS:
    _BY_NAME[_info.id] = _info
    for _alias in _info.aliases:
        _BY_NAME[_alias] = _info


def lookup(name: str) -> ModelInfo | None:
    """The table entry for an id or alias, or None when routinec does not know the model."""
    return _BY_NAME.get(name)


def known_names() -> list[str]:
    return sorted(_BY_NAME)


def lifecycle_on(lifecycle: str, retires_at: str | None, today: _dt.date) -> str:
    """The lifecycle as of `today`, a function of the date: a model with a retirement date is
    deprecated until that day and retired from it, whatever `lifecycle` says."""
    if lifecycle == "retired" or retires_at is None:
        return lifecycle
    try:
        retires = _dt.date.fromisoformat(retires_at)
    except ValueError:
        return lifecycle
    return "retired" if retires <= today else "deprecated"


def lifecycle_diagnostic(
    routine: str, snapshot: str, lifecycle: str, retires_at: str | None, on: _dt.date, span: Any
) -> Any:
    """The one model-retired error or model-deprecated warning for a routine's model as of
    `on`, or None. `check` (from the spec) and `verify`'s fast path (from the lock) both say it."""
    from routinec.codes import Code
    from routinec.diagnostics import Diagnostic, Severity

    stage = lifecycle_on(lifecycle, retires_at, on)
    when = f" on {retires_at}" if retires_at else ""
    if stage == "retired":
        return Diagnostic(
            Code.MODEL_RETIRED, Severity.ERROR,
            f"routine {routine!r} uses {snapshot}, which retired{when}",
            span,
            "migrate the routine to a current model (e.g. claude-sonnet-4-6), bump its version, and re-record",
        )
    if stage == "deprecated":
        days = ""
        if retires_at:
            try:
                left = (_dt.date.fromisoformat(retires_at) - on).days
                days = f" (in {left} day{'s' if left != 1 else ''})"
            except ValueError:
                days = ""
        return Diagnostic(
            Code.MODEL_DEPRECATED, Severity.WARNING,
            f"routine {routine!r} uses {snapshot}, which is deprecated and retires{when}{days}",
            span,
            "migrate to a current model before then; after it, the routine can no longer be re-recorded",
        )
    return None
