"""Compiler layer, one check: template expressions that escape or exhaust the sandbox.

In: a parsed Jinja2 AST (`env.parse` never evaluates or constant-folds; only compiling does)
and its source text. Out: `Finding`s (line, column, width, message) for private attribute and
item access (directly, via `attr`/`map(attribute=)`/`selectattr`/…, or in `str.format`
fields), oversized or computed format widths, unbounded powers and repetitions and large
constant ranges. The runtime sandbox (`runtime/sandbox.py`) enforces the same LIMITS.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass
from typing import Any

from jinja2 import nodes

from routinec.template_limits import LIMITS

__all__ = ["LIMITS", "Finding", "all_nodes", "unsafe_expressions"]

# Kept equal to runtime/sandbox.py's LIMITS (the two layers may not import each other).

# Filters that take an attribute name (dotted paths allowed) as an argument.
_ATTRIBUTE_FILTERS = frozenset(
    {"attr", "map", "selectattr", "rejectattr", "sort", "groupby", "sum", "unique", "min", "max", "dictsort"}
)
_PERCENT_SPEC = re.compile(r"%(?:\([^)]*\))?[#0 +-]*(\*|\d+)?(?:\.(\*|\d+))?[hlL]?[diouxXeEfFgGcrsa%]")
_SPEC_WIDTH = re.compile(r"(\d+)?(?:\.(\d+))?[a-zA-Z%]?$")


# The only node types `_check` can flag.
_CHECKED = (nodes.Getattr, nodes.Getitem, nodes.Filter, nodes.Call, nodes.Mod, nodes.Pow, nodes.Mul)


@dataclass(frozen=True, order=True, slots=True)
class Finding:
    line: int
    column: int   # 1-based within the template's line; 1 when the needle is not found
    width: int
    message: str


def _private(name: str) -> bool:
    return any(part.startswith("_") for part in re.split(r"[.\[\]]", name) if part)


def _const(node: nodes.Node | None) -> Any:
    return node.value if isinstance(node, nodes.Const) else None


def _int(node: nodes.Node | None) -> int | None:
    """The value of a constant integer expression (`10**11`, `-3`, `2*5`), when small enough
    to compute safely; else None."""
    if isinstance(node, nodes.Const):
        value = node.value
        return value if isinstance(value, int) and not isinstance(value, bool) else None
    if isinstance(node, nodes.Neg):
        inner = _int(node.node)
        return None if inner is None else -inner
    if isinstance(node, nodes.Add | nodes.Sub | nodes.Mul | nodes.Pow):
        left, right = _int(node.left), _int(node.right)
        if left is None or right is None:
            return None
        if isinstance(node, nodes.Pow):
            if right < 0 or right > LIMITS["exponent"] or max(abs(left).bit_length(), 1) * right > LIMITS["power_bits"]:
                return None
            return int(left**right)
        if isinstance(node, nodes.Mul):
            return left * right if left.bit_length() + right.bit_length() <= LIMITS["power_bits"] else None
        return left + right if isinstance(node, nodes.Add) else left - right
    return None


def _too_wide(n: str | None) -> bool:
    return n is not None and (n == "*" or int(n) > LIMITS["format_width"])


def _brace_problem(fmt: str) -> str | None:
    try:
        fields = list(string.Formatter().parse(fmt))
    except ValueError as exc:
        return f"a malformed format string ({exc})"
    for _, name, spec, _ in fields:
        if name is not None and _private(name):
            return f"a format field {{{name}}} that reads a private attribute"
        if spec and "{" in spec:
            return f"a format field {{{name}:{spec}}} whose width is computed"
        m = _SPEC_WIDTH.search(spec or "")
        if spec and m and (_too_wide(m.group(1)) or _too_wide(m.group(2))):
            return f"a format field {{{name}:{spec}}} wider than {LIMITS['format_width']}"
    return None


def _percent_problem(fmt: str) -> str | None:
    for m in _PERCENT_SPEC.finditer(fmt):
        if _too_wide(m.group(1)) or _too_wide(m.group(2)):
            return f"%-format {m.group(0)!r} (width or precision above {LIMITS['format_width']}, or '*')"
    return None


def _attribute_args(node: nodes.Filter) -> list[nodes.Node]:
    if node.name == "attr":
        return list(node.args[:1])
    if node.name in ("selectattr", "rejectattr"):
        return list(node.args[:1])
    return [kw.value for kw in node.kwargs if kw.key == "attribute"]


def _check(node: nodes.Node) -> tuple[str, str] | None:
    """(needle to locate on the line, message) for one unsafe node, else None."""
    if isinstance(node, nodes.Getattr) and node.attr.startswith("_"):
        return node.attr, f"reads the private attribute {node.attr!r}"
    if isinstance(node, nodes.Getitem):
        key = _const(node.arg)
        if isinstance(key, str) and key.startswith("_"):
            return key, f"reads the private item {key!r}"
    if isinstance(node, nodes.Filter) and node.name in _ATTRIBUTE_FILTERS:
        for arg in _attribute_args(node):
            value = _const(arg)
            if node.name == "attr" and not isinstance(arg, nodes.Const):
                return "attr", "uses `attr` with a computed attribute name"
            if isinstance(value, str) and _private(value):
                return value, f"reads the private attribute {value!r} through the `{node.name}` filter"
    if isinstance(node, nodes.Filter) and node.name == "format" and isinstance(_const(node.node), str):
        problem = _percent_problem(node.node.value)  # type: ignore[union-attr]
        if problem:
            return "format", f"formats with {problem}"
    if isinstance(node, nodes.Filter) and node.name in ("center", "indent"):
        width = _int(node.args[0]) if node.args else None
        if width is not None and width > LIMITS["format_width"]:
            return node.name, f"pads to {width} columns with `{node.name}`"
    if isinstance(node, nodes.Call) and isinstance(node.node, nodes.Getattr) and node.node.attr in ("format", "format_map"):
        fmt = _const(node.node.node)
        if not isinstance(fmt, str):
            return node.node.attr, f"calls `.{node.node.attr}` on a computed string (its fields can read attributes)"
        problem = _brace_problem(fmt)
        if problem:
            return node.node.attr, f"calls `.{node.node.attr}` with {problem}"
    if isinstance(node, nodes.Mod) and isinstance(_const(node.left), str):
        problem = _percent_problem(node.left.value)  # type: ignore[attr-defined]
        if problem:
            return "%", f"formats with {problem}"
    if isinstance(node, nodes.Pow):
        base, exponent = _int(node.left), _int(node.right)
        small = exponent is not None and exponent <= LIMITS["exponent"]
        if not small or (base is not None and exponent is not None and exponent > 0
                         and max(abs(base).bit_length(), 1) * exponent > LIMITS["power_bits"]):
            return "**", "raises to a power that is computed or too large (exponents up to "\
                f"{LIMITS['exponent']} on constants)"
    if isinstance(node, nodes.Mul):
        for seq, count in ((node.left, node.right), (node.right, node.left)):
            n = _int(count)
            if n is not None and n > LIMITS["output_chars"] // 10 and not isinstance(_const(seq), int | float):
                return "*", f"repeats something {n} times"
    if isinstance(node, nodes.Call) and isinstance(node.node, nodes.Name) and node.node.name == "range":
        ints = [_int(a) for a in node.args]
        if node.args and all(i is not None for i in ints):
            try:
                size = len(range(*ints))  # type: ignore[arg-type]
            except (TypeError, ValueError):
                size = 0
            if size > LIMITS["range"]:
                return "range", f"makes a range of {size} items (limit {LIMITS['range']})"
    return None


def all_nodes(tree: nodes.Node) -> list[nodes.Node]:
    """Every node under `tree` (itself included) in one walk, for the several questions the
    compiler asks of a template; Jinja's generator-based `find_all` per question cost a large
    lock a tenth of its time."""
    out: list[nodes.Node] = []
    stack: list[nodes.Node] = [tree]
    node_type = nodes.Node
    while stack:
        node = stack.pop()
        out.append(node)
        for name in node.fields:
            item = getattr(node, name, None)
            if isinstance(item, list):
                stack.extend(n for n in item if isinstance(n, node_type))
            elif isinstance(item, node_type):
                stack.append(item)
    return out


def unsafe_expressions(tree: nodes.Template, source: str, walked: list[nodes.Node] | None = None) -> list[Finding]:
    """Every unsafe expression in one template, sorted; nested ones reported once (outermost).
    `walked` is `all_nodes(tree)` when the caller has it already."""
    hits: list[tuple[nodes.Expr, str, str]] = []
    for node in walked if walked is not None else all_nodes(tree):
        if not isinstance(node, _CHECKED):
            continue
        hit = _check(node)
        if hit is not None:
            hits.append((node, *hit))
    # `''.__class__.__mro__` is one escape: report where it starts (the innermost unsafe node).
    if not hits:
        return []
    lines = source.splitlines() or [""]
    inner_ids = {id(n) for n, _, _ in hits}
    found: set[Finding] = set()
    for node, needle, message in hits:
        if any(id(d) in inner_ids for d in node.find_all(nodes.Expr)):
            continue
        lineno = max(node.lineno or 1, 1)
        text = lines[lineno - 1] if lineno <= len(lines) else ""
        at = text.find(needle)
        found.add(Finding(lineno, at + 1 if at >= 0 else 1, len(needle) if at >= 0 else 1,
                          f"the template {message}"))
    return sorted(found)
