"""Compat layer: JSON value helpers shared by the engine (equality, hashing keys, numbers).

In: plain JSON-like values (int, float, Decimal, str, bool, None, list, dict). Out: exact
numeric comparison through `Decimal` (bool is never a number) and order-free hashable keys.
"""

from __future__ import annotations

from decimal import MAX_EMAX, MIN_EMIN, Context, Decimal, InvalidOperation
from typing import Any

from routinec.canonical import to_decimal

__all__ = [
    "divisible",
    "floor_multiple",
    "is_integral",
    "is_number",
    "jkey",
    "json_eq",
    "json_type",
    "plain",
    "to_dec",
]


def is_number(value: Any) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def to_dec(value: Any) -> Decimal:
    return to_decimal(value)


def is_integral(value: Any) -> bool:
    if isinstance(value, bool) or not is_number(value):
        return False
    if isinstance(value, int):
        return True
    dec = to_dec(value)
    return dec.is_finite() and dec == dec.to_integral_value()


def json_type(value: Any) -> str:
    """The JSON Schema type name of a value; integral numbers are "integer"."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if is_number(value):
        return "integer" if is_integral(value) else "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list | tuple):
        return "array"
    if isinstance(value, dict):
        return "object"
    raise TypeError(f"not a JSON value: {type(value).__name__}")


def jkey(value: Any) -> Any:
    """A hashable key such that jkey(a) == jkey(b) exactly when the JSON values are equal."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return (type(value).__name__, value)
    if is_number(value):
        dec = to_dec(value)
        return ("num", dec.normalize() if dec != 0 else Decimal(0))
    if isinstance(value, list | tuple):
        return ("arr", tuple(jkey(item) for item in value))
    if isinstance(value, dict):
        return ("obj", tuple(sorted((k, jkey(v)) for k, v in value.items())))
    raise TypeError(f"not a JSON value: {type(value).__name__}")


# exact remainders of huge ratios (1e300 / 1e-300) need as many digits as the quotient has;
# past this many the answer is None (undecided) rather than a long computation
MAX_DIGITS = 5_000


def _context(a: Decimal, b: Decimal) -> Context | None:
    if not (a.is_finite() and b.is_finite()) or b == 0:
        return None
    span = (a.adjusted() if a else 0) - b.adjusted()
    need = max(span, 0) + len(b.as_tuple().digits) + 30
    if need > MAX_DIGITS:
        return None
    return Context(prec=need, Emax=MAX_EMAX, Emin=MIN_EMIN, traps=[InvalidOperation])


def divisible(a: Decimal, b: Decimal) -> bool | None:
    """Is `a` an integer multiple of `b`? Exact; None when the numbers are too far apart."""
    ctx = _context(a, b)
    if ctx is None:
        return None
    try:
        return ctx.remainder(a, b) == 0
    except InvalidOperation:
        return None


def floor_multiple(a: Decimal, step: Decimal) -> Decimal | None:
    """The largest multiple of `step` not above `a`, or None when too far apart."""
    ctx = _context(a, step)
    if ctx is None:
        return None
    try:
        return ctx.multiply(
            ctx.divide_int(a, step) - (1 if ctx.remainder(a, step) < 0 else 0), step
        )
    except InvalidOperation:
        return None


def json_eq(a: Any, b: Any) -> bool:
    return bool(jkey(a) == jkey(b))


def plain(value: Any) -> Any:
    """Decimal → int/float, tuples → lists: the form hypothesis and json.dumps accept."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value
