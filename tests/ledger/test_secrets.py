"""No secret ever reaches the ledger file: every shape the redactor knows, planted in the
inputs, the system prompt rendered from them, the model's output (raw and JSON-escaped), a
response header, an invalid output quoted in an error, and an outcome's comment and
correction; then the raw bytes of the SQLite database (and any WAL file), or every row of every
table of the PostgreSQL database, are searched."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from routinec.ledger import Ledger
from routinec.runtime import RoutineError, Runtime
from tests.ledger.backends import Backend
from tests.runtime.test_secrets_everywhere import _all_secrets, _project, _reply
from tests.support.fake_api import TEST_KEY, FakeAnthropic, message_reply
from tests.support.secrets import leaks, secret_part, shapes


def test_no_secret_reaches_the_ledger(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, backend: Backend) -> None:
    root = backend.configure(_project(tmp_path / "proj"))
    with FakeAnthropic(_reply) as api:
        monkeypatch.setenv("ANTHROPIC_BASE_URL", api.base_url)
        monkeypatch.setenv("ANTHROPIC_API_KEY", TEST_KEY)
        runtime = Runtime(root, "record")
        ids = [runtime.run_case("summarize_pr", case).run_id for case in ("raw", "escaped")]
        live = Runtime(root, "live")
        ids.append(live.run("summarize_pr", {"title": "t", "diff": _all_secrets(), "notes": _all_secrets()}).run_id)
        # An output that fails the schema, quoting secrets: the error is recorded, redacted.
        api.push(message_reply([{"type": "text", "text": json.dumps({"summary": _all_secrets(), "risk": "extreme"})}]))
        with pytest.raises(RoutineError):
            live.run("summarize_pr", {"title": "t", "diff": "d", "notes": "n"})
    assert runtime.ledger_failures == [] and live.ledger_failures == []

    with Ledger.open(root) as ledger:
        run_id = ids[0] or ""
        ledger.outcome(run_id, "rejected", comment="leaked " + _all_secrets(), by="alice")
        correction = {"summary": "fixed " + _all_secrets(), "risk": "high",
                      "files": [{"path": shapes()["github-token"], "change": "deleted"}]}
        ledger.outcome(run_id, "modified", correction=correction, comment=shapes()["jwt"])
        statuses = [r.status for r in ledger.runs()]
    assert statuses == ["ok", "ok", "ok", "invalid-output"]

    text = backend.text(root)
    assert leaks(text) == []
    for value in shapes().values():
        assert secret_part(value) not in text
    assert TEST_KEY not in text
    assert "[REDACTED:" in text  # the content is there, redacted, not dropped
