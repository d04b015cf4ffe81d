"""Benchmark (not a test): provenance and telemetry (nox -s bench).

- a live run through the real SDK against the loopback Messages API with no tracer provider
  vs with the OpenTelemetry SDK and an in-memory exporter (routinec's span, plus the anthropic
  SDK's own call span): median of 30 each, alternated, warm; budget ≤ 5% more wall time;
- routinec's part alone: `run_span` + `response` + `finish` with the real SDK provider (µs per
  span), and `telemetry.enabled()` with no provider (ns per call: what every run pays);
- `attest` (statement built from the ledger and the lock, in-process) and `--verify` of it:
  median of 50 each; budget ≤ 50 ms.

Run: `python benchmarks/bench_attest.py`. Budgets are printed beside the figures.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from opentelemetry import trace  # noqa: E402
from opentelemetry.sdk.trace import TracerProvider  # noqa: E402
from opentelemetry.sdk.trace.export import SimpleSpanProcessor  # noqa: E402
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter  # noqa: E402
from opentelemetry.util._once import Once  # noqa: E402

from routinec import telemetry  # noqa: E402

LIVE_RUNS = 30
ATTESTS = 50


def _provider(on: bool) -> InMemorySpanExporter | None:
    trace._TRACER_PROVIDER_SET_ONCE = Once()
    trace._TRACER_PROVIDER = None
    if not on:
        return None
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    return exporter


def _median(fn: Callable[[], object], n: int) -> float:
    times = []
    for _ in range(n):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def bench_live(tmp: Path) -> None:
    from tests.runtime.conftest import write_project
    from tests.support.fake_api import TEST_KEY, FakeAnthropic

    from routinec.runtime import Runtime

    project = write_project(tmp / "live")
    with FakeAnthropic() as api:
        os.environ["ANTHROPIC_BASE_URL"], os.environ["ANTHROPIC_API_KEY"] = api.base_url, TEST_KEY
        figures: dict[str, list[float]] = {"off": [], "on": []}
        runtime = Runtime(project, "live", ledger=False)
        runtime.run("summarize_pr", {"title": "warm", "diff": "x"})
        for _ in range(3):
            for label in ("off", "on"):
                exporter = _provider(label == "on")
                figures[label].append(_median(lambda: runtime.run("summarize_pr", {"title": "t", "diff": "-a\n+b"}),
                                              LIVE_RUNS))
                if exporter is not None:
                    assert exporter.get_finished_spans(), "no span recorded"
        _provider(False)
    off, on = min(figures["off"]), min(figures["on"])
    extra = (on / off - 1) * 100
    print(f"live run, no provider / SDK  {off * 1000:7.2f} / {on * 1000:.2f} ms median  {extra:+.1f}%  "
          f"budget ≤ +5% {'ok' if extra <= 5 else 'OVER'}")


def bench_span_alone() -> None:
    _provider(True)
    body = {"id": "msg_x", "model": "m", "stop_reason": "end_turn", "usage": {"input_tokens": 3, "output_tokens": 4}}

    def one() -> None:
        span = telemetry.run_span(routine="r", version=1, entry_hash="sha256:e", model="m", params={"max_tokens": 5},
                                  run_id="0193", mode="live", case=None)
        assert span is not None
        span.response(body)
        span.finish()

    for _ in range(200):
        one()
    per_span = _median(one, 2000)
    _provider(False)
    n = 100_000
    start = time.perf_counter()
    for _ in range(n):
        telemetry.enabled()
    per_check = (time.perf_counter() - start) / n
    print(f"routinec span (SDK provider) {per_span * 1e6:7.1f} µs median per run")
    print(f"telemetry.enabled(), API loaded, no provider {per_check * 1e9:5.0f} ns per run")


def bench_attest(tmp: Path) -> None:
    from tests.runtime.conftest import write_project
    from tests.support.fake_api import TEST_KEY, FakeAnthropic

    from routinec.commands.attest import attest_run, verify_file
    from routinec.config import load_config
    from routinec.runtime import Runtime

    project = write_project(tmp / "attest")
    with FakeAnthropic() as api:
        os.environ["ANTHROPIC_BASE_URL"], os.environ["ANTHROPIC_API_KEY"] = api.base_url, TEST_KEY
        run_id = Runtime(project, "record").run_case("summarize_pr", "small_fix").run_id
    assert run_id is not None
    config = load_config(project)
    statement = tmp / "s.json"
    statement.write_bytes(attest_run(config, run_id))
    build = _median(lambda: attest_run(config, run_id), ATTESTS)
    check = _median(lambda: verify_file(config, statement), ATTESTS)
    assert not verify_file(config, statement).diagnostics
    for label, value in (("attest (build statement)", build), ("attest --verify", check)):
        print(f"{label:<28} {value * 1000:7.2f} ms median  budget ≤ 50 ms {'ok' if value <= 0.05 else 'OVER'}")


def main() -> None:
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        bench_live(tmp)
        bench_span_alone()
        bench_attest(tmp)


if __name__ == "__main__":
    main()
