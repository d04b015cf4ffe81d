"""Benchmark: offline replay of a tool-using routine's multi-turn transcript.

Run: `python benchmarks/bench_tools.py [--repeats N] [--cases N]`. Prints figures; fails on nothing.
A temp project whose routine has a read tool is recorded once against the loopback Messages
API (tests/support/fake_api.py, the real anthropic SDK): 10 turns, 20 tool calls (9 tool
turns, some parallel, then the answer). Then the case is replayed offline, order-checked turn
by turn, tool results from the transcript, golden compared and its trajectory expectations
checked (`runtime.suite.run_case`), `--repeats` times for the per-replay figure and `--cases`
times for the suite figure. Budgets: ≤ 5 ms per replay; 1,000 replays within the single-turn
replay budget (1,000 cases < 1.0 s) scaled by turns (× 10: < 10 s).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # for tests.support.fake_api and tests.tools.conftest

SPEC = '''\
routine triage v1 {
  model "claude-haiku-4-5"
  max_tokens 1024
  max_turns 10
  max_tool_calls 20
  tool search_code "MOD:search_code" { effect read  volatile ["took_ms"] }
  tool read_file "MOD:read_file" { effect read }
  tool add_label "MOD:add_label" { effect write  dry_run "MOD:preview_label" }
  input { title: string }
  output {
    label: "bug" | "duplicate" | "question"
    reason: string
  }
  prompt "Triage this issue: {{ title }}"
  test dup {
    input { title: "Crash on save" }
    expect turns <= 10
  }
}
'''
PER_TURN = (2, 2, 2, 2, 2, 2, 2, 3, 3)  # 9 tool turns, 20 calls


def record(root: Path) -> None:
    from tests.support.fake_api import TEST_KEY, FakeAnthropic, tool_script
    from tests.tools.conftest import FINAL, write_tools_project

    from routinec.runtime.core import Runtime

    write_tools_project(root, spec=SPEC)
    steps: list[object] = [
        [("read_file", {"path": f"src/file_{turn}_{k}.py"}) for k in range(n)] for turn, n in enumerate(PER_TURN)
    ]
    steps.append(("final", FINAL))
    with FakeAnthropic(tool_script(steps)) as api:
        os.environ["ANTHROPIC_BASE_URL"] = api.base_url
        os.environ.pop("CI", None)
        result = Runtime(root, "record", ledger=False, api_key=TEST_KEY).run_case("triage", "dup")
    assert result.turns == 10 and len(result.tool_calls) == 20, (result.turns, len(result.tool_calls))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=300)
    parser.add_argument("--cases", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="routinec-bench-tools-") as tmp:
        root = Path(tmp) / "project"
        record(root)
        from routinec.runtime.core import Runtime
        from routinec.runtime.suite import run_case

        runtime = Runtime(root, "replay", ledger=False)
        outcome = run_case(runtime, "triage", "dup")
        assert outcome.status == "pass", outcome.lines()
        times = []
        for _ in range(args.repeats):
            start = time.perf_counter()
            outcome = run_case(runtime, "triage", "dup")
            times.append(time.perf_counter() - start)
        assert outcome.status == "pass"
        median, p95 = statistics.median(times), sorted(times)[int(len(times) * 0.95)]
        verdict = "met" if median <= 0.005 else "OVER"
        print(
            f"replay of a 10-turn, 20-tool-call transcript (order-checked, golden + trajectory compared): "
            f"median {median * 1000:.2f} ms, p95 {p95 * 1000:.2f} ms over {args.repeats} runs; budget ≤ 5 ms: {verdict}"
        )
        start = time.perf_counter()
        for _ in range(args.cases):
            assert run_case(runtime, "triage", "dup").status == "pass"
        total = time.perf_counter() - start
        budget = args.cases / 1000 * 1.0 * 10
        verdict = "met" if total <= budget else "OVER"
        print(
            f"{args.cases} such replays: {total:.2f} s ({total / args.cases * 1000:.2f} ms each); "
            f"budget: the single-turn replay budget (1,000 cases < 1.0 s) × 10 turns = {budget:.1f} s: {verdict}"
        )


if __name__ == "__main__":
    main()
