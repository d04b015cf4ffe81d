"""Benchmark (not a test): compare two schemas of 2,000 properties nested five deep.

Prints the median wall time over several runs, peak memory (tracemalloc) and, when the
`jsoncompat` package (Rust core) is importable, the same pair through it and the ratio.
Budget: under 0.2 s for the pair. Run: `python benchmarks/bench_compat.py`.
"""

from __future__ import annotations

import copy
import json
import statistics
import time
import tracemalloc
from typing import Any

from routinec.compat import compare

PROPERTIES = 2000
DEPTH = 5
RUNS = 7
BUDGET_S = 0.2


def build(total: int = PROPERTIES, depth: int = DEPTH) -> dict[str, Any]:
    """An object tree: each level has leaves and a few nested objects, `total` properties."""
    per_level = total // depth
    fanout = 4

    def level(d: int, budget: int) -> dict[str, Any]:
        props: dict[str, Any] = {}
        leaves = budget if d == depth else max(budget // fanout, 1)
        kinds = [
            {"type": "string", "maxLength": 200},
            {"type": "integer", "minimum": 0},
            {"type": "number"},
            {"type": "boolean"},
            {"type": "array", "items": {"type": "string"}},
            {"enum": ["low", "medium", "high"]},
        ]
        for i in range(leaves):
            props[f"f{d}_{i}"] = copy.deepcopy(kinds[i % len(kinds)])
        if d < depth:
            for j in range(fanout):
                props[f"child{d}_{j}"] = level(d + 1, max((budget - leaves) // fanout, 1))
        return {
            "type": "object",
            "properties": props,
            "required": sorted(props)[: len(props) // 2],
            "additionalProperties": False,
        }

    return level(1, per_level * depth)


def count(schema: Any) -> int:
    if not isinstance(schema, dict):
        return 0
    props = schema.get("properties", {})
    return len(props) + sum(count(v) for v in props.values())


def mutate(schema: dict[str, Any]) -> dict[str, Any]:
    new = copy.deepcopy(schema)
    node = new
    for _ in range(DEPTH - 1):
        node = node["properties"][
            "child" + next(k[5:] for k in node["properties"] if k.startswith("child"))
        ]
    leaf = node["properties"]
    first = sorted(leaf)[:6]
    leaf[first[0]] = {"type": "string", "maxLength": 100}  # narrowed or changed
    leaf.pop(first[1])  # removed
    leaf["added_field"] = {"type": "string"}  # added to a closed object
    new["properties"]["f1_1"] = {"type": "integer", "minimum": 5}
    new["properties"]["f1_5"] = {"enum": ["low", "medium", "high", "unknown"]}
    return new


def timed(fn: Any, runs: int = RUNS) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    old = build()
    new = mutate(old)
    print(
        f"schemas: {count(old)} / {count(new)} properties, nested {DEPTH} deep, "
        f"{len(json.dumps(old)) / 1e3:.0f} kB each"
    )
    report = compare(old, new, direction="out")
    print(f"findings: {len(report.findings)}, compatibility {report.compatibility.value}")
    for line in report.text_lines()[:8]:
        print("  " + line)
    ours = timed(lambda: compare(old, new, direction="out", validate=False))
    print(
        f"routinec.compat.compare (validate=False): median {ours * 1e3:.1f} ms over {RUNS} "
        f"runs (budget {BUDGET_S * 1e3:.0f} ms: {'OK' if ours < BUDGET_S else 'OVER'})"
    )
    full = timed(lambda: compare(old, new, direction="out"), runs=3)
    print(
        f"  with the 2020-12 meta-schema check of both schemas (jsonschema): median "
        f"{full * 1e3:.1f} ms"
    )
    tracemalloc.start()
    compare(old, new, direction="out", validate=False)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"peak memory (tracemalloc): {peak / 2**20:.1f} MiB")
    try:
        import jsoncompat
    except ImportError:
        print("jsoncompat: not importable; no side-by-side figure")
        return
    old_text, new_text = json.dumps(old), json.dumps(new)
    verdict = jsoncompat.check_compat(old_text, new_text, "serializer")
    theirs = timed(lambda: jsoncompat.check_compat(old_text, new_text, "serializer"))
    print(f"jsoncompat.check_compat (serializer): {verdict}, median {theirs * 1e3:.1f} ms")
    print(f"ratio routinec/jsoncompat: {ours / theirs:.1f}x")


if __name__ == "__main__":
    main()
