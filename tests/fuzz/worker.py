"""Fuzz worker: runs CLI commands in-process (click's CliRunner) on one temp project per kind.

Reads JSON lines from stdin, answers one JSON line per request on stdout. The driver runs it
as a subprocess so that a hang can be killed (the hang guard) without losing the run.
Request: {"spec": text} (check, lock, fmt --check on specs/fuzz.routine; the lock is kept
between cases so `lock` also meets compat against the previous one) or
{"file": rel, "data": base64, "cmds": [[...], ...]} (the examples project with one file
replaced; restored afterwards). Answer: {"runs": [[cmd, exit, seconds, problem|null, out]]}.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any


def _invoke(args: list[str], root: Path) -> tuple[int, float, str | None, str]:
    from click.testing import CliRunner

    from routinec.cli import cli

    start = time.perf_counter()
    result = CliRunner().invoke(cli, [*args, "--project", str(root)], prog_name="routinec")
    seconds = time.perf_counter() - start
    out = result.stdout + result.stderr
    problem = None
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        problem = f"uncaught {type(result.exception).__name__}: {result.exception}"[:300]
    elif "internal error" in out or "bug in routinec" in out or "Traceback" in out or "[internal]" in out:
        problem = out.strip().splitlines()[0][:300] if out.strip() else "internal error"
    elif result.exit_code not in (0, 1, 2):
        problem = f"exit code {result.exit_code}"
    elif result.exit_code != 0 and not out.strip():
        problem = f"exit {result.exit_code} without a message"
    return result.exit_code, seconds, problem, out[-400:]


def main() -> int:
    os.environ.update({"ROUTINEC_TODAY": "2026-06-01", "COLUMNS": "100"})
    for key in ("ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL", "CI", "ROUTINEC_DEBUG"):
        os.environ.pop(key, None)
    base = Path(tempfile.mkdtemp(prefix="routinec-fuzz-"))
    specs_root = base / "specs-project"
    (specs_root / "specs").mkdir(parents=True)
    (specs_root / "pyproject.toml").write_text('[project]\nname = "fuzz"\nversion = "0"\n')
    examples = base / "examples"
    examples.mkdir()
    from tests.helpers import copy_examples

    copy_examples(examples)
    originals: dict[str, bytes] = {}
    try:
        for line in sys.stdin:
            request: dict[str, Any] = json.loads(line)
            runs = []
            if "spec" in request:
                (specs_root / "specs" / "fuzz.routine").write_text(request["spec"], "utf-8", newline="")
                for cmd in (["check"], ["lock"], ["fmt", "--check"]):
                    runs.append([" ".join(cmd), *_invoke(cmd, specs_root)])
            else:
                rel = request["file"]
                target = examples / rel
                originals.setdefault(rel, target.read_bytes())
                target.write_bytes(base64.b64decode(request["data"]))
                try:
                    for cmd in request["cmds"]:
                        runs.append([" ".join(cmd), *_invoke(cmd, examples)])
                finally:
                    target.write_bytes(originals[rel])
            sys.stdout.write(json.dumps({"runs": runs}) + "\n")
            sys.stdout.flush()
    finally:
        shutil.rmtree(base, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
