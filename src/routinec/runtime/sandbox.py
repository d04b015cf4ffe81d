"""Runtime layer: the bounded Jinja2 sandbox locked templates render in.

In: template sources (through a loader) and inputs. Out: rendered text, or a `SecurityError`
naming what the template tried: private attributes, oversized ranges, powers, repetitions,
format widths, output size or render time. `check` refuses the same shapes before a lock is
written (`compiler/template_safety.py`); this is the second wall for what reaches run time.
"""

from __future__ import annotations

import operator
import re
import string
import time
from collections.abc import Callable, Iterable, Iterator
from contextvars import ContextVar
from typing import Any

from jinja2 import filters as jinja_filters
from jinja2.exceptions import SecurityError
from jinja2.runtime import Context, Undefined
from jinja2.sandbox import SandboxedEnvironment

from routinec.template_limits import LIMITS

__all__ = ["BoundedSandbox", "CountedRange", "TemplateUnsafe"]


_PERCENT_SPEC = re.compile(r"%(?:\([^)]*\))?[#0 +-]*(\*|\d+)?(?:\.(\*|\d+))?[hlL]?[diouxXeEfFgGcrsa%]")
_WIDTH = re.compile(r"(\d+)?(?:\.(\d+))?[a-zA-Z%]?$")


class TemplateUnsafe(SecurityError):
    """A template did something the sandbox refuses; the message names the expression."""


def _too_wide(n: str | None) -> bool:
    return n is not None and (n == "*" or int(n) > LIMITS["format_width"])


def check_percent_format(fmt: str) -> None:
    for m in _PERCENT_SPEC.finditer(fmt):
        if _too_wide(m.group(1)) or _too_wide(m.group(2)):
            raise TemplateUnsafe(
                f"the template %-formats with {m.group(0)!r}: widths and precisions above "
                f"{LIMITS['format_width']} (or computed with '*') are refused"
            )


def check_brace_format(fmt: str) -> None:
    try:
        fields = list(string.Formatter().parse(fmt))
    except ValueError as exc:
        raise TemplateUnsafe(f"the template formats with a malformed format string: {exc}") from None
    for _, name, spec, _ in fields:
        if name is not None and any(part.startswith("_") for part in re.split(r"[.\[\]]", name)):
            raise TemplateUnsafe(f"the template's format string reads {{{name}}}, a private attribute")
        if not spec:
            continue
        if "{" in spec:
            raise TemplateUnsafe(f"the template's format string computes its spec ({{{name}:{spec}}})")
        m = _WIDTH.search(spec)
        if m and (_too_wide(m.group(1)) or _too_wide(m.group(2))):
            raise TemplateUnsafe(
                f"the template formats with {{{name}:{spec}}}: widths and precisions above "
                f"{LIMITS['format_width']} are refused"
            )


# [iterations left, deadline] of the render under way (set by BoundedSandbox.concat)
_RENDER: ContextVar[list[float] | None] = ContextVar("routinec_render_budget", default=None)


class CountedRange:
    """A range whose iteration is charged to the render's budget of loop iterations and
    time: each range is small, but `for` loops nested three deep multiply them, and the work
    between two pieces of output is otherwise never interrupted."""

    __slots__ = ("_rng",)

    def __init__(self, rng: range) -> None:
        self._rng = rng

    def __iter__(self) -> Iterator[int]:
        budget = _RENDER.get()
        for k, value in enumerate(self._rng):
            if budget is not None:
                budget[0] -= 1
                if budget[0] < 0:
                    raise TemplateUnsafe(
                        f"the template's loops run more than {LIMITS['loop_iterations']} iterations"
                    )
                if not k % 4096 and time.monotonic() > budget[1]:
                    raise TemplateUnsafe(f"the template took more than {LIMITS['render_seconds']} s to render")
            yield value

    def __len__(self) -> int:
        return len(self._rng)

    def __getitem__(self, index: Any) -> Any:
        return self._rng[index]

    def __contains__(self, value: object) -> bool:
        return value in self._rng

    def __reversed__(self) -> Iterator[int]:
        return iter(CountedRange(self._rng[::-1]))

    def __repr__(self) -> str:
        return repr(self._rng)


def bounded_range(*args: int) -> CountedRange:
    rng = range(*args)
    if len(rng) > LIMITS["range"]:
        shown = ", ".join(map(str, args))
        raise TemplateUnsafe(f"the template asks for range({shown}): more than {LIMITS['range']} items")
    return CountedRange(rng)


