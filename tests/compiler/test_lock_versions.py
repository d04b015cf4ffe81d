"""Lock written by another routinec version: a note; an entry that is not an object: corrupt."""

from __future__ import annotations

import json
from pathlib import Path

from tests.helpers import copy_examples, run_cli


def test_other_compiler_version_is_a_note(tmp_path: Path) -> None:
    root = copy_examples(tmp_path / "p")
    lock = root / "routines.lock"
    lock.write_text(lock.read_text("utf-8").replace('"compiler_version": "0.1.0"', '"compiler_version": "9.9.9"'))
    result = run_cli("verify", cwd=root)
    assert result.code == 0, result.output
    assert "note: the lockfile was written by routinec 9.9.9; this is 0.1.0" in result.output


def test_entry_that_is_not_an_object(tmp_path: Path) -> None:
    root = copy_examples(tmp_path / "p")
    lock = root / "routines.lock"
    data = json.loads(lock.read_text("utf-8"))
    data["routines"]["summarize_pr"] = 5
    lock.write_text(json.dumps(data))
    before = lock.read_bytes()
    result = run_cli("verify", cwd=root)
    assert result.code == 2
    assert "lock entry 'summarize_pr' is not an object  [lock-corrupt]" in result.output
    assert lock.read_bytes() == before
