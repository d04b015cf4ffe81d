"""Application layer: `lock --resolve-online`, pinning aliases through the Models API.

In: model names from specs. Out: `ModelInfo`s built from `models.retrieve` answers, merged
with the shipped table for what the API does not say. The only non-runtime module that
imports `anthropic`, and only when this option is used.
"""

from __future__ import annotations

import datetime as _dt
from typing import Any

from routinec.codes import Code, extra_hint
from routinec.compiler.check import Resolver
from routinec.config import env
from routinec.diagnostics import Diagnostic, DiagnosticError, Severity
from routinec.modeltable import EFFORT_LEVELS, ModelInfo, lookup

__all__ = ["online_resolver"]


def _fail(message: str, hint: str | None = None, code: Code = Code.API_ERROR) -> DiagnosticError:
    return DiagnosticError([Diagnostic(code, Severity.ERROR, message, None, hint)])


def _supported(obj: Any, *names: str) -> bool:
    for name in names:
        obj = getattr(obj, name, None)
        if obj is None:
            return False
    return bool(getattr(obj, "supported", obj))


def _date(value: Any) -> str | None:
    if isinstance(value, _dt.datetime):
        return value.date().isoformat()
    if isinstance(value, str) and value:
        return value[:10]
    return None


def from_model_info(info: Any, table: ModelInfo | None) -> ModelInfo:
    caps = getattr(info, "capabilities", None)
    base = table or ModelInfo(id=str(info.id))
    effort = base.effort
    thinking_budget = base.thinking_budget
    structured = base.structured_outputs
    if caps is not None:
        structured = _supported(caps, "structured_outputs")
        effort_cap = getattr(caps, "effort", None)
        if effort_cap is not None:
            effort = tuple(
                level for level in EFFORT_LEVELS
                if getattr(effort_cap, "supported", False) and _supported(effort_cap, level)
            )
        thinking_budget = _supported(caps, "thinking", "types", "enabled")
    return ModelInfo(
        id=str(info.id),
        aliases=base.aliases,
        lifecycle=str(getattr(info, "lifecycle", None) or base.lifecycle),
        retires_at=_date(getattr(info, "retires_at", None)) or base.retires_at,
        max_tokens=int(getattr(info, "max_tokens", None) or base.max_tokens),
        structured_outputs=structured,
        sampling=base.sampling,
        one_sampler=base.one_sampler,
        effort=effort,
        thinking_budget=thinking_budget,
        resolved_by="models-api",
    )


def online_resolver() -> Resolver:
    # The key first: it is the cheaper question, and importing the SDK costs ~0.8 s.
    key = env().api_key or ""
    if not key:
        raise _fail(
            "--resolve-online needs ANTHROPIC_API_KEY",
            "set the key, or run 'routinec lock' without --resolve-online to use the shipped model table",
            Code.API_KEY,
        )
    try:
        import anthropic
    except ImportError:
        raise DiagnosticError([Diagnostic(
            Code.MISSING_EXTRA, Severity.ERROR,
            "--resolve-online asks the Models API through the anthropic SDK, which is not installed", None,
            f"{extra_hint('anthropic')}; or lock without --resolve-online",
        )]) from None
    client = anthropic.Anthropic(api_key=key, max_retries=2, timeout=30.0)
    cache: dict[str, ModelInfo | None] = {}

    def resolve(name: str) -> ModelInfo | None:
        if name in cache:
            return cache[name]
        try:
            info = client.models.retrieve(name)
        except anthropic.NotFoundError:
            cache[name] = None
            return None
        except anthropic.AuthenticationError:
            raise _fail("the Models API refused ANTHROPIC_API_KEY (401)", "check the key", Code.API_KEY) from None
        except anthropic.APIStatusError as exc:
            raise _fail(f"the Models API answered {exc.status_code} for {name!r}", "retry later") from None
        except anthropic.APIConnectionError as exc:
            raise _fail(f"cannot reach the Models API: {exc.__class__.__name__}", "check the network or ANTHROPIC_BASE_URL") from None
        table = lookup(str(info.id)) or lookup(name)
        cache[name] = from_model_info(info, table)
        return cache[name]

    return resolve
