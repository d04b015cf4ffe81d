"""Import costs: what each entry point pulls in, and what it must not (nox -s bench).

Each figure is the median of fresh interpreters (`python -X importtime` would count the
same; a wall clock over a subprocess is what a user waits for). Budgets are printed beside
the figures; nothing here fails a test run. Tests check only that the imports stay lazy.
"""

from __future__ import annotations

import statistics
import subprocess
import sys

RUNS = 7

# (what, statement, budget in seconds, modules that must not be imported)
CASES: tuple[tuple[str, str, float, tuple[str, ...]], ...] = (
    ("import routinec.compat", "import routinec.compat", 0.25, ("hypothesis", "jsonschema", "anthropic")),
    ("import routinec.runtime", "import routinec.runtime", 0.3, ("anthropic", "lark", "routinec.compiler", "detect_secrets")),
    ("import routinec.cli", "import routinec.cli", 0.1, ("anthropic", "lark", "jinja2", "jsonschema")),
    ("import anthropic (for scale)", "import anthropic", 0.0, ()),
)


def _once(statement: str, forbidden: tuple[str, ...]) -> tuple[float, list[str]]:
    code = (
        "import sys, time\n"
        "t = time.perf_counter()\n"
        f"{statement}\n"
        "print(time.perf_counter() - t)\n"
        f"print(' '.join(m for m in {forbidden!r} if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    seconds, _, leaked = out.stdout.partition("\n")
    return float(seconds), leaked.split()


def main() -> None:
    for what, statement, budget, forbidden in CASES:
        try:
            runs = [_once(statement, forbidden) for _ in range(RUNS)]
        except subprocess.CalledProcessError:
            print(f"{what:<32} not importable")
            continue
        median = statistics.median(r[0] for r in runs)
        leaked = sorted({m for r in runs for m in r[1]})
        verdict = "" if not budget else ("ok" if median < budget else "OVER")
        budget_text = f"budget < {budget:.2f} s {verdict}" if budget else ""
        leak_text = f"  imports {', '.join(leaked)}!" if leaked else ""
        print(f"{what:<32} {median * 1000:7.1f} ms  {budget_text}{leak_text}")


if __name__ == "__main__":
    main()
