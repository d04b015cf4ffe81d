"""Differential: an incremental `lock` (warm build cache) says and writes exactly what a cold one does.

A small three-file project is edited by seeded random sequences of edits (a routine's body,
a type other files use, a rename, a routine added or removed, errors introduced and fixed,
a type moved or declared twice, spans shifted, a prompt file, a test input, pyproject.toml).
After each edit the same project is locked twice by the real CLI: once with the build cache
the earlier steps filled, once in a copy with ROUTINEC_NO_CACHE=1. Exit code, stdout, stderr
and routines.lock must be identical, byte for byte.
"""

from __future__ import annotations

import random
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.helpers import cli_env, run_cli, snapshot, write_project

SHARED = """\
type Item {
  name: string (min_length 1)
  size: int = 3
}

consumer board {
  expects {
    summary: string
  }
}
"""

ALPHA = """\
routine alpha v1 {
  description "Alpha."
  model "claude-haiku-4-5"
  temperature 0
  max_tokens 512
  prompt \"\"\"Summarize {{ title }} with {{ item.name }}\"\"\"
  input {
    title: string (min_length 1)
    item: Item = { name: "x" }
  }
  output {
    summary: string
    items: list[Item]
  }
  consumers [board]
  test smoke {
    input { title: "hello" }
  }
}
"""

BETA = """\
routine beta v1 {
  model "claude-sonnet-4-5"
  max_tokens 256
  prompt file "specs/prompts/beta.j2"
  input {
    body: string
    unused: int = 1
  }
  output {
    summary: string
    first: Item
  }
  test t {
    input file "golden/beta/t.input.json"
  }
}
"""

GAMMA = """
routine gamma v1 {
  model "claude-haiku-4-5"
  max_tokens 128
  prompt \"\"\"Go\"\"\"
  output {
    all: list[Item]
  }
}
"""

PYPROJECT = '[project]\nname = "demo"\nversion = "0.0.0"\n'

BASE: dict[str, str] = {
    "pyproject.toml": PYPROJECT,
    "specs/shared.routine": SHARED,
    "specs/a.routine": ALPHA,
    "specs/b.routine": BETA,
    "specs/prompts/beta.j2": "Body: {{ body }}\n",
    "golden/beta/t.input.json": '{"body": "x"}\n',
}

Files = dict[str, str]
A, B, S = "specs/a.routine", "specs/b.routine", "specs/shared.routine"


def _sub(files: Files, rel: str, pattern: str, repl: str) -> None:
    files[rel] = re.sub(pattern, repl, files[rel], count=1, flags=re.M)


def _toggle(files: Files, rel: str, plain: str, other: str) -> None:
    files[rel] = files[rel].replace(plain, other, 1) if plain in files[rel] else files[rel].replace(other, plain, 1)


def temperature(files: Files, rng: random.Random) -> None:  # a routine's body; 3 is out of range
    _sub(files, A, r"^  temperature .*$", f"  temperature {rng.choice(['0', '0.5', '1', '3'])}")


def max_tokens(files: Files, rng: random.Random) -> None:  # 999999 is over the model's limit
    _sub(files, B, r"^  max_tokens .*$", f"  max_tokens {rng.choice(['256', '300', '999999'])}")


def type_field(files: Files, rng: random.Random) -> None:  # a type two other files use
    _toggle(files, S, "  size: int = 3\n", "  size: int = 3\n  tag?: string\n")


def type_constraint(files: Files, rng: random.Random) -> None:  # min_length 2: alpha's default breaks
    _sub(files, S, r"name: string \(min_length \d+\)", f"name: string (min_length {rng.choice([1, 2, 5])})")


def type_default(files: Files, rng: random.Random) -> None:
    value = rng.choice(["3", "4", '"3"', "2.0"])  # a string, and an int written with a point
    _sub(files, S, r"size: int = \S+", f"size: int = {value}")


def rename(files: Files, rng: random.Random) -> None:
    _toggle(files, A, "routine alpha v1", "routine alpha_two v1")


def add_routine(files: Files, rng: random.Random) -> None:
    files[B] = files[B].replace(GAMMA, "") if GAMMA in files[B] else files[B] + GAMMA


