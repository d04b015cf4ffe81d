"""A CRLF checkout (git autocrlf) of the same project is the same project: same lock, same
prompts, same replay."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import cli_env, copy_examples, run_cli


def _crlf_copy(dest: Path) -> Path:
    copy_examples(dest)
    for path in [*dest.joinpath("specs").rglob("*.*"), *dest.joinpath("consumers").rglob("*.json")]:
        path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    for path in dest.joinpath("golden").rglob("*.input.json"):
        path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    return dest


def test_crlf_checkout_verifies_and_replays(tmp_path: Path) -> None:
    root = _crlf_copy(tmp_path / "p")
    assert b"\r\n" in (root / "specs" / "release_notes.routine").read_bytes()
    before = (root / "routines.lock").read_bytes()
    for args in (["verify"], ["verify", "--full"], ["lock"]):
        result = run_cli(*args, cwd=root)
        assert result.code == 0, (args, result.stderr, result.stdout)
    assert (root / "routines.lock").read_bytes() == before
    replay = run_cli("test", cwd=root, env=cli_env(CI="true"))
    assert replay.code == 0, replay.stdout + replay.stderr
