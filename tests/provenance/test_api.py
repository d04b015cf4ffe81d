"""The provenance layer in-process (no CLI): replayed runs name the transcript they replayed,
digests-only ledgers attest the same way, and the statement model reads back what it writes."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from routinec.canonical import loads
from routinec.commands.attest import attest_run, verify_file
from routinec.config import load_config
from routinec.provenance.statement import BadStatement, Statement
from routinec.runtime import Runtime
from tests.support.fake_api import TEST_KEY, FakeAnthropic


def test_replayed_run_names_the_replayed_transcript(project: Path, fake_api: FakeAnthropic,
                                                    monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    pyproject = project / "pyproject.toml"
    pyproject.write_text(pyproject.read_text() + '\n[tool.routinec.ledger]\ncontent = "digests"\n')
    monkeypatch.setenv("ANTHROPIC_BASE_URL", fake_api.base_url)
    monkeypatch.setenv("ANTHROPIC_API_KEY", TEST_KEY)
    recorded = Runtime(project, "record").run_case("summarize_pr", "small_fix")
    replayed = Runtime(project, "replay", ledger=True).run_case("summarize_pr", "small_fix")
    assert recorded.run_id and replayed.run_id and recorded.transcript is not None
    config = load_config(project)
    transcript = hashlib.sha256(recorded.transcript.read_bytes()).hexdigest()
    for run_id, mode in ((recorded.run_id, "record"), (replayed.run_id, "replay")):
        data = loads(attest_run(config, run_id))
        assert data["predicate"]["buildDefinition"]["externalParameters"]["mode"] == mode
        products = {b["name"]: b for b in data["predicate"]["runDetails"]["byproducts"]}
        assert products["transcript"]["digest"] == {"sha256": transcript}
        assert Statement.from_json(data).to_json() == data  # the model reads back what it writes
        path = tmp_path / f"{mode}.json"
        path.write_bytes(attest_run(config, run_id))
        checked = verify_file(config, path)
        assert checked.diagnostics == [] and checked.run_id == run_id
    # The same output both times: the same subject.
    subjects = {loads(attest_run(config, r))["subject"][0]["digest"]["sha256"] for r in (recorded.run_id, replayed.run_id)}
    assert len(subjects) == 1
    # A live ad-hoc call has no case and no transcript.
    live = Runtime(project, "live").run("summarize_pr", {"title": "T", "diff": "d"})
    names = [b["name"] for b in loads(attest_run(config, live.run_id or ""))["predicate"]["runDetails"]["byproducts"]]
    assert names == ["response"]


@pytest.mark.parametrize(
    ("mutate", "words"),
    [
        (lambda d: d.pop("subject"), "subject must be a non-empty list"),
        (lambda d: d["predicate"]["buildDefinition"].update(buildType="https://example.com/other"), "buildType"),
        (lambda d: d["predicate"]["buildDefinition"]["externalParameters"].update(version="1"), "version must be an integer"),
        (lambda d: d["predicate"]["runDetails"]["metadata"].pop("invocationId"), "invocationId must be a string"),
        (lambda d: d["predicate"]["buildDefinition"]["resolvedDependencies"].append({"name": "x"}), "neither uri nor digest"),
        (lambda d: d["subject"].append(dict(d["subject"][0])), "subject names 'o' twice"),
    ],
)
def test_statement_shape_errors_name_the_field(mutate: object, words: str) -> None:
    data = {
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": "o", "digest": {"sha256": "a" * 64}}],
        "predicateType": "https://slsa.dev/provenance/v1",
        "predicate": {
            "buildDefinition": {
                "buildType": "urn:routinec:build-type:run:v1",
                "externalParameters": {"routine": "r", "version": 1, "case": None, "mode": "live", "inputDigest": None},
                "internalParameters": {"entryHash": "e", "paramsDigest": "p", "requestHash": None, "modelAlias": "m",
                                       "outputSchemaHash": "s", "routinecVersion": "0"},
                "resolvedDependencies": [],
            },
            "runDetails": {"builder": {"id": "urn:routinec:builder:local", "version": {}},
                           "metadata": {"invocationId": "i", "startedOn": "a", "finishedOn": "b"}, "byproducts": []},
        },
    }
    assert Statement.from_json(data).to_json() == data
    assert callable(mutate)
    mutate(data)
    with pytest.raises(BadStatement, match=words):
        Statement.from_json(data)