def unknown_type(files: Files, rng: random.Random) -> None:
    _toggle(files, B, "first: Item", "first: Itme")


def python_keyword(files: Files, rng: random.Random) -> None:
    _toggle(files, A, "    items: list[Item]\n", "    items: list[Item]\n    lambda?: string\n")


def model(files: Files, rng: random.Random) -> None:  # deprecated (a lifecycle warning), unknown
    choice = rng.choice(["claude-haiku-4-5", "claude-sonnet-4-5", "claude-nonexistent-9"])
    _sub(files, A, r'^  model ".*"$', f'  model "{choice}"')


def move_type(files: Files, rng: random.Random) -> None:
    item = SHARED.split("\n\n")[0] + "\n"
    if item in files[S]:
        files[S] = files[S].replace(item, "", 1)
        files[B] = files[B] + "\n" + item
    elif item in files[B]:
        files[B] = files[B].replace("\n" + item, "", 1)
        files[S] = item + files[S]


def duplicate_type(files: Files, rng: random.Random) -> None:
    extra = "\ntype Item {\n  name: string\n}\n"
    files[A] = files[A].replace(extra, "") if extra in files[A] else files[A] + extra


def shift(files: Files, rng: random.Random) -> None:  # every span in one file moves
    rel = rng.choice([A, B, S])
    files[rel] = files[rel][len("# moved\n"):] if files[rel].startswith("# moved\n") else "# moved\n" + files[rel]


def pyproject(files: Files, rng: random.Random) -> None:
    _toggle(files, "pyproject.toml", PYPROJECT, PYPROJECT + "# edited\n")


def prompt_file(files: Files, rng: random.Random) -> None:  # uses `unused`: its warning goes
    _toggle(files, "specs/prompts/beta.j2", "Body: {{ body }}\n", "Body: {{ body }} {{ unused }}\n")


def input_file(files: Files, rng: random.Random) -> None:  # a number where a string belongs
    _toggle(files, "golden/beta/t.input.json", '{"body": "x"}\n', '{"body": 1}\n')


def revert(files: Files, rng: random.Random) -> None:
    files.clear()
    files.update(BASE)


EDITS: list[Callable[[Files, random.Random], None]] = [
    temperature, max_tokens, type_field, type_constraint, type_default, rename, add_routine,
    unknown_type, python_keyword, model, move_type, duplicate_type, shift, pyproject,
    prompt_file, input_file, revert,
]


def _write(root: Path, files: Files) -> None:
    for rel in ("specs/shared.routine", "specs/a.routine", "specs/b.routine"):
        (root / rel).unlink(missing_ok=True)
    write_project(root, files, pyproject=None)


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_incremental_lock_matches_a_cold_lock(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    warm, cold = tmp_path / "warm", tmp_path / "cold"
    files = dict(BASE)
    _write(warm, files)
    warm_env = cli_env(XDG_CACHE_HOME=str(tmp_path / "cache"))
    warm_env.pop("ROUTINEC_NO_CACHE", None)
    cold_env = cli_env(ROUTINEC_NO_CACHE="1")
    steps = ["(start)"]
    codes: set[int] = set()
    for step in range(14):
        if step:
            edit = rng.choice(EDITS)
            edit(files, rng)
            steps.append(edit.__name__)
            _write(warm, files)
        shutil.rmtree(cold, ignore_errors=True)
        shutil.copytree(warm, cold)  # the same sources and the same lock before the run
        got = run_cli("lock", cwd=warm, env=warm_env)
        want = run_cli("lock", cwd=cold, env=cold_env)
        where = f"seed {seed}, edits {steps}"
        assert (got.code, got.stdout, got.stderr) == (want.code, want.stdout, want.stderr), where
        assert snapshot(warm) == snapshot(cold), where
        assert "Traceback" not in got.output, where
        codes.add(got.code)
    # The sequence went through locks that were written and locks that were refused, and the
    # warm runs used the cache (check findings were filed).
    assert 0 in codes and codes - {0}, (codes, steps)
    assert any((tmp_path / "cache").rglob("*.check"))
