"""The build cache is trusted only as far as it is sound: a repointed symlink is a change, a
record never holds a secret, only a private folder is used (never one under the project),
and the unpickler builds nothing but routinec's own types."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import pytest

from routinec.compiler import cache
from routinec.compiler.cache import BuildCache, code_fingerprint, user_cache_folder
from routinec.config import Env
from tests.helpers import cli_env, copy_examples, run_cli, write_project


def test_a_repointed_symlink_is_a_change(tmp_path: Path) -> None:
    project = copy_examples(tmp_path / "p")
    prompts = project / "specs" / "prompts"
    (prompts / "v1.j2").write_bytes((prompts / "summarize_pr.j2").read_bytes())
    (prompts / "v2.j2").write_bytes((prompts / "summarize_pr.j2").read_bytes() + b"V2 only\n")
    (prompts / "current.j2").symlink_to("v1.j2")
    spec = project / "specs" / "summarize_pr.routine"
    spec.write_text(spec.read_text("utf-8").replace("prompts/summarize_pr.j2", "prompts/current.j2"), "utf-8")
    env = cli_env(XDG_CACHE_HOME=str(tmp_path / "cache"))
    assert run_cli("lock", cwd=project, env=env).code == 0
    assert run_cli("verify", cwd=project, env=env).code == 0
    (prompts / "current.j2").unlink()
    (prompts / "current.j2").symlink_to("v2.j2")
    stale = run_cli("verify", cwd=project, env=env)
    assert stale.code == 1 and "summarize_pr: prompt changed" in stale.output, stale.output
    assert run_cli("test", cwd=project, env=env).code == 1  # the runtime sees it too
    assert run_cli("lock", cwd=project, env=env).code == 0
    assert b"V2 only" in (project / "routines.lock").read_bytes()


def test_no_record_holds_a_secret(tmp_path: Path) -> None:
    secret = "AKIA" + "Q" * 16
    spec = (
        'routine r v1 {\n  model "claude-haiku-4-5"\n  max_tokens 10\n'
        f'  system "use {secret}"\n  prompt """{{{{ x }}}}"""\n  input {{ x: string }}\n  output {{ a: string }}\n}}\n'
    )
    project = write_project(tmp_path / "p", {"specs/r.routine": spec})
    env = cli_env(XDG_CACHE_HOME=str(tmp_path / "cache"))
    assert run_cli("check", cwd=project, env=env).code == 2  # refused at check as at lock
    assert run_cli("lock", cwd=project, env=env).code == 2  # refused
    written = [p for p in (tmp_path / "cache").rglob("*") if p.is_file()]
    assert not [p for p in written if secret.encode() in p.read_bytes()]
    assert not (project / "routines.lock").exists()


def test_a_relative_cache_home_is_ignored() -> None:
    assert Env.read({"XDG_CACHE_HOME": ".cache"}).cache_home == Path.home() / ".cache"
    assert Env.read({"XDG_CACHE_HOME": "/abs/cache"}).cache_home == Path("/abs/cache")


@pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")
def test_a_folder_others_can_write_is_not_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ROUTINEC_NO_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert user_cache_folder("build") == tmp_path / "routinec" / "build"
    (tmp_path / "routinec").chmod(0o777)
    assert user_cache_folder("build") is None
    (tmp_path / "routinec").chmod(0o700)
    (tmp_path / "routinec" / "build").chmod(0o770)
    assert user_cache_folder("build") is None


class _Planted:
    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (os.system, ("touch planted",))


def test_the_unpickler_builds_only_routinec_types(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ROUTINEC_NO_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.chdir(tmp_path)
    store = BuildCache.open(tmp_path)
    path = store._path("specs/a.routine", b"x")
    assert path is not None
    import hashlib

    payload = pickle.dumps(_Planted())
    path.write_bytes(cache._MAGIC + hashlib.sha256(payload).digest() + payload)
    assert store.load("specs/a.routine", b"x") is None
    assert not (tmp_path / "planted").exists()


def test_the_key_covers_routinec_code() -> None:
    first = code_fingerprint()
    assert len(first) == 64 and first == code_fingerprint()
