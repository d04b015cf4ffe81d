"""End to end: `routinec record` through the real SDK against the loopback server, then
`routinec test` replays offline; each report format; goldens and orphans."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

from routinec.canonical import digest, loads
from tests.runtime.conftest import cli_env, no_secret_anywhere, run_cli, snapshot
from tests.support.fake_api import TEST_KEY, FakeAnthropic, output_reply


def _record_all(project: Path, api: FakeAnthropic) -> None:
    result = run_cli(project, "record", env=cli_env(api))
    assert result.returncode == 0, (result.stdout + result.stderr) + result.stdout
    assert "3 recorded" in result.stdout


def test_record_writes_redacted_transcripts_that_replay(project: Path, fake_api: FakeAnthropic) -> None:
    _record_all(project, fake_api)
    path = project / "golden" / "summarize_pr" / "small_fix.transcript.json"
    data = loads(path.read_bytes())
    assert data["origin"] == "recorded"
    assert data["request_hash"] == digest(data["request"])
    assert data["provenance"]["request_id"].startswith("req_fake_")
    assert data["provenance"]["sdk_version"].startswith("anthropic-python ")
    assert data["provenance"]["anthropic_version"]
    assert set(data["response_headers"]) <= {"anthropic-version", "content-type", "request-id"}
    # The body the server received is the body the transcript holds (temperature via extra_body).
    sent = [r.body for r in fake_api.messages() if r.body["messages"][0]["content"].startswith("Title: Fix null")]
    assert sent == [json.loads(json.dumps(data["request"], default=float))]
    assert data["request"]["temperature"] == 0
    assert data["request"]["output_config"]["format"]["type"] == "json_schema"
    # Canonical on disk: sorted keys, 2-space indent, trailing newline.
    text = path.read_text()
    assert text.endswith("}\n") and text.startswith('{\n  "case": "small_fix",')
    no_secret_anywhere(project)

    first = run_cli(project, "test")
    assert first.returncode == 1 and "no golden output" in first.stdout
    update = run_cli(project, "test", "--update-golden")
    assert update.returncode == 0, update.stdout
    before = snapshot(project)
    replay = run_cli(project, "test", env=cli_env(CI="true"))
    assert replay.returncode == 0, replay.stdout + replay.stderr
    assert "3 passed, 0 failed" in replay.stdout
    assert snapshot(project) == before


def test_golden_drift_gives_field_level_diff_and_formats(project: Path, recorded_all: Path) -> None:
    assert run_cli(project, "test", "--update-golden").returncode == 0
    golden = project / "golden" / "summarize_pr" / "small_fix.output.json"
    value = json.loads(golden.read_text())
    value["risk"] = "high"
    value["summary"] = "  " + value["summary"] + "\n"  # text rule: whitespace does not matter
    golden.write_text(json.dumps(value))
    before = snapshot(project)

    text = run_cli(project, "test")
    assert text.returncode == 1
    assert "FAIL summarize_pr/small_fix" in text.stdout
    assert 'risk: expected "high", got "low"  [exact]' in text.stdout
    assert "summary" not in text.stdout.split("FAIL summarize_pr/small_fix")[1].split("routinec:")[0]

    as_json = run_cli(project, "test", "--format", "json", "--junit-xml", "report.xml")
    records = [json.loads(line) for line in as_json.stdout.splitlines()]
    assert records[-1]["kind"] == "summary" and records[-1]["exit_code"] == 1
    cases = [r for r in records if r["kind"] == "case"]
    assert len(cases) == 3
    failing = [c for c in cases if c["status"] == "fail"]
    assert [(c["routine"], c["case"]) for c in failing] == [("summarize_pr", "small_fix")]
    assert failing[0]["diffs"][0]["path"] == "risk"
    suite = ET.parse(project / "report.xml").getroot().find("testsuite")
    assert suite is not None and suite.get("failures") == "1" and suite.get("tests") == "3"

    github = run_cli(project, "test", "--format", "github")
    # Project-relative, like every other annotation routinec prints.
    assert github.stdout.startswith("::error file=golden/summarize_pr/small_fix.output.json,")
    (project / "report.xml").unlink()
    assert snapshot(project) == before


def test_orphans_and_missing_goldens_fail(project: Path, recorded_all: Path) -> None:
    assert run_cli(project, "test", "--update-golden").returncode == 0
    stray = project / "golden" / "summarize_pr" / "old_case.transcript.json"
    stray.write_text("{}\n")
    gone = project / "golden" / "removed_routine"
    gone.mkdir()
    (gone / "x.output.json").write_text("{}\n")
    result = run_cli(project, "test")
    assert result.returncode == 1
    assert "orphaned file: no locked test case owns golden/summarize_pr/old_case.transcript.json" in result.stdout
    assert "orphaned file: no locked routine owns golden/removed_routine/x.output.json" in result.stdout


def test_update_golden_refused_in_ci(project: Path) -> None:
    before = snapshot(project)
    result = run_cli(project, "test", "--update-golden", env=cli_env(CI="true"))
    assert result.returncode == 2
    assert "refused under CI=true" in (result.stdout + result.stderr)
    assert snapshot(project) == before


def test_missing_lock_exits_as_in_verify(tmp_path: Path) -> None:
    # A missing lock is a finding (exit 1) in every command, not 1 in verify and 2 in test.
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\nversion = "0"\n')
    (tmp_path / "specs").mkdir()
    (tmp_path / "specs" / "r.routine").write_text(
        'routine r v1 {\n  model "claude-haiku-4-5"\n  max_tokens 10\n  prompt """hi"""\n'
        "  output { a: string }\n}\n"
    )
    result = run_cli(tmp_path, "test")
    verify = run_cli(tmp_path, "verify")
    assert (result.returncode, verify.returncode) == (1, 1), (result.stdout + result.stderr) + (verify.stdout + verify.stderr)
    for run in (result, verify):
        assert "[lock-missing]" in (run.stdout + run.stderr) and "Traceback" not in (run.stdout + run.stderr)


def test_unknown_routine_and_case(project: Path) -> None:
    result = run_cli(project, "test", "sumarize_pr")
    assert result.returncode == 2 and "did you mean 'summarize_pr'" in (result.stdout + result.stderr)
    result = run_cli(project, "test", "summarize_pr", "--case", "nope")
    assert result.returncode == 2 and "no test case named 'nope'" in (result.stdout + result.stderr)


def test_record_refuses_missing_and_dummy_keys(project: Path) -> None:
    before = snapshot(project)
    missing = run_cli(project, "record", env=cli_env())
    assert missing.returncode == 2 and "no API key" in (missing.stdout + missing.stderr)
    dummy = run_cli(project, "record", env=cli_env(ANTHROPIC_API_KEY="your-api-key-here"))
    assert dummy.returncode == 2 and "placeholder" in (dummy.stdout + dummy.stderr)
    assert "Traceback" not in (missing.stdout + missing.stderr) + (dummy.stdout + dummy.stderr)
    assert snapshot(project) == before


def test_api_errors_are_one_line(project: Path, fake_api: FakeAnthropic) -> None:
    from tests.support.fake_api import error_reply

    fake_api.push(error_reply(401, "invalid x-api-key"), error_reply(400, "max_tokens: too large"))
    before = snapshot(project)
    result = run_cli(project, "record", "summarize_pr", "--jobs", "1", env=cli_env(fake_api))
    assert result.returncode == 1
    assert "the API answered 401: invalid x-api-key" in result.stdout
    assert "the API answered 400: max_tokens: too large" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr
    assert snapshot(project) == before


def test_record_check_reports_drift_without_writing(project: Path, recorded_all: Path, fake_api: FakeAnthropic) -> None:
    assert run_cli(project, "test", "--update-golden").returncode == 0
    before = snapshot(project)
    fake_api.respond = lambda req: output_reply(req, {"summary": "other", "risk": "high", "files": []})
    result = run_cli(project, "record", "summarize_pr", "--check", env=cli_env(fake_api))
    assert result.returncode == 1
    assert "DRIFT summarize_pr/small_fix" in result.stdout and "risk:" in result.stdout
    live = run_cli(project, "test", "summarize_pr", "--live", env=cli_env(fake_api))
    assert live.returncode == 1 and "DRIFT summarize_pr/typo" in live.stdout
    assert snapshot(project) == before


def test_redaction_of_configured_patterns(project: Path, fake_api: FakeAnthropic) -> None:
    fake_api.respond = lambda req: output_reply(
        req, {"summary": "account acct-123456 is affected", "risk": "low", "files": []}
    )
    result = run_cli(project, "record", "summarize_pr", "--case", "typo", env=cli_env(fake_api))
    assert result.returncode == 0, result.stdout
    data = loads((project / "golden" / "summarize_pr" / "typo.transcript.json").read_bytes())
    assert "acct-123456" not in json.dumps(data, default=str)
    assert data["redactions"] == 1
    assert "[REDACTED:pattern]" in data["responses"][0]["content"][0]["text"]


def test_response_echoing_a_key_is_redacted(project: Path, fake_api: FakeAnthropic) -> None:
    fake_api.respond = lambda req: output_reply(req, {"summary": f"k={TEST_KEY}", "risk": "low", "files": []})
    leak = "sk-ant-api03-" + "Zz9" * 10
    before = snapshot(project)
    run_cli(project, "record", "summarize_pr", "--case", "typo", env=cli_env(fake_api))
    # The key in use is scrubbed by value; a different key by the Anthropic key rule.
    data = (project / "golden" / "summarize_pr" / "typo.transcript.json").read_text()
    assert TEST_KEY not in data and "[REDACTED:api-key]" in data
    (project / "golden" / "summarize_pr" / "typo.transcript.json").unlink()
    assert snapshot(project) == before
    fake_api.respond = lambda req: output_reply(req, {"summary": leak, "risk": "low", "files": []})
    redacted = run_cli(project, "record", "summarize_pr", "--case", "typo", env=cli_env(fake_api))
    assert redacted.returncode == 0, redacted.stdout
    data = (project / "golden" / "summarize_pr" / "typo.transcript.json").read_text()
    assert leak not in data and "[REDACTED:anthropic-api-key]" in data


def test_update_golden_writes_only_what_changed(project: Path, recorded_all: Path) -> None:
    assert run_cli(project, "test", "--update-golden").returncode == 0
    goldens = sorted((project / "golden").rglob("*.output.json"))
    assert len(goldens) == 3
    # Hand-formatted but equal: must stay byte-for-byte (and mtime) as the user left it.
    changed = project / "golden" / "summarize_pr" / "small_fix.output.json"
    keep = next(g for g in goldens if g != changed)
    keep.write_text(json.dumps(json.loads(keep.read_text()), indent=4) + "\n")
    stat = keep.stat()
    kept_bytes = keep.read_bytes()
    value = json.loads(changed.read_text())
    value["risk"] = "high"
    changed.write_text(json.dumps(value))
    result = run_cli(project, "test", "--update-golden")
    assert result.returncode == 0, result.stdout
    assert "UPDATED summarize_pr/small_fix" in result.stdout
    assert result.stdout.count("UPDATED") == 1
    assert keep.read_bytes() == kept_bytes and keep.stat().st_mtime_ns == stat.st_mtime_ns
    assert json.loads(changed.read_text())["risk"] != "high"


def test_project_redact_patterns_apply_to_reports(project: Path, fake_api: FakeAnthropic, tmp_path: Path) -> None:
    # pyproject: [tool.routinec] redact = ["acct-[0-9]{6}"]; a golden that quotes an account
    # id must not print it in the report or the JUnit XML when the output differs from it.
    assert run_cli(project, "record", "summarize_pr", env=cli_env(fake_api)).returncode == 0
    assert run_cli(project, "test", "summarize_pr", "--update-golden").returncode == 0
    golden = project / "golden" / "summarize_pr" / "small_fix.output.json"
    data = json.loads(golden.read_text("utf-8"))
    data["summary"] = "billing for acct-123456"
    golden.write_text(json.dumps(data), "utf-8")
    junit = tmp_path / "junit.xml"
    result = run_cli(project, "test", "summarize_pr", "--format", "json", "--junit-xml", str(junit))
    assert result.returncode == 1, result.stdout + result.stderr
    assert "summary" in result.stdout and "REDACTED" in result.stdout
    for text in (result.stdout, (result.stdout + result.stderr), junit.read_text("utf-8")):
        assert "acct-123456" not in text


def test_record_prints_outputs_field_by_field_and_the_golden_verdict(project: Path, fake_api: FakeAnthropic) -> None:
    golden = project / "golden" / "summarize_pr"
    (golden / "small_fix.output.json").write_text(
        json.dumps({"summary": "x", "risk": "high", "files": [{"path": "a.py", "change": "added"}]})
    )
    (golden / "typo.output.json").write_text(json.dumps({"summary": "x", "risk": "low", "files": []}))
    long = "word " * 200
    fake_api.push(
        output_reply({}, {"summary": long, "risk": "low", "files": [{"path": "a.py", "change": "modified"}]}),
    )
    text = run_cli(project, "record", "summarize_pr", "--case", "small_fix", env=cli_env(fake_api))
    assert text.returncode == 0, text.stdout + text.stderr
    lines = text.stdout.splitlines()
    assert lines[0] == "RECORDED summarize_pr/small_fix -> golden/summarize_pr/small_fix.transcript.json"
    assert '  files[0].change: "modified"' in lines and '  files[0].path: "a.py"' in lines
    assert '  risk: "low"' in lines
    [summary] = [line for line in lines if line.startswith("  summary: ")]
    assert summary.endswith("… (1,000 chars)") and len(summary) < 140  # a long value is cut, its length kept
    assert "  golden: differs in 3 fields (files[0].change, risk, summary)" in lines
    assert '    risk: expected "high", got "low"  [exact]' in lines

    # JSON lines: the output as a JSON value, the golden's verdict, then the shared summary record.
    as_json = run_cli(project, "record", "summarize_pr", "--format", "json", env=cli_env(fake_api))
    assert as_json.returncode == 0, as_json.stdout + as_json.stderr
    records = [json.loads(line) for line in as_json.stdout.splitlines()]
    cases = {r["case"]: r for r in records if r["kind"] == "case"}
    assert cases["typo"]["output"] == {"files": [], "risk": "low", "summary": "x"}
    assert cases["typo"]["golden"] == {
        "status": "matches", "path": "golden/summarize_pr/typo.output.json", "fields": [], "error": None,
    }
    assert cases["small_fix"]["golden"]["status"] == "differs"
    assert cases["small_fix"]["golden"]["fields"] == ["files", "risk"]  # 1 item -> 0: the list differs
    assert records[-1]["kind"] == "summary" and records[-1]["command"] == "record"
    assert (records[-1]["recorded"], records[-1]["golden_differs"], records[-1]["golden_missing"]) == (2, 1, 0)

    (golden / "typo.output.json").unlink()
    missing = run_cli(project, "record", "summarize_pr", "--case", "typo", env=cli_env(fake_api))
    assert "  golden: none yet; review the output, then run 'routinec test summarize_pr --update-golden'" in missing.stdout


def test_readme_record_example_is_real_output(tmp_path: Path, fake_api: FakeAnthropic) -> None:
    """The README's `record` example: the shipped summarize_pr case recorded against a golden
    that says risk=high (the loopback API answers with the shipped golden's output)."""
    import shutil

    repo = Path(__file__).resolve().parents[2]
    readme = (repo / "README.md").read_text("utf-8")
    block = readme.split("`record` prints what it recorded, field by field, and what `test` will say about it:\n\n```\n")[1]
    expected = block.split("```")[0]
    root = tmp_path / "demo"
    for name in ("specs", "golden", "consumers"):
        shutil.copytree(repo / name, root / name)
    shutil.copy(repo / "routines.lock", root / "routines.lock")
    (root / "pyproject.toml").write_text('[project]\nname = "demo"\nversion = "0"\n')
    golden = root / "golden" / "summarize_pr" / "small_fix.output.json"
    fake_api.push(output_reply({}, json.loads(golden.read_text("utf-8"))))
    golden.write_text(golden.read_text("utf-8").replace('"risk": "low"', '"risk": "high"'), "utf-8")
    result = run_cli(root, "record", "summarize_pr", env=cli_env(fake_api))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith(expected), result.stdout
