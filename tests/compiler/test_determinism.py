"""`routinec lock` is byte-identical across PYTHONHASHSEEDs, processes and project locations."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import DATA, cli_env, copy_case, run_cli


@pytest.mark.parametrize("case", ["multi_file", "all_parameters"])
def test_lock_bytes_independent_of_hash_seed_and_directory(case: str, tmp_path: Path) -> None:
    source = DATA / "lock" / case
    outputs = {}
    for seed, where in (
        ("0", tmp_path / "a" / "project"),
        ("12345", tmp_path / "b" / "deeper" / "copy"),
    ):
        root = copy_case(source, where, skip=("expected.lock",))
        result = run_cli("lock", cwd=root, env=cli_env(PYTHONHASHSEED=seed))
        assert result.code == 0, result.output
        outputs[seed] = (root / "routines.lock").read_bytes()
    assert outputs["0"] == outputs["12345"]
    assert outputs["0"] == (source / "expected.lock").read_bytes()
    assert str(tmp_path).encode() not in outputs["0"]  # no absolute path leaks into the lock
