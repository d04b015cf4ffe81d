"""verify --refresh-models: an alias that now points to another snapshot is a warning."""

from __future__ import annotations

from pathlib import Path

from routinec.canonical import dumps_pretty, loads
from routinec.lockfile import entry_hash
from tests.helpers import run_cli, write_project

SPEC = """routine r v1 {
  model "claude-haiku-4-5"
  max_tokens 100
  prompt "Say {{ word }}."
  input { word: string }
  output { said: string }
}
"""


def _project(tmp_path: Path) -> Path:
    root = write_project(tmp_path / "p", {"specs/r.routine": SPEC})
    assert run_cli("lock", cwd=root).code == 0
    return root


def test_unchanged_alias_reports_nothing(tmp_path: Path) -> None:
    root = _project(tmp_path)
    result = run_cli("verify", "--refresh-models", cwd=root)
    assert result.code == 0, result.output
    assert "now points to" not in result.output


def test_moved_alias_is_a_warning_naming_both_snapshots(tmp_path: Path) -> None:
    root = _project(tmp_path)
    lock_path = root / "routines.lock"
    data = loads(lock_path.read_text("utf-8"))
    entry = data["routines"]["r"]
    # As a lock written with --resolve-online when the alias still pointed to an older
    # snapshot: verify compiles against what the Models API answered then, so only
    # --refresh-models (asking again) notices that the alias moved.
    entry["model"]["snapshot"] = "claude-haiku-4-5-20240101"
    entry["model"]["resolved_by"] = "models-api"
    entry["entry_hash"] = entry_hash(entry)
    lock_path.write_text(dumps_pretty(data), "utf-8")
    before = lock_path.read_bytes()

    plain = run_cli("verify", cwd=root)
    assert plain.code == 0, plain.stderr
    assert "now points to" not in plain.stderr

    result = run_cli("verify", "--refresh-models", cwd=root)
    assert result.code == 0, result.output
    assert (
        "routine 'r': claude-haiku-4-5 now points to claude-haiku-4-5-20251001 "
        "(locked: claude-haiku-4-5-20240101)" in result.output
    )
    assert lock_path.read_bytes() == before
