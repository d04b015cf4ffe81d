"""`routinec attest`, end to end through the CLI in subprocesses: a recorded run in a real git
checkout attests to an in-toto / SLSA statement whose every digest is recomputed here from
the files themselves; `--verify` checks one against the ledger and the lock field by field;
every bad input is one diagnostic with a hint and its exit code, and writes nothing."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

from routinec.canonical import canonical_bytes, loads
from tests.helpers import json_lines
from tests.provenance.conftest import commit_all, git
from tests.runtime.conftest import cli_env, run_cli, snapshot, write_project
from tests.support.fake_api import FakeAnthropic, error_reply


def _attest(project: Path, run_id: str, *extra: str) -> dict[str, Any]:
    done = run_cli(project, "attest", run_id, *extra)
    assert done.returncode == 0, (done.stdout + done.stderr)
    data: dict[str, Any] = json.loads(done.stdout)
    return data


def _one_line_error(done: Any, code: str, exit_code: int) -> None:
    assert done.returncode == exit_code, done.stdout + done.stderr
    assert f"[{code}]" in (done.stdout + done.stderr), (done.stdout + done.stderr)
    assert "help:" in (done.stdout + done.stderr), (done.stdout + done.stderr)
    assert "Traceback" not in (done.stdout + done.stderr) and "internal error" not in (done.stdout + done.stderr), (done.stdout + done.stderr)


def test_statement_names_what_the_run_used(project: Path, recorded: dict[str, dict[str, Any]]) -> None:
    run = recorded["small_fix"]
    run_id = str(run["run_id"])
    [shown] = json_lines(run_cli(project, "ledger", "show", run_id, "--format", "json").stdout, "run")
    lock = json.loads((project / "routines.lock").read_text())["routines"]["summarize_pr"]
    head = git(project, "rev-parse", "HEAD")

    statement = _attest(project, run_id)
    assert statement["_type"] == "https://in-toto.io/Statement/v1"
    assert statement["predicateType"] == "https://slsa.dev/provenance/v1"
    # The subject: sha256 over the canonical JSON of the output, recomputed from the output itself.
    [subject] = statement["subject"]
    assert subject["name"] == "summarize_pr.v1.output.json"
    assert subject["digest"] == {"sha256": hashlib.sha256(canonical_bytes(shown["output"])).hexdigest()}

    build = statement["predicate"]["buildDefinition"]
    assert build["buildType"] == "urn:routinec:build-type:run:v1"
    assert build["externalParameters"] == {
        "routine": "summarize_pr", "version": 1, "case": "small_fix", "mode": "record",
        "inputDigest": shown["input_digest"],
    }
    assert build["internalParameters"]["entryHash"] == lock["entry_hash"]
    assert build["internalParameters"]["paramsDigest"] == run["params_digest"]
    deps = {d["name"]: d for d in build["resolvedDependencies"]}
    assert set(deps) == {"routines.lock", "git", "model", "prompt", "input_schema", "output_schema"}
    lock_bytes = (project / "routines.lock").read_bytes()
    assert deps["routines.lock"]["digest"] == {"sha256": hashlib.sha256(lock_bytes).hexdigest()}
    assert deps["git"] == {"name": "git", "digest": {"gitCommit": head},
                           "uri": f"git+https://git.example.com/team/demo.git@{head}"}
    assert deps["model"]["uri"].endswith("/claude-haiku-4-5-20251001")
    assert deps["model"]["annotations"]["alias"] == "claude-haiku-4-5"
    assert deps["prompt"]["digest"]["sha256"] == lock["prompt"]["hash"].removeprefix("sha256:")
    assert deps["input_schema"]["digest"]["sha256"] == lock["input_schema_hash"].removeprefix("sha256:")
    assert deps["output_schema"]["digest"]["sha256"] == lock["output_schema_hash"].removeprefix("sha256:")

    details = statement["predicate"]["runDetails"]
    assert details["metadata"] == {"invocationId": run_id, "startedOn": run["started_at"], "finishedOn": run["ended_at"]}
    assert details["builder"]["id"].startswith("urn:routinec:builder:")
    products = {b["name"]: b for b in details["byproducts"]}
    transcript = project / "golden" / "summarize_pr" / "small_fix.transcript.json"
    assert products["transcript"] == {
        "name": "transcript", "uri": "golden/summarize_pr/small_fix.transcript.json",
        "digest": {"sha256": hashlib.sha256(transcript.read_bytes()).hexdigest()},
    }
    assert products["response"]["uri"] == f"urn:anthropic:message:{run['response_id']}"
    assert b"s3cr3t-token" not in json.dumps(statement).encode() and "ci-bot" not in json.dumps(statement)


def test_bytes_are_deterministic_and_o_writes_them(project: Path, recorded: dict[str, dict[str, Any]], tmp_path: Path) -> None:
    run_id = str(recorded["typo"]["run_id"])
    first = run_cli(project, "attest", run_id)
    second = run_cli(project, "attest", run_id)
    assert first.returncode == second.returncode == 0
    assert first.stdout == second.stdout
    text = first.stdout
    assert text == json.dumps(json.loads(text), sort_keys=True, indent=2, ensure_ascii=False) + "\n"
    out = tmp_path / "run.intoto.json"
    written = run_cli(project, "attest", run_id, "-o", str(out))
    assert written.returncode == 0, (written.stdout + written.stderr)
    assert out.read_text() == text
    checked = run_cli(project, "attest", "--verify", str(out))
    assert checked.returncode == 0, (checked.stdout + checked.stderr)
    assert f"verified: run {run_id}" in checked.stdout
    verified = run_cli(project, "attest", "--verify", str(out), "--format", "json")
    [as_json] = json_lines(verified.stdout)  # no findings: the attestation record, then the summary
    assert as_json["kind"] == "attestation" and as_json["ok"] is True and as_json["signature"] == "not checked"
    assert json.loads(verified.stdout.splitlines()[-1])["verified"] is True


def test_verify_lists_each_field_that_differs(project: Path, recorded: dict[str, dict[str, Any]], tmp_path: Path) -> None:
    run_id = str(recorded["small_fix"]["run_id"])
    statement = _attest(project, run_id)
    statement["subject"][0]["digest"]["sha256"] = "0" * 64
    for dep in statement["predicate"]["buildDefinition"]["resolvedDependencies"]:
        if dep["name"] == "prompt":
            dep["digest"]["sha256"] = "1" * 64
    statement["predicate"]["buildDefinition"]["externalParameters"]["version"] = 7
    statement["predicate"]["runDetails"]["byproducts"] = [
        b for b in statement["predicate"]["runDetails"]["byproducts"] if b["name"] != "response"
    ]
    statement["predicate"]["buildDefinition"]["externalParameters"]["extra"] = "smuggled"
    forged = tmp_path / "forged.json"
    forged.write_text(json.dumps(statement))
    before = snapshot(project, ledger=True)
    done = run_cli(project, "attest", "--verify", str(forged))
    assert done.returncode == 1, done.stdout + done.stderr
    mismatches = [line for line in (done.stdout + done.stderr).splitlines() if "[attest-mismatch]" in line]
    fields = sorted(line.split(": error: ")[1].split(":")[0] for line in mismatches)
    assert fields[:3] == ["predicate.buildDefinition.externalParameters.extra",
                          "predicate.buildDefinition.externalParameters.version",
                          "predicate.buildDefinition.resolvedDependencies[prompt].digest.sha256"]
    assert "subject[summarize_pr.v1.output.json].digest.sha256" in fields
    assert any(f.startswith("predicate.runDetails.byproducts[response]") for f in fields)
    # ".extra" above: a field routinec never writes is a finding too
    assert any("the lock says" in line and "[prompt]" in line for line in mismatches)
    assert any("the ledger says" in line and "subject[" in line for line in mismatches)
    assert snapshot(project, ledger=True) == before


def test_a_tampered_transcript_is_a_finding(project: Path, recorded: dict[str, dict[str, Any]], tmp_path: Path) -> None:
    run_id = str(recorded["small_fix"]["run_id"])
    out = tmp_path / "s.json"
    assert run_cli(project, "attest", run_id, "-o", str(out)).returncode == 0
    transcript = project / "golden" / "summarize_pr" / "small_fix.transcript.json"
    data = loads(transcript.read_bytes())
    data["provenance"]["recorded_at"] = "1999-01-01T00:00:00Z"  # same request, same response id
    transcript.write_text(json.dumps(data))
    done = run_cli(project, "attest", "--verify", str(out))
    assert done.returncode == 1
    assert "byproducts[transcript].digest.sha256" in (done.stdout + done.stderr) and "the transcript says" in (done.stdout + done.stderr)


def test_a_lock_that_moved_on(project: Path, recorded: dict[str, dict[str, Any]], tmp_path: Path, fake_api: FakeAnthropic) -> None:
    """The run's entry is found in git history once the lock has moved on; --verify reports
    that the current lock no longer pins it."""
    run_id = str(recorded["small_fix"]["run_id"])
    before = _attest(project, run_id)
    out = tmp_path / "before.json"
    out.write_text(json.dumps(before))
    spec = project / "specs" / "summarize_pr.routine"
    spec.write_text(spec.read_text().replace("routine summarize_pr v1", "routine summarize_pr v2")
                    .replace('system "You are a careful code reviewer."', 'system "You are a strict code reviewer."'))
    assert run_cli(project, "lock").returncode == 0
    commit_all(project, "v2")
    after = _attest(project, run_id)
    assert after == before  # the entry the run used, read from routines.lock at the run's commit
    done = run_cli(project, "attest", "--verify", str(out))
    assert done.returncode == 1, (done.stdout + done.stderr)
    assert "annotations.entryHash" in (done.stdout + done.stderr) and "the current lock says" in (done.stdout + done.stderr)
    assert "superseded contract" in (done.stdout + done.stderr)


def test_bad_input_is_one_line_and_writes_nothing(project: Path, recorded: dict[str, dict[str, Any]], tmp_path: Path, fake_api: FakeAnthropic) -> None:
    before = snapshot(project, ledger=True)
    _one_line_error(run_cli(project, "attest", "0193f0f0-0000-7000-8000-000000000000"), "unknown-run", 2)
    # a failed run has no output to attest
    fake_api.push(error_reply(400, "bad request"))
    failed = run_cli(project, "record", "summarize_pr", "--case", "typo", env=cli_env(fake_api))
    assert failed.returncode != 0
    rows = json_lines(run_cli(project, "ledger", "ls", "--status", "error", "--format", "json").stdout, "run")
    _one_line_error(run_cli(project, "attest", rows[0]["run_id"]), "not-attestable", 2)
    before = snapshot(project, ledger=True)
    out = tmp_path / "never.json"
    bad: dict[str, str] = {
        "not-json.json": "{not json",
        "list.json": "[1, 2]",
        "other.json": json.dumps({"_type": "https://in-toto.io/Statement/v1", "predicateType": "https://example.com/other"}),
        "envelope.json": json.dumps({"payloadType": "text/plain", "payload": "e30=", "signatures": []}),
        "bad64.json": json.dumps({"payloadType": "application/vnd.in-toto+json", "payload": "***", "signatures": []}),
    }
    for name, text in bad.items():
        path = tmp_path / name
        path.write_text(text)
        _one_line_error(run_cli(project, "attest", "--verify", str(path)), "attest-invalid", 2)
    missing = run_cli(project, "attest", "--verify", str(tmp_path / "absent.json"))
    _one_line_error(missing, "attest-invalid", 2)
    statement = tmp_path / "ok.json"
    assert run_cli(project, "attest", str(rows[0]["run_id"]), "-o", str(out)).returncode == 2
    assert not out.exists()
    good = str(recorded["typo"]["run_id"])
    assert run_cli(project, "attest", good, "-o", str(statement)).returncode == 0
    pub = tmp_path / "k.pub"
    pub.write_text("not a key")
    _one_line_error(run_cli(project, "attest", "--verify", str(statement), "--key", str(pub)), "config", 2)
    usage = run_cli(project, "attest")
    assert usage.returncode == 2 and "RUN_ID" in (usage.stdout + usage.stderr)
    assert snapshot(project, ledger=True) == before


def test_a_project_without_a_ledger_creates_none(tmp_path: Path) -> None:
    other = write_project(tmp_path / "other")
    _one_line_error(run_cli(other, "attest", "0193f0f0-0000-7000-8000-000000000000"), "unknown-run", 2)
    assert not (other / ".routinec").exists()


def test_a_run_of_another_project(project: Path, recorded: dict[str, dict[str, Any]], tmp_path: Path) -> None:
    """Another project's ledger file copied in (or pointed at): its runs' lock entries are in
    neither this lock nor this git history."""
    other = tmp_path / "other"
    other.mkdir()
    (other / "pyproject.toml").write_text('[project]\nname = "o"\nversion = "0"\n')
    (other / "specs").mkdir()
    spec = (project / "specs" / "summarize_pr.routine").read_text().replace("careful", "sloppy")
    (other / "specs" / "summarize_pr.routine").write_text(spec)
    shutil.copytree(project / "specs" / "prompts", other / "specs" / "prompts")
    shutil.copytree(project / "golden", other / "golden")
    assert run_cli(other, "lock").returncode == 0
    shutil.copytree(project / ".routinec", other / ".routinec")
    done = run_cli(other, "attest", str(recorded["small_fix"]["run_id"]))
    _one_line_error(done, "foreign-run", 2)
