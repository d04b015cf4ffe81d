"""OpenTelemetry (`routinec[otel]`): the real runtime and the real SDK against the loopback
Messages API, spans captured by the SDK's InMemorySpanExporter. Each live/record run is one
CLIENT span `chat {model}` with the GenAI semantic-convention attributes; an outcome is a
`gen_ai.evaluation.result` event parented to and linked with its run's span; replay makes
none; and without a tracer provider routinec never imports opentelemetry at all."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode
from opentelemetry.util._once import Once

from routinec.ledger import Ledger
from routinec.runtime import RoutineError, Runtime
from tests.helpers import json_lines
from tests.runtime.conftest import cli_env, run_cli
from tests.support.fake_api import TEST_KEY, FakeAnthropic, error_reply, message_reply

SNAPSHOT = "claude-haiku-4-5-20251001"


def _reset_globals() -> None:
    # What opentelemetry's own test utilities do: the global provider may be set once per process.
    trace._TRACER_PROVIDER_SET_ONCE = Once()
    trace._TRACER_PROVIDER = None


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    _reset_globals()
    trace.set_tracer_provider(provider)
    try:
        yield exporter
    finally:
        provider.shutdown()
        _reset_globals()


def _live(project: Path, api: FakeAnthropic, monkeypatch: pytest.MonkeyPatch, mode: str = "live") -> Runtime:
    monkeypatch.setenv("ANTHROPIC_BASE_URL", api.base_url)
    monkeypatch.setenv("ANTHROPIC_API_KEY", TEST_KEY)
    return Runtime(project, mode)


def _chat(exporter: InMemorySpanExporter) -> list[ReadableSpan]:
    return [s for s in exporter.get_finished_spans() if s.name.startswith("chat ")]


def test_live_run_is_one_client_span(project: Path, fake_api: FakeAnthropic, monkeypatch: pytest.MonkeyPatch,
                                     spans: InMemorySpanExporter) -> None:
    rt = _live(project, fake_api, monkeypatch)
    result = rt.run("summarize_pr", {"title": "Fix", "diff": "-a\n+b"})
    [span] = _chat(spans)
    assert span.name == f"chat {SNAPSHOT}" and span.kind is SpanKind.CLIENT
    attrs = dict(span.attributes or {})
    assert attrs["gen_ai.operation.name"] == "chat" and attrs["gen_ai.provider.name"] == "anthropic"
    assert attrs["gen_ai.request.model"] == SNAPSHOT
    assert attrs["gen_ai.request.temperature"] == 0 and attrs["gen_ai.request.max_tokens"] == 512
    assert attrs["gen_ai.response.model"] == result.served_model == SNAPSHOT
    assert attrs["gen_ai.response.id"] == "msg_fake"
    assert tuple(attrs["gen_ai.response.finish_reasons"]) == ("end_turn",)  # type: ignore[arg-type]
    assert attrs["gen_ai.usage.input_tokens"] == result.usage["input_tokens"] == 11
    assert attrs["gen_ai.usage.output_tokens"] == result.usage["output_tokens"] == 7
    assert attrs["routinec.routine"] == "summarize_pr" and attrs["routinec.version"] == 1
    assert attrs["routinec.entry_hash"] == result.entry_hash
    assert attrs["routinec.run_id"] == result.run_id and attrs["routinec.mode"] == "live"
    assert "error.type" not in attrs and span.status.status_code is StatusCode.UNSET
    # No content in spans: neither the input nor the output text.
    assert not any("Fix" in str(v) or "diff" in str(v) for v in attrs.values())
    with Ledger.open(project) as ledger:
        assert ledger.run(result.run_id or "").response_id == attrs["gen_ai.response.id"]


def test_failures_set_error_type(project: Path, fake_api: FakeAnthropic, monkeypatch: pytest.MonkeyPatch,
                                 spans: InMemorySpanExporter) -> None:
    rt = _live(project, fake_api, monkeypatch)
    fake_api.push(error_reply(400, "bad request"))
    with pytest.raises(RoutineError):
        rt.run("summarize_pr", {"title": "Fix", "diff": "x"})
    fake_api.push(message_reply([{"type": "text", "text": "{\"summary\": 3}"}]))
    with pytest.raises(RoutineError):
        rt.run("summarize_pr", {"title": "Fix", "diff": "y"})
    first, second = _chat(spans)
    assert first.attributes is not None and second.attributes is not None
    assert first.attributes["error.type"] == "api-error" and first.status.status_code is StatusCode.ERROR
    assert "gen_ai.response.id" not in first.attributes
    assert second.attributes["error.type"] == "invalid-output" and second.status.status_code is StatusCode.ERROR
    assert second.attributes["gen_ai.response.id"] == "msg_fake"  # the response came, its output did not validate
    with Ledger.open(project) as ledger:
        assert [r.run_id for r in ledger.runs()] == [first.attributes["routinec.run_id"], second.attributes["routinec.run_id"]]


def test_record_spans_and_replay_makes_none(project: Path, fake_api: FakeAnthropic, monkeypatch: pytest.MonkeyPatch,
                                           spans: InMemorySpanExporter) -> None:
    recorder = _live(project, fake_api, monkeypatch, mode="record")
    recorder.run_case("summarize_pr", "small_fix")
    [span] = _chat(spans)
    assert span.attributes is not None
    assert span.attributes["routinec.mode"] == "record" and span.attributes["routinec.case"] == "small_fix"
    Runtime(project, "replay").run_case("summarize_pr", "small_fix")
    Runtime(project, "replay", ledger=True).run_case("summarize_pr", "small_fix")
    assert len(_chat(spans)) == 1


def test_the_sdk_call_span_nests_under_the_run_span(project: Path, fake_api: FakeAnthropic,
                                                    monkeypatch: pytest.MonkeyPatch, spans: InMemorySpanExporter) -> None:
    """The run span is current during the call: the anthropic SDK's own span is its child."""
    _live(project, fake_api, monkeypatch).run("summarize_pr", {"title": "Fix", "diff": "z"})
    [run] = _chat(spans)
    [call] = [s for s in spans.get_finished_spans() if s.instrumentation_scope.name == "com.anthropic.sdk.python"]
    assert call.parent is not None and call.parent.span_id == run.context.span_id
    assert call.context.trace_id == run.context.trace_id