def _check_power(left: Any, right: Any) -> None:
    if (
        isinstance(left, int) and isinstance(right, int) and abs(left) > 1 and right > 0
        and (right > LIMITS["exponent"] or max(left.bit_length(), 1) * right > LIMITS["power_bits"])
    ):
        raise TemplateUnsafe(
            f"the template computes {left} ** {right}: integer powers above "
            f"{LIMITS['exponent']} or {LIMITS['power_bits']} bits are refused"
        )


def _check_repeat(left: Any, right: Any) -> None:
    for seq, n in ((left, right), (right, left)):
        countable = isinstance(seq, str | list | tuple) and isinstance(n, int) and not isinstance(n, bool)
        if countable and len(seq) * n > LIMITS["output_chars"]:
            raise TemplateUnsafe(
                f"the template repeats a {type(seq).__name__} of length {len(seq)} {n} times: "
                f"more than {LIMITS['output_chars']} items"
            )
    if isinstance(left, int) and isinstance(right, int) and left.bit_length() + right.bit_length() > LIMITS["power_bits"]:
        raise TemplateUnsafe("the template multiplies integers too large to print")


def _bounded_center(value: str, width: int = 80) -> str:
    if isinstance(width, int) and width > LIMITS["format_width"]:
        raise TemplateUnsafe(f"the template centers text in {width} columns")
    return jinja_filters.do_center(value, width)


def _bounded_format(value: str, *args: Any, **kwargs: Any) -> str:
    if isinstance(value, str):
        check_percent_format(value)
    return jinja_filters.do_format(value, *args, **kwargs)


def _bounded_indent(s: str, width: int | str = 4, *args: Any, **kwargs: Any) -> str:
    if isinstance(width, int) and width > LIMITS["format_width"]:
        raise TemplateUnsafe(f"the template indents by {width} columns")
    if isinstance(width, str) and len(width) > LIMITS["format_width"]:
        raise TemplateUnsafe("the template indents by a very long string")
    return jinja_filters.do_indent(s, width, *args, **kwargs)


class BoundedSandbox(SandboxedEnvironment):
    """SandboxedEnvironment with bounds on everything that can take memory or time."""

    # Intercepted operators are also never constant-folded at compile time, so
    # `{{ 9 ** (9 ** 9) }}` can no longer hang `get_template`.
    intercepted_binops = frozenset({"**", "*", "%"})

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.globals["range"] = bounded_range
        self.filters["center"] = _bounded_center
        self.filters["format"] = _bounded_format
        self.filters["indent"] = _bounded_indent

    def call_binop(self, context: Context, operator_: str, left: Any, right: Any) -> Any:
        if operator_ == "**":
            _check_power(left, right)
            return operator.pow(left, right)
        if operator_ == "*":
            _check_repeat(left, right)
            return operator.mul(left, right)
        if operator_ == "%" and isinstance(left, str):
            check_percent_format(left)
        return super().call_binop(context, operator_, left, right)

    def unsafe_undefined(self, obj: Any, attribute: str) -> Undefined:
        # The stock sandbox returns an Undefined, so `''|attr('__class__')` fails later as
        # "has no attribute '__mro__'", which reads like a missing input. Say what happened.
        raise TemplateUnsafe(
            f"the template reads attribute {attribute!r} of a {type(obj).__name__!r} value"
        )

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        wrapped = super().wrap_str_format(value)
        if wrapped is None:
            return None
        check_brace_format(value.__self__)
        return wrapped

    def concat(self, parts: Iterable[str]) -> str:
        deadline = time.monotonic() + LIMITS["render_seconds"]
        token = _RENDER.set([LIMITS["loop_iterations"], deadline])
        try:
            return self._concat(parts, deadline)
        finally:
            _RENDER.reset(token)

    def _concat(self, parts: Iterable[str], deadline: float) -> str:
        out: list[str] = []
        total = 0
        for part in parts:
            total += len(part)
            if total > LIMITS["output_chars"]:
                raise TemplateUnsafe(f"the template renders more than {LIMITS['output_chars']} characters")
            if time.monotonic() > deadline:
                raise TemplateUnsafe(f"the template took more than {LIMITS['render_seconds']} s to render")
            out.append(part)
        return "".join(out)
