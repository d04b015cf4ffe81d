"""The typed lock entry: JSON in and out is the identity on every shipped and golden lock,
`routinec lock` leaves the shipped lock's bytes alone, and a resealed entry with wrong types
is a `lock-corrupt` diagnostic (exit 2) from verify and test, never a traceback."""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from routinec.canonical import dumps_pretty, loads
from routinec.diagnostics import DiagnosticError
from routinec.lockfile import Lock, entry_hash, read_lock
from routinec.lockfile.entry import (
    ENTRY_KEYS,
    ConsumerPin,
    LockEntry,
    ModelPin,
    Params,
    Prompt,
    PromptPart,
    TestCase,
)
from routinec.params import PARAMS
from tests.helpers import DATA, copy_examples, invoke, run_cli

REPO = Path(__file__).resolve().parents[2]
LOCKS = [REPO / "routines.lock", *sorted((DATA / "lock").glob("*/expected.lock"))]


def _entries(path: Path) -> dict[str, Any]:
    routines: dict[str, Any] = loads(path.read_text("utf-8"))["routines"]
    return routines


@pytest.mark.parametrize("path", LOCKS, ids=lambda p: p.parent.name if p.name == "expected.lock" else p.name)
def test_json_round_trip_is_the_identity(path: Path) -> None:
    for name, raw in _entries(path).items():
        entry = LockEntry.from_json(raw, name)
        assert entry.to_json() == raw
        assert LockEntry.from_json(entry.to_json(), name) == entry
        assert entry.sealed() == entry  # the stored entry_hash is the one the model computes
    lock = read_lock(path)
    assert lock.to_bytes() == path.read_bytes()


def test_required_keys_come_from_the_model() -> None:
    assert ENTRY_KEYS[0] == "name" and ENTRY_KEYS[-1] == "entry_hash"
    assert "description" in ENTRY_KEYS
    raw = next(iter(_entries(REPO / "routines.lock").values()))
    assert set(raw) == set(ENTRY_KEYS)


def test_lock_does_not_rewrite_the_shipped_lock(tmp_path: Path) -> None:
    project = copy_examples(tmp_path / "examples")
    before = (project / "routines.lock").read_bytes()
    assert before == (REPO / "routines.lock").read_bytes()
    result = invoke("lock", cwd=project)
    assert result.code == 0, result.output
    assert "already up to date" in result.output
    assert (project / "routines.lock").read_bytes() == before
    # and a lock written from scratch is the same bytes
    (project / "routines.lock").unlink()
    result = invoke("lock", cwd=project)
    assert result.code == 0, result.output
    assert (project / "routines.lock").read_bytes() == before


# --- hypothesis: any well-typed entry survives JSON ----------------------------------------

_text = st.text(max_size=8)
_hash = st.from_regex(r"sha256:[0-9a-f]{4}", fullmatch=True)
_number = st.one_of(
    st.integers(-(10**6), 10**6),
    st.decimals(allow_nan=False, allow_infinity=False, places=3, min_value=-1000, max_value=1000).filter(
        lambda d: d != d.to_integral_value()
    ),
)
_json = st.recursive(
    st.one_of(st.none(), st.booleans(), _text, _number),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(_text, inner, max_size=3)),
    max_leaves=8,
)
_object = st.dictionaries(_text, _json, max_size=3)


def _param_value(kind: str) -> st.SearchStrategy[Any]:
    if kind == "int":
        return st.integers(1, 10**6)
    if kind == "number":
        return _number
    if kind == "enum":
        return st.sampled_from(("low", "high"))
    return st.lists(_text, max_size=3)


_params = st.fixed_dictionaries(
    {p.lock_key: _param_value(p.kind) for p in PARAMS if p.required},
    optional={p.lock_key: _param_value(p.kind) for p in PARAMS if not p.required},
).map(Params)
_part = st.builds(PromptPart, st.none() | _text, _text)
_entry = st.builds(
    LockEntry,
    name=_text,
    version=st.integers(1, 99),
    description=st.none() | _text,
    source=_text,
    spec_hash=_hash,
    model=st.builds(ModelPin, _text, _text, _text, _text, st.none() | _text, st.integers(1, 10**6), st.booleans()),
    params=_params,
    state=st.sampled_from(("reset", "session")),
    prompt=st.builds(Prompt, st.none() | _part, _part, st.dictionaries(_text, _text, max_size=2), _hash),
    input_schema=_object,
    input_schema_hash=_hash,
    output_schema=_object,
    output_schema_hash=_hash,
    consumers=st.lists(
        st.builds(ConsumerPin, _text, st.sampled_from(("consumer", "file")), _object | st.booleans(), _hash),
        max_size=2,
    ).map(tuple),
    tests=st.dictionaries(
        _text,
        st.builds(
            TestCase,
            _json.filter(lambda v: v is not None),
            st.none() | _text,
            _hash,
            st.dictionaries(_text, st.fixed_dictionaries({"rule": _text}), max_size=2),
        ),
        max_size=2,
    ),
    sources=st.dictionaries(_text, _hash, max_size=2),
).map(LockEntry.sealed)


@settings(max_examples=60, deadline=None)
@given(_entry)
def test_any_entry_round_trips_through_canonical_json(entry: LockEntry) -> None:
    again = LockEntry.from_json(loads(dumps_pretty(entry.to_json())), entry.name)
    assert again.to_json() == entry.to_json()
    assert again.entry_hash == entry.entry_hash == entry_hash(again.to_json())
    # Sealing sets entry_hash and nothing else.
    assert dataclasses.replace(entry, entry_hash="").sealed() == entry


