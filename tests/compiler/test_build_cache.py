"""The incremental build cache and `lock`'s unchanged fast path never change a result.

Every lock here is compared byte for byte with an uncached lock of the same project; cache
files are truncated, garbled and swapped; warnings from reused entries must still be said.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from routinec.commands import project as commands
from routinec.compiler import cache as cache_mod
from routinec.compiler.passes import check_specs, lower_routines
from routinec.config import load_config

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from gen_project import generate

from tests.helpers import cli_env

N = 24  # routines: three spec files of ten, enough to cross no fork threshold


def _project(root: Path) -> Path:
    generate(root, N, per_file=10)
    # One unused input in the first file: a warning that comes from lowering (materials).
    spec = root / "specs" / "group_0000.routine"
    spec.write_text(spec.read_text("utf-8").replace("labels: list[string] = []", "labels: list[string] = []\n    unused_x: string = \"x\"", 1), "utf-8")
    return root


def _lock(root: Path) -> tuple[bytes, list[str], commands.Outcome]:
    outcome = commands.lock(load_config(root))
    assert outcome.exit_code == 0, [d.message for d in outcome.diagnostics]
    said = [f"{d.code} {d.span} {d.message}" for d in outcome.diagnostics]
    return (root / "routines.lock").read_bytes(), said, outcome


@pytest.fixture
def cache_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "cache-home"
    monkeypatch.setenv("XDG_CACHE_HOME", str(home))
    monkeypatch.delenv("ROUTINEC_NO_CACHE", raising=False)
    monkeypatch.setenv("ROUTINEC_JOBS", "1")
    return home / "routinec" / "build"


@pytest.fixture(scope="module")
def uncached(tmp_path_factory: pytest.TempPathFactory) -> tuple[bytes, list[str]]:
    root = _project(tmp_path_factory.mktemp("uncached"))
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ROUTINEC_NO_CACHE", "1")
        data, said, _ = _lock(root)
    assert any("unused_x" in s for s in said)
    return data, said


def _count_lowered(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    seen: list[str] = []
    original = lower_routines._lower_some

    def counting(names, *args):  # type: ignore[no-untyped-def]
        seen.extend(names)
        return original(names, *args)

    monkeypatch.setattr(lower_routines, "_lower_some", counting)
    return seen


def test_no_cache_writes_nothing(tmp_path: Path, cache_home: Path, monkeypatch: pytest.MonkeyPatch,
                                 uncached: tuple[bytes, list[str]]) -> None:
    monkeypatch.setenv("ROUTINEC_NO_CACHE", "1")
    root = _project(tmp_path / "p")
    assert _lock(root)[:2] == uncached
    assert not cache_home.exists() or not any(cache_home.iterdir())


def test_cold_warm_and_fast_path_locks_are_byte_identical(
    tmp_path: Path, cache_home: Path, monkeypatch: pytest.MonkeyPatch, uncached: tuple[bytes, list[str]]
) -> None:
    root = _project(tmp_path / "p")
    assert _lock(root)[:2] == uncached  # cold: fills the cache
    assert any(cache_home.glob("*.spec")) and any(cache_home.glob("*.project"))
    data, said, outcome = _lock(root)  # unchanged: answered without compiling
    assert outcome.fast_path and (data, said) == uncached
    (root / "routines.lock").unlink()
    lowered = _count_lowered(monkeypatch)
    assert _lock(root)[:2] == uncached  # no lock, warm cache: every entry reused
    assert lowered == []


def test_one_edited_spec_relowers_only_its_routines(
    tmp_path: Path, cache_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _project(tmp_path / "p")
    _lock(root)
    spec = root / "specs" / "group_0001.routine"
    spec.write_text(spec.read_text("utf-8").replace("temperature 0", "temperature 0.3", 1), "utf-8")
    lowered = _count_lowered(monkeypatch)
    data, said, outcome = _lock(root)
    assert not outcome.fast_path and sorted(lowered) == [f"routine_{i:05d}" for i in range(10, 20)]
    fresh = _project(tmp_path / "fresh")
    shutil.copy(spec, fresh / "specs" / "group_0001.routine")
    monkeypatch.setenv("ROUTINEC_NO_CACHE", "1")
    assert _lock(fresh)[:2] == (data, said)


def test_an_edited_prompt_invalidates_the_entry_that_used_it(
    tmp_path: Path, cache_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _project(tmp_path / "p")
    _lock(root)
    prompt = root / "specs" / "prompts" / "routine_00003.j2"
    prompt.write_text(prompt.read_text("utf-8") + "One more line.\n", "utf-8")
    lowered = _count_lowered(monkeypatch)
    data, _, _ = _lock(root)
    assert lowered == ["routine_00003"]
    monkeypatch.setenv("ROUTINEC_NO_CACHE", "1")
    (root / "routines.lock").unlink()
    assert _lock(root)[0] == data


@pytest.mark.parametrize("damage", ["truncate", "garble", "empty", "swap", "not-a-record"])
def test_a_damaged_cache_is_a_miss(
    damage: str, tmp_path: Path, cache_home: Path, uncached: tuple[bytes, list[str]]
) -> None:
    root = _project(tmp_path / "p")
    _lock(root)
    files = sorted(cache_home.iterdir())
    assert files
    for i, path in enumerate(files):
        raw = path.read_bytes()
        if damage == "truncate":
            path.write_bytes(raw[: len(raw) // 2])
        elif damage == "garble":
            path.write_bytes(raw[:-40] + bytes(b ^ 0x5A for b in raw[-40:]))
        elif damage == "empty":
            path.write_bytes(b"")
        elif damage == "swap":  # a valid record under another spec's name
            path.write_bytes(files[(i + 1) % len(files)].read_bytes() if len(files) > 1 else raw)
        else:  # a well-formed file whose pickle is some other object
            import hashlib
            import pickle

            payload = pickle.dumps({"ast": "not a file"})
            path.write_bytes(cache_mod._MAGIC + hashlib.sha256(payload).digest() + payload)
    assert _lock(root)[:2] == uncached
    (root / "routines.lock").unlink()
    assert _lock(root)[:2] == uncached


def test_fast_path_needs_the_summary_and_a_canonical_lock(
    tmp_path: Path, cache_home: Path, uncached: tuple[bytes, list[str]]
) -> None:
    root = _project(tmp_path / "p")
    _lock(root)
    for path in cache_home.glob("*.project"):
        path.unlink()
    data, said, outcome = _lock(root)
    assert not outcome.fast_path and (data, said) == uncached
    lock = root / "routines.lock"
    lock.write_bytes(lock.read_bytes().replace(b"\n  ", b"\n    ", 3))  # valid JSON, not canonical
    data, said, outcome = _lock(root)
    assert not outcome.fast_path and (data, said) == uncached


def test_verify_from_the_summary_says_what_the_uncached_verify_says(
    tmp_path: Path, cache_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _project(tmp_path / "p")
    _lock(root)
    config = load_config(root)
    cached = commands.verify(config)
    monkeypatch.setenv("ROUTINEC_NO_CACHE", "1")
    plain = commands.verify(config)
    # Without the summary, verify compiles (source digests alone cannot vouch for a resealed
    # entry); with it, it says the same thing without compiling.
    assert cached.fast_path and not plain.fast_path
    assert [str(d) for d in cached.diagnostics] == [str(d) for d in plain.diagnostics]
    monkeypatch.delenv("ROUTINEC_NO_CACHE")
    lock = root / "routines.lock"
    lock.write_bytes(lock.read_bytes().replace(b'"temperature": 0', b'"temperature": 1', 1))
    tampered = commands.verify(config)
    assert not tampered.fast_path and tampered.exit_code == 1
    assert [d.code for d in tampered.diagnostics] == ["lock-tampered"]


def _count_checked(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    seen: list[str] = []
    original = check_specs.check_routine

    def counting(routine, *args):  # type: ignore[no-untyped-def]
        seen.append(routine.name)
        return original(routine, *args)

    monkeypatch.setattr(check_specs, "check_routine", counting)
    return seen


def test_an_edit_rechecks_only_its_file_and_needs_no_jsonschema(
    tmp_path: Path, cache_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _project(tmp_path / "p")
    _lock(root)  # a first build: records, no check findings yet
    spec = root / "specs" / "group_0001.routine"
    read: list[str] = []
    original = cache_mod.BuildCache.rest

    def reading(self: cache_mod.BuildCache, record: cache_mod.SpecRecord) -> object:
        read.append(record.head.path)
        return original(self, record)

    monkeypatch.setattr(cache_mod.BuildCache, "rest", reading)
    for value in ("0.3", "0.4"):
        spec.write_text(spec.read_text("utf-8").replace("temperature 0\n", f"temperature {value}\n", 1), "utf-8")
        checked = _count_checked(monkeypatch)
        read.clear()
        data, said, _ = _lock(root)
    # The second edit: the other files' findings came from the check record, and none of
    # their routines was read from its record.
    assert sorted(checked) == [f"routine_{i:05d}" for i in range(10, 20)]
    assert read == []
    fresh = _project(tmp_path / "fresh")
    shutil.copy(spec, fresh / "specs" / "group_0001.routine")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ROUTINEC_NO_CACHE", "1")
        assert _lock(fresh)[:2] == (data, said)
    # A third, in a process of its own: every default and test input it checks passed before.
    spec.write_text(spec.read_text("utf-8").replace("temperature 0\n", "temperature 0.5\n", 1), "utf-8")
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "routinec", "lock"],
        cwd=root, env=cli_env(), capture_output=True, text=True, check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    imported = {line.rsplit("|", 1)[-1].strip() for line in proc.stderr.splitlines() if line.startswith("import time:")}
    assert "routinec.compiler.build" in imported and "jsonschema" not in imported
