"""Bottom layer: the one table of sampling parameters (next to `modeltable`).

In: nothing. Out: `PARAMS`, one `Param` per setting a routine may give: its DSL keyword, value
kind and range, its key under `params` in the lock, where it goes in a Messages API request
and which model capability it needs. The parser, checker, lowering, formatter, lock reader,
request builder and provider all derive from this table; adding a parameter starts here (and
needs one grammar line, `compiler/grammar/routine.lark`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from routinec.canonical import integer_literal
from routinec.modeltable import EFFORT_LEVELS, ModelInfo

__all__ = [
    "BY_KEYWORD",
    "BY_LOCK_KEY",
    "PARAMS",
    "SAMPLING_KEYS",
    "Param",
    "ParamValue",
    "request_fields",
]

# Lock values: JSON numbers (int, or Decimal for fractions), a string, or a list of strings.
ParamValue = int | Decimal | str | list[str]


@dataclass(frozen=True, slots=True)
class Param:
    keyword: str  # the DSL statement: `temperature 0`
    lock_key: str  # its key under `params` in the lock
    kind: Literal["number", "int", "strings", "enum"]
    low: Decimal | None = None  # inclusive bounds for number and int
    high: Decimal | None = None
    choices: tuple[str, ...] = ()  # for enum
    required: bool = False
    # Where it goes in a request: "body" (top-level key = lock key), "output_config.effort",
    # or "thinking" ({type: enabled, budget_tokens}).
    request: Literal["body", "output_config.effort", "thinking"] = "body"
    # The ModelInfo capability it needs: "sampling", "effort" (the level must be listed),
    # "thinking_budget", or None (every model takes it).
    needs: Literal["sampling", "effort", "thinking_budget"] | None = None
    label: str = ""  # how messages name it, when not its keyword

    @property
    def name(self) -> str:
        return self.label or self.keyword

    def range_problem(self, value: Any) -> str | None:
        """Why `value` (as the parser produced it) is not acceptable, in words; None when fine."""
        if self.kind in ("number", "int"):
            if not isinstance(value, Decimal):
                return f"{self.name} takes a number"
            whole = self.kind == "int"
            if whole and value == value.to_integral_value() and not integer_literal(value):
                return f"{self.name} {value}: a whole number is written without a decimal point"
            if (whole and not integer_literal(value)) or (self.low is not None and value < self.low) or (
                self.high is not None and value > self.high
            ):
                if not whole:
                    return f"{self.name} {value} is outside {self.low}..{self.high}"
                return f"{self.name} {value} must be a whole number ≥ {self.low}"
            return None
        if self.kind == "enum":
            return None if value in self.choices else f"unknown {self.name} level {value!r}"
        if self.kind == "strings":
            if any(not str(s).strip() for s in value):
                return f"{self.name} sequences must contain a non-whitespace character"
            return None
        raise AssertionError(self.kind)

    def hint(self, value: Any) -> str | None:
        """What to write instead, for a value `range_problem` refused (None: no single fix)."""
        if self.kind == "enum":
            return f"use one of: {', '.join(self.choices)}"
        whole = isinstance(value, Decimal) and value == value.to_integral_value()
        if self.kind == "int" and whole and not integer_literal(value):
            return f"write {int(value)}"
        return None

    def accepted_by(self, model: ModelInfo, value: Any) -> bool:
        if self.needs == "sampling":
            return model.sampling
        if self.needs == "effort":
            return value in model.effort
        if self.needs == "thinking_budget":
            return model.thinking_budget
        return True

    def lock_value_problem(self, value: Any) -> str | None:
        """Why a value read from a lock has the wrong JSON type for this parameter."""
        if self.kind in ("number", "int"):
            expected = "an integer" if self.kind == "int" else "a number"
            number = isinstance(value, int | Decimal) and not isinstance(value, bool)
            if not number or (self.kind == "int" and not isinstance(value, int)):
                return expected
            return None
        if self.kind == "enum":
            return None if isinstance(value, str) else "a string"
        if not isinstance(value, list) or not all(isinstance(s, str) for s in value):
            return "a list of strings"
        return None


PARAMS: tuple[Param, ...] = (
    Param("temperature", "temperature", "number", Decimal(0), Decimal(1), needs="sampling"),
    Param("top_p", "top_p", "number", Decimal(0), Decimal(1), needs="sampling"),
    Param("top_k", "top_k", "int", Decimal(1), needs="sampling"),
    Param("max_tokens", "max_tokens", "int", Decimal(1), required=True),
    Param("stop", "stop_sequences", "strings", label="stop"),
    Param("effort", "effort", "enum", choices=EFFORT_LEVELS, request="output_config.effort", needs="effort"),
    Param("thinking", "thinking_budget", "int", Decimal(1024), request="thinking", needs="thinking_budget",
          label="thinking budget"),
)

BY_KEYWORD: dict[str, Param] = {p.keyword: p for p in PARAMS}
BY_LOCK_KEY: dict[str, Param] = {p.lock_key: p for p in PARAMS}
# Parameters some models refuse outright (Opus 4.7 on fix their own sampling).
SAMPLING_KEYS: tuple[str, ...] = tuple(p.lock_key for p in PARAMS if p.needs == "sampling")


def _wire(value: Any) -> Any:
    # Requests carry plain JSON: integral numbers as int, fractions as (correctly rounded) float.
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return list(value) if isinstance(value, list | tuple) else value


def request_fields(params: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The request's top-level fields and `output_config` fields for locked `params`.

    An unset value (or an empty stop list) sends nothing, so the API applies its default.
    """
    body: dict[str, Any] = {}
    output_config: dict[str, Any] = {}
    for param in PARAMS:
        value = params.get(param.lock_key)
        if value is None or (param.kind == "strings" and not value):
            continue
        if param.request == "body":
            body[param.lock_key] = _wire(value)
        elif param.request == "output_config.effort":
            output_config["effort"] = value
        elif param.request == "thinking":
            body["thinking"] = {"type": "enabled", "budget_tokens": _wire(value)}
        else:  # pragma: no cover - a table entry with a new placement
            raise AssertionError(param.request)
    return body, output_config
