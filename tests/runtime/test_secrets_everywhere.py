"""End to end: every secret shape planted in every place a recording touches (input file,
a system prompt rendered from it, model output raw and JSON-escaped, response headers),
recorded through the real SDK against the loopback API, replayed, reported; then every file
under the project, the CLI's output and the JUnit XML are searched for the raw secrets."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from routinec.canonical import loads
from tests.runtime.conftest import cli_env, lock, run_cli, snapshot
from tests.support.fake_api import FakeAnthropic, Reply, message_reply
from tests.support.secrets import escaped, label, leaks, shapes

SPEC = '''\
type FileChange {
  path: string
  change: "added" | "modified" | "deleted"
}

routine summarize_pr v1 {
  model "claude-haiku-4-5"
  temperature 0
  max_tokens 512
  system """Reviewer notes: {{ notes }}"""
  prompt file "specs/prompts/summarize_pr.j2"
  input {
    title: string
    diff: string
    notes: string
  }
  output {
    summary: string (min_length 1)
    risk: "low" | "medium" | "high"
    files: list[FileChange]
  }
  test raw {
    input file "golden/summarize_pr/raw.input.json"
    compare { summary: text }
  }
  test escaped {
    input file "golden/summarize_pr/escaped.input.json"
  }
}
'''


def _all_secrets() -> str:
    return "\n".join(f"{kind}: {value}" for kind, value in sorted(shapes().items()))


def _project(root: Path) -> Path:
    (root / "specs" / "prompts").mkdir(parents=True)
    (root / "golden" / "summarize_pr").mkdir(parents=True)
    (root / "pyproject.toml").write_text('[project]\nname = "demo"\nversion = "0"\n')
    (root / "specs" / "summarize_pr.routine").write_text(SPEC)
    (root / "specs" / "prompts" / "summarize_pr.j2").write_text("Title: {{ title }}\n\n{{ diff }}\n")
    for case in ("raw", "escaped"):
        planted = {"title": f"{case} leak", "diff": _all_secrets(), "notes": _all_secrets()}
        (root / "golden" / "summarize_pr" / f"{case}.input.json").write_text(json.dumps(planted))
    lock(root)
    return root


def _reply(request: dict[str, Any]) -> Reply:
    output = {"summary": _all_secrets(), "risk": "low", "files": [{"path": shapes()["aws-access-key"], "change": "added"}]}
    text = json.dumps(output, sort_keys=True)
    if "escaped leak" in json.dumps(request):
        text = escaped(text.replace("-", "\\u002d"))  # still valid JSON, same decoded value
    reply = message_reply([{"type": "text", "text": text}])
    # A proxy echoing credentials into headers: dropped (not allowlisted) or redacted (request-id).
    reply.headers = {
        "x-debug-authorization": shapes()["bearer-token"],
        "request-id": shapes()["jwt"],
    }
    return reply


def _no_leaks(root: Path, *, planted: set[str]) -> None:
    for rel, data in snapshot(root, ledger=True).items():  # the run ledger too
        if rel in planted:
            continue
        assert leaks(data.decode("utf-8", "replace")) == [], rel


def test_every_shape_in_every_place_is_redacted(tmp_path: Path) -> None:
    root = _project(tmp_path / "proj")
    inputs = {"golden/summarize_pr/raw.input.json", "golden/summarize_pr/escaped.input.json"}
    with FakeAnthropic(_reply) as api:
        recorded = run_cli(root, "record", env=cli_env(api))
        sent = [r.body for r in api.messages()]
    assert recorded.returncode == 0, recorded.stdout + recorded.stderr
    assert leaks(recorded.stdout + recorded.stderr) == []
    # The server really received the secrets (so the transcript had something to redact).
    assert leaks(json.dumps(sent)) == sorted(shapes())

    for case in ("raw", "escaped"):
        data = loads((root / "golden" / "summarize_pr" / f"{case}.transcript.json").read_bytes())
        text = json.dumps(data, default=str)
        assert data["redactions"] > 0
        for kind in shapes():
            assert f"[REDACTED:{label(kind)}]" in text, (case, kind)
        assert "x-debug-authorization" not in data["response_headers"]
    _no_leaks(root, planted=inputs)

    # Request hashes were taken before redaction: replay still matches, offline, under CI.
    update = run_cli(root, "test", "--update-golden")
    assert update.returncode == 0, update.stdout + update.stderr
    replay = run_cli(root, "test", "--format", "json", "--junit-xml", "report.xml", env=cli_env(CI="true"))
    assert replay.returncode == 0, replay.stdout + replay.stderr
    _no_leaks(root, planted=inputs)

    # A golden someone pasted a live secret into: the diff quotes it, every report redacts it.
    golden = root / "golden" / "summarize_pr" / "raw.output.json"
    value = json.loads(golden.read_text())
    value["summary"] = "changed: " + _all_secrets()
    value["files"][0]["path"] = shapes()["github-token"]
    golden.write_text(json.dumps(value))
    inputs.add("golden/summarize_pr/raw.output.json")
    for fmt in ("text", "json", "github"):
        failed = run_cli(root, "test", "--format", fmt, "--junit-xml", f"{fmt}.xml", "--verbose")
        assert failed.returncode == 1, failed.stdout + failed.stderr
        assert "raw" in failed.stdout
        assert leaks(failed.stdout + failed.stderr) == [], fmt
    assert "[REDACTED:github-token]" in (root / "text.xml").read_text()
    _no_leaks(root, planted=inputs)


def test_secrets_written_into_a_spec_stop_check_and_lock(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    (root / "specs" / "prompts").mkdir(parents=True)
    (root / "pyproject.toml").write_text('[project]\nname = "demo"\nversion = "0"\n')
    values = shapes()
    one_line = {k: v for k, v in values.items() if "\n" not in v}
    system = " ".join(one_line.values())
    inline = ", ".join(f'k{i}: "{v}"' for i, v in enumerate(one_line.values()))
    fields = "\n".join(f"    k{i}: string" for i in range(len(one_line)))
    (root / "specs" / "prompts" / "p.j2").write_text("{{ k0 }}\n" + values["private-key"] + "\n")
    spec = (
        "routine leaky v1 {\n"
        '  model "claude-haiku-4-5"\n  max_tokens 100\n'
        f'  system "{system}"\n'
        '  prompt file "specs/prompts/p.j2"\n'
        f"  input {{\n{fields}\n  }}\n"
        "  output { y: string }\n"
        f"  test inline {{\n    input {{ {inline} }}\n  }}\n"
        "}\n"
    )
    (root / "specs" / "leaky.routine").write_text(spec)
    before = snapshot(root)

    check = run_cli(root, "check", "--format", "json")
    assert check.returncode == 2, check.stdout + check.stderr
    records = [json.loads(line) for line in check.stdout.splitlines() if line.startswith("{")]
    found = [r for r in records if r.get("code") == "secret-in-spec"]
    kinds = {r["message"].split("(")[1].split(")")[0] for r in found}
    assert {label(k) for k in one_line} <= kinds and "private-key" in kinds
    assert any(r["span"]["path"] == "specs/prompts/p.j2" for r in found if isinstance(r.get("span"), dict)) or any(
        "p.j2" in json.dumps(r) for r in found
    )
    assert leaks(check.stdout + check.stderr) == []

    text = run_cli(root, "check")
    assert "error:" in text.stdout + text.stderr and leaks(text.stdout + text.stderr) == []
    assert text.returncode == 2

    locked = run_cli(root, "lock")
    assert locked.returncode == 2
    assert "error:" in locked.stdout + locked.stderr and "[secret-in-spec]" in locked.stdout + locked.stderr
    assert leaks(locked.stdout + locked.stderr) == []
    assert snapshot(root) == before  # no routines.lock written
