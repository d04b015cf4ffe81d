"""Benchmark (not a test): time and peak memory of each adversarial schema pair.

The pairs are those of `tests/compat/adversarial.py`; each runs in its own subprocess (so
peak RSS is the pair's own, after the libraries are imported) under a 2 GB address-space cap
and a 120 s guard. Budget per pair: 1 s and 256 MB. Prints figures; fails nothing.
Run: `python benchmarks/bench_compat_adversarial.py`.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.compat.adversarial import CASES  # noqa: E402

BUDGET_S = 1.0
BUDGET_MB = 256
CAP_MB = 2048


def measure(case_id: str) -> dict[str, object]:
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "tests.compat.adversarial", case_id, str(CAP_MB)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
    except subprocess.TimeoutExpired:
        return {"failed": "over 120 s"}
    if proc.returncode != 0:
        return {"failed": proc.stderr.strip().splitlines()[-1] if proc.stderr else "crashed"}
    result: dict[str, object] = json.loads(proc.stdout)
    return result


def main() -> None:
    print(f"{'pair':36} {'time s':>8} {'peak MB':>8} {'growth MB':>9}  result")
    slowest = ("", 0.0)
    heaviest = ("", 0.0)
    over = []
    for case_id, *_ in CASES:
        r = measure(case_id)
        if "failed" in r:
            print(f"{case_id:36} {'-':>8} {'-':>8} {'-':>9}  FAILED: {r['failed']}")
            over.append(case_id)
            continue
        seconds, peak, growth = float(r["seconds"]), float(r["peak_mb"]), float(r["growth_mb"])
        verdict = r.get("compatibility") or f"error: {r.get('error')}"
        print(
            f"{case_id:36} {seconds:8.3f} {peak:8.1f} {growth:9.1f}  {verdict} {r.get('worst', '')}"
        )
        if seconds > slowest[1]:
            slowest = (case_id, seconds)
        if peak > heaviest[1]:
            heaviest = (case_id, peak)
        if seconds > BUDGET_S or peak > BUDGET_MB:
            over.append(case_id)
    print(f"slowest pair: {slowest[0]} {slowest[1]:.3f} s (budget {BUDGET_S} s)")
    print(f"highest peak RSS: {heaviest[0]} {heaviest[1]:.1f} MB (budget {BUDGET_MB} MB)")
    print("over budget: " + (", ".join(over) if over else "none"))


if __name__ == "__main__":
    main()
