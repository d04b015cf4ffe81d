"""No two routinec modules import each other, directly or through others (imports only go down).

The import graph comes from `ast` (every `import`/`from … import`, also inside functions and
under TYPE_CHECKING), so a lazy import cannot hide a cycle.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "routinec"

# Each allowed cycle, as the sorted tuple of its modules, with the reason.
JUSTIFIED: dict[tuple[str, ...], str] = {
    ("routinec.compat.node", "routinec.compat.parse"): (
        "compat's schema walker: node.Builder builds a node per subschema and calls "
        "parse.parse_keywords (a lazy import) for its keywords, which build child nodes; "
        "splitting it is the compat owner's call"
    ),
}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _graph() -> dict[str, set[str]]:
    modules = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        is_pkg = path.name == "__init__.py"
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = name.split(".") if is_pkg else name.split(".")[:-1]
                    anchor = anchor[: len(anchor) - (node.level - 1)]
                    base = ".".join([*anchor, base] if base else anchor)
                targets = [base] + [f"{base}.{a.name}" for a in node.names]
            for target in targets:
                # `from pkg import module` names a module; `import a.b.c` needs a.b.c itself.
                if target in modules and target != name:
                    graph[name].add(target)
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[tuple[str, ...]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    found: list[tuple[str, ...]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(tuple(sorted(component)))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return sorted(found)


def _without_packages(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    """A package's __init__ re-exporting its own modules is not a cycle between modules."""
    out: dict[str, set[str]] = {}
    for name, targets in graph.items():
        out[name] = {t for t in targets if not (name.startswith(t + ".") or t.startswith(name + "."))}
    return out


def test_no_import_cycles_between_routinec_modules() -> None:
    cycles = _cycles(_without_packages(_graph()))
    unexplained = [c for c in cycles if c not in JUSTIFIED]
    assert not unexplained, "modules that import each other: " + "; ".join(" <-> ".join(c) for c in unexplained)


def test_every_justified_cycle_still_exists() -> None:
    cycles = set(_cycles(_without_packages(_graph())))
    assert not [c for c in JUSTIFIED if c not in cycles], "a listed cycle is gone: remove it from JUSTIFIED"


def test_the_cycle_finder_sees_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [("a", "b", "c")]
