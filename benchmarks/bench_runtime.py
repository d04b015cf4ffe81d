"""Benchmark: replay + golden-compare 1,000 recorded cases, against the usual alternative.

Run: `python benchmarks/bench_runtime.py [--cases N]`. Prints figures; fails on nothing.
routinec side: fixture transcripts for N cases in a temp project, `run_suite` in replay mode.
Alternative: the anthropic SDK replaying the same answers through vcrpy cassettes (one per
case), plus the same schema validation and golden comparison. The script checks that vcrpy
really intercepted (the loopback server must see no replayed request) and says so if not.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # for tests.runtime.lockbuilder and tests.support.fake_api


def build_project(root: Path, cases: int, routines: int = 10) -> None:
    from tests.runtime import lockbuilder

    from routinec.runtime.fixtures import write_fixtures

    per = cases // routines
    entries = []
    for r in range(routines):
        tests = {f"case_{i:04d}": {"question": f"question {r}-{i}: " + "context " * 20} for i in range(per)}
        entries.append(lockbuilder.entry(f"routine_{r:02d}", tests=tests, template="Answer briefly.\nQ: {{ question }}\n"))
    lockbuilder.write_project(root, *entries)
    write_fixtures(root)


def time_routinec(root: Path, repeats: int) -> tuple[list[float], int]:
    from routinec.runtime.core import Runtime
    from routinec.runtime.suite import run_suite

    times = []
    passed = 0
    for _ in range(repeats):
        start = time.perf_counter()
        outcomes = run_suite(Runtime(root, mode="replay"), [])
        times.append(time.perf_counter() - start)
        passed = sum(1 for o in outcomes if o.status == "pass")
    return times, passed


def _answers(root: Path) -> list[tuple[dict[str, Any], dict[str, Any], Any, dict[str, Any]]]:
    """(request, response, golden, output schema) per case, read from the fixture files."""
    import json

    from routinec.lockfile import read_lock

    lock = read_lock(root / "routines.lock")
    rows = []
    for path in sorted((root / "golden").glob("*/*.transcript.json")):
        data = json.loads(path.read_text())
        golden = json.loads(path.with_name(path.name.replace(".transcript.", ".output.")).read_text())
        schema = json.loads(json.dumps(lock.routines[data["routine"]].output_schema, default=float))
        rows.append((data["request"], data["responses"][0], golden, schema))
    return rows


def _sdk_replay(client: Any, rows: list[Any]) -> int:
    import json

    from jsonschema import Draft202012Validator

    ok = 0
    validators: dict[str, Any] = {}
    for request, _response, golden, schema in rows:
        extra = {k: request[k] for k in ("temperature", "top_p", "top_k") if k in request}
        body = {k: v for k, v in request.items() if k not in extra}
        message = client.messages.create(**body, extra_body=extra or None, timeout=30.0)
        output = json.loads(message.content[0].text)
        key = json.dumps(schema, sort_keys=True)
        validator = validators.setdefault(key, Draft202012Validator(schema))
        ok += int(validator.is_valid(output) and output == golden)
    return ok


def time_vcrpy(root: Path) -> tuple[str, float | None, int]:
    """One cassette per case (the usual pytest-recording layout), recorded, then replayed."""
    import anthropic
    import vcr
    from tests.support.fake_api import TEST_KEY, FakeAnthropic, Reply

    rows = _answers(root)
    by_key = {json_key(r[0]): r[1] for r in rows}
    tapes = root / "cassettes"
    tapes.mkdir()
    recorder = vcr.VCR(match_on=["method", "path", "body"], decode_compressed_response=True)
    with FakeAnthropic(respond=lambda req: Reply(body=by_key[json_key(req)])) as api:
        client = anthropic.Anthropic(api_key=TEST_KEY, base_url=api.base_url, max_retries=0)
        for i, row in enumerate(rows):
            with recorder.use_cassette(str(tapes / f"{i:04d}.yaml"), record_mode="all"):
                _sdk_replay(client, [row])
        seen = len(api.requests)
        captured = sum(1 for _ in tapes.glob("*.yaml"))
        start = time.perf_counter()
        ok = 0
        for i, row in enumerate(rows):
            with recorder.use_cassette(str(tapes / f"{i:04d}.yaml"), record_mode="none"):
                ok += _sdk_replay(client, [row])
        seconds = time.perf_counter() - start
        if captured == len(rows) and len(api.requests) == seen:
            label = f"anthropic {anthropic.__version__} SDK + vcrpy, one cassette per case, replay + compare"
            return label, seconds, ok
        # vcrpy did not intercept (the server saw the replay): measure what actually ran.
        label = (
            f"vcrpy did NOT intercept anthropic {anthropic.__version__} (server saw the replay); "
            "measured: the SDK against a loopback HTTP server replaying the same answers"
        )
        return label, seconds, ok


def json_key(request: dict[str, Any]) -> str:
    import json

    return json.dumps(request, sort_keys=True, default=float)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="routinec-bench-") as tmp:
        root = Path(tmp) / "project"
        start = time.perf_counter()
        build_project(root, args.cases)
        print(f"setup: {args.cases} cases, fixture transcripts and goldens in {time.perf_counter() - start:.2f}s")
        times, passed = time_routinec(root, args.repeats)
        best, median = min(times), statistics.median(times)
        print(
            f"routinec replay + golden compare, {args.cases} cases: best {best:.3f}s, median {median:.3f}s "
            f"({passed} passed; budget < 1.0 s: {'OK' if median < 1.0 else 'OVER'})"
        )
        start = time.perf_counter()
        import anthropic  # noqa: F401  (what replay never pays)

        print(f"import anthropic (paid by the SDK alternative, never by replay): {time.perf_counter() - start:.2f}s")
        label, seconds, ok = time_vcrpy(root)
        if seconds is not None:
            print(f"{label}: {seconds:.3f}s ({ok} matched goldens)")
            print(f"ratio: routinec replay is {seconds / median:.1f}x faster (median vs one run)")


if __name__ == "__main__":
    main()