def test_attribute_names_are_the_conventions(project: Path, fake_api: FakeAnthropic, monkeypatch: pytest.MonkeyPatch,
                                             spans: InMemorySpanExporter) -> None:
    """Every gen_ai.* name routinec sets is one the semantic-conventions package defines."""
    from opentelemetry.semconv._incubating.attributes import gen_ai_attributes

    known = {v for k, v in vars(gen_ai_attributes).items() if k.startswith("GEN_AI_") and isinstance(v, str)}
    result = _live(project, fake_api, monkeypatch).run("summarize_pr", {"title": "Fix", "diff": "-a"})
    with Ledger.open(project) as ledger:
        ledger.outcome(result.run_id or "", "accepted")
    ours = [s for s in spans.get_finished_spans() if s.instrumentation_scope.name == "routinec"]
    names = {k for s in ours for k in (s.attributes or {})} | {k for s in ours for e in s.events for k in (e.attributes or {})}
    gen_ai = {n for n in names if n.startswith("gen_ai.")}
    assert len(gen_ai) >= 12 and gen_ai <= known, gen_ai - known


def test_outcomes_are_evaluation_events_linked_to_the_run(project: Path, fake_api: FakeAnthropic,
                                                          monkeypatch: pytest.MonkeyPatch,
                                                          spans: InMemorySpanExporter) -> None:
    result = _live(project, fake_api, monkeypatch).run("summarize_pr", {"title": "Fix", "diff": "-a\n+b"})
    [run] = _chat(spans)
    corrected = {**result.output, "risk": "high" if result.output["risk"] != "high" else "low"}
    with Ledger.open(project) as ledger:
        first = ledger.outcome(result.run_id or "", "accepted", by="alice")
        second = ledger.outcome(result.run_id or "", "modified", correction=corrected, by="bob", overrides=first.outcome_id)
    evaluations = [s for s in spans.get_finished_spans() if s.name == "evaluation summarize_pr"]
    assert len(evaluations) == 2
    for span, outcome in zip(evaluations, (first, second), strict=True):
        assert span.parent is not None and span.parent.span_id == run.context.span_id
        assert span.context.trace_id == run.context.trace_id
        assert [link.context.span_id for link in span.links] == [run.context.span_id]
        [event] = span.events
        assert event.name == "gen_ai.evaluation.result"
        attrs = dict(event.attributes or {})
        assert attrs["gen_ai.evaluation.name"] == "routinec.outcome"
        assert attrs["gen_ai.evaluation.score.label"] == outcome.verdict
        assert attrs["gen_ai.response.id"] == "msg_fake" and attrs["routinec.run_id"] == result.run_id
        assert attrs["routinec.outcome_id"] == outcome.outcome_id
    last = dict(evaluations[1].events[0].attributes or {})
    assert last["routinec.outcome.overrides"] == first.outcome_id and last["routinec.outcome.fields_changed"] == 1


