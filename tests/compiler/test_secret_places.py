"""A secret anywhere a spec, template, include, type or consumer schema can hold one: `check`
warns once, at the place; `lock` refuses; no build-cache record and no lockfile holds it, and
the warning is still there on the next run (a spec holding one is never cached)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import cli_env, run_cli, write_project

SECRET = "AKIA" + "Q" * 16
_ROUTINE = (
    'routine r v1 {{\n  model "claude-haiku-4-5"\n  max_tokens 10\n{extra}'
    "  input {{ x: {xtype} }}\n  output {{ a: string }}\n{tail}}}\n"
)


def _spec(extra: str, xtype: str = "string", tail: str = "") -> str:
    return _ROUTINE.format(extra=extra, xtype=xtype, tail=tail)


INLINE = '  prompt """{{ x }}"""\n'
PLACES: dict[str, tuple[dict[str, str], str]] = {
    # name: (files, "path:line" of the one warning)
    "system": ({"specs/r.routine": _spec(f'  system "use {SECRET}"\n' + INLINE)}, "specs/r.routine:4"),
    "escaped in the spec": (
        {"specs/r.routine": _spec(f'  system "use \\u0041KIA{"Q" * 16}"\n' + INLINE)},
        "specs/r.routine:4",
    ),
    "comment": ({"specs/r.routine": f"# old key {SECRET}\n" + _spec(INLINE)}, "specs/r.routine:1"),
    "prompt file": (
        {"specs/r.routine": _spec('  prompt file "specs/p.j2"\n'), "specs/p.j2": f"use {SECRET} {{{{ x }}}}"},
        "specs/p.j2:1",
    ),
    "include": (
        {
            "specs/r.routine": _spec('  prompt file "specs/p.j2"\n'),
            "specs/p.j2": '{% include "specs/inc.j2" %} {{ x }}',
            "specs/inc.j2": f"key {SECRET}\n",
        },
        "specs/inc.j2:1",
    ),
    "type in another file": (
        {
            "specs/r.routine": _spec(INLINE, xtype="Code"),
            "specs/types.routine": f'type Code {{\n  k: "a" | "{SECRET}"\n}}\n',
        },
        "specs/types.routine:2",
    ),
    "consumer schema file": (
        {
            "specs/r.routine": _spec(INLINE, tail='  consumers ["specs/c.json"]\n'),
            "specs/c.json": json.dumps({"type": "object", "properties": {"a": {"type": "string", "default": SECRET}}}),
        },
        "specs/r.routine:7",
    ),
}


@pytest.mark.parametrize("place", sorted(PLACES))
def test_a_secret_is_found_once_and_reaches_no_file(tmp_path: Path, place: str) -> None:
    files, where = PLACES[place]
    project = write_project(tmp_path / "p", files)
    env = cli_env(XDG_CACHE_HOME=str(tmp_path / "cache"))
    for _ in range(2):  # the second run would read a record, if one had been written
        check = run_cli("check", cwd=project, env=env)
        assert check.code == 2, check.output  # an error at check as at lock: green check, green lock
        found = [line for line in check.output.splitlines() if "[secret-in-spec]" in line]
        assert len(found) == 1 and found[0].startswith(where + ":") and ": error: " in found[0], check.output
        assert SECRET not in check.output
    lock = run_cli("lock", cwd=project, env=env)
    assert lock.code == 2, lock.output
    assert not (project / "routines.lock").exists()
    cached = [p for p in (tmp_path / "cache").rglob("*") if p.is_file()]
    assert not [p for p in cached if SECRET.encode() in p.read_bytes()]


def test_a_clean_project_is_cached(tmp_path: Path) -> None:
    """The screen is not a switch that is always off: a clean spec's record is written."""
    project = write_project(tmp_path / "p", {"specs/r.routine": _spec(INLINE)})
    env = cli_env(XDG_CACHE_HOME=str(tmp_path / "cache"))
    assert run_cli("lock", cwd=project, env=env).code == 0
    assert list((tmp_path / "cache").rglob("*.spec"))


def test_rollout_canary_refuses_a_spec_holding_a_secret(tmp_path: Path) -> None:
    """`rollout canary` compiles the current spec and freezes its entry into the lock: a
    secret in the spec must stop it as it stops `lock` (it once reached routines.lock)."""
    project = write_project(tmp_path / "p", {"specs/r.routine": _spec(INLINE)})
    env = cli_env(XDG_CACHE_HOME=str(tmp_path / "cache"))
    assert run_cli("lock", cwd=project, env=env).code == 0
    spec = project / "specs" / "r.routine"
    spec.write_text(spec.read_text().replace("routine r v1", "routine r v2").replace(INLINE, f'  system "use {SECRET}"\n' + INLINE))
    before = (project / "routines.lock").read_bytes()
    canary = run_cli("rollout", "canary", "r", "--weight", "10", "--by", "t", cwd=project, env=env)
    assert canary.code == 2, canary.output
    assert "[secret-in-spec]" in canary.output and SECRET not in canary.output
    assert (project / "routines.lock").read_bytes() == before
    verify = run_cli("verify", cwd=project, env=env)
    assert verify.code == 2 and "[secret-in-spec]" in verify.output and SECRET not in verify.output
