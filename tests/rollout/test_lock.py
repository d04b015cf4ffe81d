"""The lock's rollout section through the real CLI in subprocesses: a canary writes format
2 with frozen entries; a later plain `lock` keeps channels and frozen entries byte for byte
(never recompiled) while the spec moves on; `verify` checks frozen hashes and channel
targets; bad input is one diagnostic with a hint and exit 2, and leaves the lock as it was."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from routinec.canonical import dumps_pretty, loads
from routinec.lockfile import read_lock
from routinec.lockfile.entry import entry_hash
from tests.rollout.conftest import bump
from tests.runtime.conftest import run_cli

SQLITE_ONLY = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


def _lock(project: Path) -> dict[str, object]:
    data: dict[str, object] = loads((project / "routines.lock").read_bytes())
    return data


def _ok(project: Path, *args: str) -> str:
    done = run_cli(project, *args)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout + done.stderr


@SQLITE_ONLY
def test_a_plain_lock_keeps_channels_and_frozen_entries(project: Path) -> None:
    assert _lock(project)["format_version"] == 1 and "rollout" not in _lock(project)
    v1 = json.dumps(_lock(project)["routines"]["summarize_pr"], sort_keys=True)  # type: ignore[index]
    bump(project)
    _ok(project, "rollout", "canary", "summarize_pr", "--weight", "10")
    data = _lock(project)
    assert data["format_version"] == 2
    rollout = data["rollout"]["summarize_pr"]  # type: ignore[index]
    assert rollout["channels"] == {"stable": 1, "canary": {"version": 2, "weight": 10, "salt": "summarize_pr:v2",
                                                          "key": None, "guard": None}}
    assert json.dumps(rollout["frozen"]["1"], sort_keys=True) == v1
    frozen_before = json.dumps(rollout["frozen"], sort_keys=True)
    _ok(project, "verify", "--full")

    bump(project, 3)
    out = _ok(project, "lock")
    assert "written" in out
    after = _lock(project)
    assert after["routines"]["summarize_pr"]["version"] == 3  # type: ignore[index]
    assert json.dumps(after["rollout"]["summarize_pr"]["frozen"], sort_keys=True) == frozen_before  # type: ignore[index]
    assert after["rollout"]["summarize_pr"]["channels"] == rollout["channels"]  # type: ignore[index]
    _ok(project, "verify", "--full")
    assert "stable v1, canary v2 at 10%" in _ok(project, "rollout", "status", "summarize_pr")
    # The canary cannot be silently replaced by the newer spec.
    refused = run_cli(project, "rollout", "canary", "summarize_pr", "--weight", "20")
    assert refused.returncode == 2 and "already has a canary (v2)" in (refused.stdout + refused.stderr) and "[rollout-invalid]" in (refused.stdout + refused.stderr)


def _edit(project: Path, change: object) -> bytes:
    path = project / "routines.lock"
    data = loads(path.read_bytes())
    change(data)  # type: ignore[operator]
    path.write_text(dumps_pretty(data))
    return path.read_bytes()


@SQLITE_ONLY
def test_hand_edited_channels_and_frozen_entries_are_refused(project: Path) -> None:
    bump(project)
    _ok(project, "rollout", "canary", "summarize_pr", "--weight", "10")

    def missing(data: dict) -> None:  # type: ignore[type-arg]
        data["rollout"]["summarize_pr"]["channels"]["stable"] = 7

    edited = _edit(project, missing)
    for args in (("verify",), ("lock",), ("rollout", "status"), ("rollout", "abort", "summarize_pr")):
        done = run_cli(project, *args)
        assert done.returncode == 2, (args, (done.stdout + done.stderr))
        assert "channel 'stable' of 'summarize_pr' points at v7" in (done.stdout + done.stderr) and "[rollout-broken]" in (done.stdout + done.stderr)
        assert "help: restore routines.lock from git" in (done.stdout + done.stderr) and "Traceback" not in (done.stdout + done.stderr)
        assert (project / "routines.lock").read_bytes() == edited

    def tampered(data: dict) -> None:  # type: ignore[type-arg]
        data["rollout"]["summarize_pr"]["channels"]["stable"] = 1
        data["rollout"]["summarize_pr"]["frozen"]["1"]["prompt"]["system"]["template"] = "Be evil."

    _edit(project, tampered)
    done = run_cli(project, "verify")
    assert done.returncode == 1 and "frozen entry 1 of 'summarize_pr' does not match its entry_hash" in (done.stdout + done.stderr)

    def resealed(data: dict) -> None:  # type: ignore[type-arg]
        entry = data["rollout"]["summarize_pr"]["frozen"]["1"]
        entry["entry_hash"] = entry_hash(entry)

    _edit(project, resealed)
    done = run_cli(project, "verify")
    assert done.returncode == 1 and "stored hash of prompt does not match" in (done.stdout + done.stderr)


@SQLITE_ONLY
@pytest.mark.parametrize(
    ("args", "code", "says"),
    [
        (("canary", "summarize_pr", "--weight", "101"), "rollout-invalid", "--weight 101 is outside 0-100"),
        (("canary", "summarize_pr", "--weight", "-1"), "rollout-invalid", "outside 0-100"),
        (("canary", "summarize_pr", "--weight", "5", "--key", "input.author"), "rollout-invalid", "no input field 'author'"),
        (("canary", "summarize_pr", "--weight", "5", "--key", "title"), "rollout-invalid", "is not input.FIELD"),
        (("canary", "summarize_pr", "--weight", "5", "--guard", "slow<=+5%"), "rollout-invalid", "unknown guard metric"),
        (("canary", "nope", "--weight", "5"), "unknown-routine", "no routine 'nope'"),
        (("promote", "summarize_pr"), "no-canary", "no canary to promote"),
        (("abort", "chat"), "no-canary", "no canary to abort"),
        (("pin", "summarize_pr", "v4"), "unknown-version", "no frozen entry for summarize_pr v4"),
        (("pin", "summarize_pr", "latest"), "rollout-invalid", "is not a version"),
    ],
)
def test_bad_input_is_one_diagnostic_and_changes_nothing(project: Path, args: tuple[str, ...], code: str, says: str) -> None:
    if args[0] == "canary":
        bump(project)
    before = (project / "routines.lock").read_bytes()
    done = run_cli(project, "rollout", *args)
    assert done.returncode == 2, (done.stdout + done.stderr)
    assert says in (done.stdout + done.stderr) and f"[{code}]" in (done.stdout + done.stderr) and "help: " in (done.stdout + done.stderr), (done.stdout + done.stderr)
    assert "Traceback" not in (done.stdout + done.stderr) and (done.stdout + done.stderr).count("error:") == 1
    assert (project / "routines.lock").read_bytes() == before


@SQLITE_ONLY
def test_a_canary_of_the_stable_version_is_refused(project: Path) -> None:
    done = run_cli(project, "rollout", "canary", "summarize_pr", "--weight", "10")
    assert done.returncode == 2 and "the version stable already runs" in (done.stdout + done.stderr) and "bump the version" in (done.stdout + done.stderr)


@SQLITE_ONLY
def test_promote_then_pin_back(project: Path) -> None:
    bump(project)
    _ok(project, "rollout", "canary", "summarize_pr", "--weight", "50")
    _ok(project, "rollout", "canary", "summarize_pr", "--weight", "80")  # raise: same salt
    assert _lock(project)["rollout"]["summarize_pr"]["channels"]["canary"]["weight"] == 80  # type: ignore[index]
    _ok(project, "rollout", "promote", "summarize_pr", "--why", "looks good")
    lock = read_lock(project / "routines.lock")
    assert lock.rollout["summarize_pr"].channels.stable == 2 and lock.rollout["summarize_pr"].channels.canary is None
    _ok(project, "rollout", "pin", "summarize_pr", "v1", "--by", "oncall", "--why", "regression")
    assert read_lock(project / "routines.lock").rollout["summarize_pr"].channels.stable == 1
    _ok(project, "verify")
    history = _ok(project, "rollout", "status", "summarize_pr", "--format", "json")
    assert json.loads(history.splitlines()[0])["channels"] == {"stable": 1, "canary": None}
    from routinec.ledger import Ledger

    with Ledger.open(project) as ledger:
        records = ledger.rollouts("summarize_pr")
    assert [r.action for r in records] == ["canary", "canary", "promote", "pin"]
    assert (records[-1].by, records[-1].why) == ("oncall", "regression")
    assert json.loads(records[2].from_json)["canary"]["version"] == 2 and json.loads(records[2].to_json) == {"stable": 2, "canary": None}
    assert all(r.lock_digest.startswith("sha256:") for r in records)