def test_outcome_for_a_run_of_another_process(project: Path, fake_api: FakeAnthropic, spans: InMemorySpanExporter) -> None:
    """The run span was another process's: the event still names the run and its response."""
    assert run_cli(project, "record", "chat", env=cli_env(fake_api)).returncode == 0
    with Ledger.open(project) as ledger:
        [run] = ledger.runs()
        ledger.outcome(run.run_id, "rejected", source="pipeline")
    [span] = spans.get_finished_spans()
    assert span.parent is None and not span.links
    attrs = dict(span.events[0].attributes or {})
    assert attrs["routinec.run_id"] == run.run_id and attrs["gen_ai.response.id"] == run.response_id
    assert attrs["gen_ai.evaluation.score.label"] == "rejected" and attrs["routinec.outcome.source"] == "pipeline"


PROBE = """
import json, sys
from routinec import telemetry
from routinec.runtime import Runtime
from routinec.ledger import Ledger
root = sys.argv[1]
if sys.argv[2] == "replay":
    # verify, check and replay paths: nothing of OpenTelemetry is imported, not even the API.
    from routinec.cli import main
    for args in (["verify"], ["check"]):
        try:
            main(args + ["--project", root])
        except SystemExit as exit:
            assert exit.code == 0, (args, exit.code)
    run = Runtime(root, "replay", ledger=True).run_case("chat", "hello")
    Ledger.open(root).outcome(run.run_id, "accepted")
else:
    # live and record with no tracer provider: the anthropic SDK loads the API, routinec
    # records nothing and loads nothing more.
    live = Runtime(root, "live").run("summarize_pr", {"title": "Fix", "diff": "q"})
    Ledger.open(root).outcome(live.run_id, "accepted")
    Runtime(root, "record").run_case("chat", "hello")
    assert not telemetry.enabled()
print(json.dumps(sorted(m for m in sys.modules if m.startswith("opentelemetry"))))
"""


def test_without_a_provider_it_costs_nothing(project: Path, fake_api: FakeAnthropic) -> None:
    live = subprocess.run([sys.executable, "-c", PROBE, str(project), "live"], capture_output=True, text=True,
                          env=cli_env(fake_api), timeout=120, check=False)
    assert live.returncode == 0, live.stderr
    assert not any(m.startswith("opentelemetry.sdk") for m in json.loads(live.stdout))
    assert len(fake_api.messages()) == 2
    replay = subprocess.run([sys.executable, "-c", PROBE, str(project), "replay"], capture_output=True, text=True,
                            env=cli_env(), timeout=120, check=False)
    assert replay.returncode == 0, replay.stderr
    assert json.loads(replay.stdout) == []


def test_without_opentelemetry_installed(project: Path, fake_api: FakeAnthropic, tmp_path: Path) -> None:
    """opentelemetry made unimportable for real (a shadow package that raises): replay, verify
    and outcomes work unchanged. (Live and record need it anyway: the anthropic SDK depends on
    opentelemetry-api.)"""
    assert run_cli(project, "record", "chat", env=cli_env(fake_api)).returncode == 0
    assert run_cli(project, "test", "chat", "--update-golden").returncode == 0
    shadow = tmp_path / "shadow" / "opentelemetry"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text('raise ImportError("opentelemetry is not installed (test shadow)")\n')
    env = cli_env(PYTHONPATH=str(shadow.parent))
    for args in (("test", "chat", "--ledger"), ("verify",)):
        done = run_cli(project, *args, env=env)
        assert done.returncode == 0, (args, done.stdout + done.stderr)
    listed = json_lines(run_cli(project, "ledger", "ls", "--format", "json", env=env).stdout, "run")
    assert [r["mode"] for r in listed] == ["record", "replay"]
    done = run_cli(project, "outcome", str(listed[0]["run_id"]), "accepted", env=env)
    assert done.returncode == 0, done.stderr
