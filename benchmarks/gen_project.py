"""Benchmark fixture: write an N-routine routinec project.

    python benchmarks/gen_project.py DIR N [--per-file K]

Every routine has a named type (holding a string-literal enum), five fields (three inputs,
two outputs), a file prompt under specs/prompts/ that uses every input, and one test whose
input lives in a file under golden/. The project checks with 0 errors and 0 warnings.

Layout: specs are grouped ~10 routines to a file (`specs/group_0000.routine`, ...), each
routine's type beside it. That is how real projects look (a file per feature area, not per
function), it exercises name resolution across many routines per file, and it keeps the
per-file costs (stat, read, parser start-up, one source digest per spec file) from standing
in for per-routine costs. `--per-file 1` gives one routine per file for the other extreme.
Prompts and test inputs are one file per routine either way, so a 10,000-routine project is
~21,000 files (1,000 specs, 10,000 prompts, 10,000 test inputs).

Output is deterministic: the same N gives the same bytes.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

__all__ = ["generate"]

# Two current models that accept temperature, so no lifecycle or parameter warnings appear.
_MODELS = ("claude-haiku-4-5", "claude-sonnet-4-6")

_PYPROJECT = """\
[project]
name = "routinec-bench-{n}"
version = "0.0.0"

[tool.routinec]
specs = "specs"
golden = "golden"
lockfile = "routines.lock"
"""


def _name(i: int) -> str:
    return f"routine_{i:05d}"


def _type_name(i: int) -> str:
    return f"Finding{i:05d}"


def _routine(i: int) -> str:
    name = _name(i)
    tname = _type_name(i)
    model = _MODELS[i % len(_MODELS)]
    return f'''\
# {name}: generated benchmark routine
type {tname} {{
  path: string (min_length 1)
  change: "added" | "modified" | "deleted"
  note?: string
}}

routine {name} v{1 + i % 3} {{
  description "Benchmark routine {i}: summarize a change set."
  model "{model}"
  temperature 0
  max_tokens {512 + (i % 8) * 128}
  state reset

  system "You are a careful reviewer (routine {i})."
  prompt file "specs/prompts/{name}.j2"

  input {{
    title: string (max_length 2000)
    body: string
    labels: list[string] = []
  }}
  output {{
    summary: string (min_length 1)
    findings: list[{tname}] (max_items 50)
  }}

  test smoke_{i} {{
    input file "golden/{name}/smoke.input.json"
    compare {{ summary: text, findings: exact }}
  }}
}}
'''


def _prompt(i: int) -> str:
    return f"""\
Routine {i}. Summarize the change below for a reviewer.

Title: {{{{ title }}}}
{{% if labels %}}Labels: {{{{ labels | join(", ") }}}}{{% endif %}}

{{{{ body }}}}
"""


def _test_input(i: int) -> bytes:
    data = {
        "title": f"Change {i}: tidy the parser",
        "body": f"diff --git a/src/mod_{i}.py b/src/mod_{i}.py\n+print({i})\n",
        "labels": ["bench", f"group-{i // 10}"],
    }
    return (json.dumps(data, indent=2, sort_keys=True) + "\n").encode()


def generate(root: Path, n: int, *, per_file: int = 10) -> None:
    """Write an `n`-routine project under `root` (created if missing; existing files kept)."""
    if n < 1:
        raise ValueError("n must be at least 1")
    if per_file < 1:
        raise ValueError("per_file must be at least 1")
    root = Path(root)
    specs = root / "specs"
    prompts = specs / "prompts"
    golden = root / "golden"
    prompts.mkdir(parents=True, exist_ok=True)
    golden.mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text(_PYPROJECT.format(n=n), encoding="utf-8")
    width = max(4, len(str((n - 1) // per_file)))
    for start in range(0, n, per_file):
        stop = min(n, start + per_file)
        group = start // per_file
        text = "\n".join(_routine(i) for i in range(start, stop))
        (specs / f"group_{group:0{width}d}.routine").write_text(text, encoding="utf-8")
        for i in range(start, stop):
            (prompts / f"{_name(i)}.j2").write_text(_prompt(i), encoding="utf-8")
            case_dir = golden / _name(i)
            case_dir.mkdir(exist_ok=True)
            (case_dir / "smoke.input.json").write_bytes(_test_input(i))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write an N-routine routinec benchmark project.")
    parser.add_argument("dir", type=Path, help="project directory to write (created if missing)")
    parser.add_argument("n", type=int, help="number of routines")
    parser.add_argument("--per-file", type=int, default=10, help="routines per .routine file (default 10)")
    args = parser.parse_args(argv)
    if args.n < 1 or args.per_file < 1:
        parser.error("N and --per-file must be at least 1")
    generate(args.dir, args.n, per_file=args.per_file)
    print(f"wrote {args.n} routines to {args.dir}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
