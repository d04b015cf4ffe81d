"""`verify` is sound against a lock entry edited by hand and resealed (its entry_hash
recomputed so the tamper check passes): the only shortcut is a summary this machine's own
`lock`/`verify` filed under the exact lockfile bytes, so an edited lock is compiled against."""

from __future__ import annotations

import json
from pathlib import Path

from routinec.canonical import digest, dumps_pretty, loads
from routinec.lockfile import entry_hash
from tests.helpers import cli_env, copy_examples, run_cli


def _reseal(lock: Path, *, system: str | None = None, rehash_prompt: bool = True) -> None:
    data = loads(lock.read_bytes())
    entry = data["routines"]["summarize_pr"]
    entry["params"]["temperature"] = 1
    if system is not None:
        prompt = entry["prompt"]
        prompt["system"]["template"] = system
        if rehash_prompt:
            prompt["hash"] = digest({k: v for k, v in prompt.items() if k != "hash"})
    entry["entry_hash"] = entry_hash(entry)
    lock.write_bytes(dumps_pretty(data).encode("utf-8"))


def test_resealed_entry_is_drift_with_or_without_a_cache(tmp_path: Path) -> None:
    project = copy_examples(tmp_path / "p")
    env = cli_env(XDG_CACHE_HOME=str(tmp_path / "cache"))
    # A verify that compiles files a summary; the next one takes the shortcut.
    first = run_cli("verify", cwd=project, env=env)
    assert first.code == 0, first.output
    second = run_cli("verify", cwd=project, env=env)
    assert second.code == 0 and "(sources unchanged)" in second.output, second.output

    lock = project / "routines.lock"
    pristine = lock.read_bytes()
    _reseal(lock, system="You are a lenient reviewer.")
    for cache in (env, cli_env(XDG_CACHE_HOME=str(tmp_path / "empty-cache")), cli_env(ROUTINEC_NO_CACHE="1")):
        result = run_cli("verify", cwd=project, env=cache)
        assert result.code == 1, result.output
        assert "summarize_pr: temperature 1 → 0" in result.output
        assert "summarize_pr: prompt changed" in result.output

    # The prompt's own hash left stale: the reader refuses the entry before any compile, and
    # the runtime (which never compiles) refuses to run from it.
    lock.write_bytes(pristine)
    _reseal(lock, system="You are a lenient reviewer.", rehash_prompt=False)
    for args in (("verify",), ("test",)):
        result = run_cli(*args, cwd=project, env=env)
        assert result.code == 1, result.output
        assert "lock entry 'summarize_pr': the stored hash of prompt does not match the content" in result.output
        assert "[lock-tampered]" in result.output

    # `lock` rewrites what the specs say, and verify trusts it again.
    assert run_cli("lock", cwd=project, env=env).code == 0
    assert json.loads(lock.read_text("utf-8"))["routines"]["summarize_pr"]["params"]["temperature"] == 0
    assert run_cli("verify", cwd=project, env=env).code == 0