# --- hand-edited, resealed entries with the wrong types ------------------------------------


def _parent(entry: dict[str, Any], path: str) -> tuple[Any, Any]:
    """The container holding the last step of a dotted path ("consumers.0.schema"), and that step."""
    *steps, last = path.split(".")
    target: Any = entry
    for step in steps:
        target = target[int(step)] if isinstance(target, list) else target[step]
    return target, int(last) if isinstance(target, list) else last


def _set(path: str, value: Any) -> Any:
    def edit(entry: dict[str, Any]) -> None:
        target, key = _parent(entry, path)
        target[key] = value

    return edit


def _drop(path: str) -> Any:
    def edit(entry: dict[str, Any]) -> None:
        target, key = _parent(entry, path)
        del target[key]

    return edit


BAD = {
    "input_schema_number": (_set("input_schema", 5), "input_schema must be an object, found a number"),
    "params_list": (_set("params", [1024]), "params must be an object, found a list"),
    "model_without_snapshot": (_drop("model.snapshot"), "model has no 'snapshot'"),
    "max_tokens_string": (_set("params.max_tokens", "1024"), "params.max_tokens must be an integer, found a string"),
    "unknown_param": (_set("params.temprature", 0), "params.temprature must be one of the known parameters"),
    "version_decimal": (_set("version", Decimal("3.5")), "version must be an integer, found a number"),
    "test_without_input": (_set("tests.small_fix.input_path", None), "tests.small_fix.input_path must be a string"),
    "consumer_schema_string": (_set("consumers.0.schema", "x"), "consumers[0].schema must be an object or a boolean"),
    "state_unknown": (_set("state", "forever"), "state must be 'reset' or 'session', found a string"),
    "tolerance_string": (
        _set("tests.small_fix.compare", {"summary": {"rule": "number", "tolerance": "0.1"}}),
        "tests.small_fix.compare.summary.tolerance must be a number, found a string",
    ),
    "name_mismatch": (_set("name", "other"), "name is 'other', but the entry is listed as 'summarize_pr'"),
    "include_not_text": (_set("prompt.includes", {"a.j2": 1}), "prompt.includes.a.j2 must be a string, found a number"),
}


def _resealed(project: Path, edit: Any) -> None:
    """Edit the summarize_pr entry by hand and recompute its entry_hash, as a careless tool might."""
    lock_path = project / "routines.lock"
    data = loads(lock_path.read_text("utf-8"))
    entry = data["routines"]["summarize_pr"]
    edit(entry)
    entry["entry_hash"] = entry_hash(entry)
    lock_path.write_text(dumps_pretty(data), "utf-8")


@pytest.mark.parametrize("case", sorted(BAD))
def test_reader_names_entry_and_field(case: str, tmp_path: Path) -> None:
    project = copy_examples(tmp_path / "p")
    edit, message = BAD[case]
    _resealed(project, edit)
    with pytest.raises(DiagnosticError) as info:
        read_lock(project / "routines.lock")
    (diag,) = info.value.diagnostics
    assert diag.code == "lock-corrupt"
    assert diag.message.startswith("lock entry 'summarize_pr' is corrupt: "), diag.message
    assert message in diag.message


@pytest.mark.parametrize("case", ["input_schema_number", "params_list", "model_without_snapshot"])
@pytest.mark.parametrize("command", ["verify", "test"])
def test_wrong_types_exit_2_with_lock_corrupt(case: str, command: str, tmp_path: Path) -> None:
    project = copy_examples(tmp_path / "p")
    _resealed(project, BAD[case][0])
    result = run_cli(command, cwd=project)
    assert result.code == 2, result.output
    assert "lock-corrupt" in result.output
    assert "summarize_pr" in result.output
    assert "Traceback" not in result.output


def test_lock_routines_are_typed() -> None:
    lock = read_lock(REPO / "routines.lock")
    assert isinstance(lock, Lock)
    entry = lock.routines["summarize_pr"]
    assert isinstance(entry, LockEntry)
    assert entry.model.snapshot == "claude-haiku-4-5-20251001"
    assert entry.params.max_tokens == 1024 and entry.params.get("temperature") == 0
    assert entry.tests["small_fix"].input_path == "golden/summarize_pr/small_fix.input.json"


def test_lock_bytes_with_kept_entry_texts_equal_the_plain_encoding() -> None:
    # Lock.to_bytes splices texts the compiler made beside each entry; the bytes must be
    # exactly dumps_pretty(to_json()), and a text kept for another entry object is ignored.
    from pathlib import Path

    from routinec.canonical import dumps_pretty
    from routinec.lockfile import Lock, entry_text, read_lock

    root = Path(__file__).resolve().parents[2]
    lock = read_lock(root / "routines.lock")
    plain = dumps_pretty(lock.to_json()).encode("utf-8")
    assert lock.to_bytes() == plain == (root / "routines.lock").read_bytes()
    kept = Lock(lock.format_version, lock.compiler_version, dict(lock.routines),
                {name: (entry, entry_text(name, entry)) for name, entry in lock.routines.items()})
    assert kept.to_bytes() == plain
    name = sorted(lock.routines)[0]
    stale = Lock(lock.format_version, lock.compiler_version, dict(lock.routines),
                 {name: (lock.routines[sorted(lock.routines)[-1]], '"stale": {}')})
    assert stale.to_bytes() == plain
    assert Lock().to_bytes() == dumps_pretty(Lock().to_json()).encode("utf-8")
