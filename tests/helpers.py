"""Shared test helpers: write a project into a temp dir, run the CLI in a subprocess, golden files."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.support import forked

__all__ = [
    "DATA",
    "DEFAULT_TODAY",
    "PYPROJECT",
    "UPDATE_GOLDEN",
    "Result",
    "cli_env",
    "copy_case",
    "invoke",
    "json_lines",
    "run_cli",
    "snapshot",
    "write_project",
]

DATA = Path(__file__).parent / "data"
PYPROJECT = '[project]\nname = "demo"\nversion = "0.0.0"\n'
# A date before claude-sonnet-4-5 retires (2026-11-30): lifecycle output stays stable.
DEFAULT_TODAY = "2026-06-01"
UPDATE_GOLDEN = os.environ.get("ROUTINEC_UPDATE_GOLDEN") == "1"

# Variables the CLI reads; a developer's shell must not leak them into a test.
_SCRUB = (
    "ROUTINEC_TODAY",
    "ROUTINEC_DEBUG",
    "ROUTINEC_UPDATE_GOLDEN",
    "ANTHROPIC_API_KEY",
    "ANTHROPIC_AUTH_TOKEN",
    "ANTHROPIC_BASE_URL",
    "PYTHONHASHSEED",
)


@dataclass(frozen=True)
class Result:
    code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def write_project(
    root: Path, files: dict[str, str | bytes], *, pyproject: str | None = PYPROJECT
) -> Path:
    """Write `files` (project-relative path → text or bytes) under `root`, plus pyproject.toml."""
    root.mkdir(parents=True, exist_ok=True)
    if pyproject is not None and "pyproject.toml" not in files:
        (root / "pyproject.toml").write_text(pyproject, encoding="utf-8")
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_bytes(content.encode("utf-8"))
    return root


def copy_case(case: Path, dest: Path, *, skip: tuple[str, ...]) -> Path:
    """Copy a golden case directory (without its expected/control files) to `dest`."""
    shutil.copytree(
        case,
        dest,
        ignore=lambda _d, names: [n for n in names if n in skip] if _d == str(case) else [],
    )
    if not (dest / "pyproject.toml").exists():
        (dest / "pyproject.toml").write_text(PYPROJECT, encoding="utf-8")
    return dest


def cli_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _SCRUB}
    env["ROUTINEC_TODAY"] = DEFAULT_TODAY
    env["PYTHONUTF8"] = "1"
    env["PYTHONIOENCODING"] = "utf-8"
    env["COLUMNS"] = "100"
    env.update(extra)
    return env


# For a pytest run inside a test, whose subject is routinec's own plugin: hypothesis' and
# anyio's plugins (installed for this suite) cost ~0.7 s of imports in each such process and
# its xdist workers, and take no part in what is tested.
UNRELATED_PYTEST_PLUGINS = ("-p", "no:hypothesispytest", "-p", "no:anyio")


def run_cli(
    *args: str,
    cwd: Path,
    env: dict[str, str] | None = None,
    timeout: float = 120,
    module: str = "routinec",
) -> Result:
    """Run `python -m routinec ARGS` in `cwd`; output decoded as UTF-8 (bad bytes replaced).
    A real process of its own, forked from a warm interpreter (tests/support/forked.py)."""
    proc = forked.run(list(args), cwd=cwd, env=env if env is not None else cli_env(),
                      timeout=timeout, module=module)
    return Result(
        proc.returncode,
        proc.stdout.decode("utf-8", "replace"),
        proc.stderr.decode("utf-8", "replace"),
    )


def invoke(*args: str, cwd: Path, env: dict[str, str] | None = None) -> Result:
    """Run the CLI in-process (click's CliRunner) from `cwd`: the fast path for golden tables.

    Same entry point, flags and rendering as the subprocess; `env` is applied on top of a
    scrubbed copy of os.environ for the duration of the call.
    """
    from click.testing import CliRunner

    from routinec.cli import cli

    wanted = cli_env() if env is None else env
    overrides: dict[str, str | None] = {k: None for k in _SCRUB}
    overrides.update(wanted)
    old = Path.cwd()
    os.chdir(cwd)
    try:
        result = CliRunner().invoke(cli, list(args), env=overrides, prog_name="routinec")
    finally:
        os.chdir(old)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return Result(result.exit_code, result.stdout, result.stderr)


def json_lines(stdout: str, kind: str | None = None) -> list[dict[str, Any]]:
    """A `--format json` output: JSON lines ending in exactly one summary record. Returns the
    records of `kind` (every record before the summary when None)."""
    import json

    records = [json.loads(line) for line in stdout.splitlines() if line.strip()]
    assert records and records[-1].get("kind") == "summary", stdout
    assert sum(1 for r in records if r.get("kind") == "summary") == 1, stdout
    return [r for r in records[:-1] if kind is None or r.get("kind") == kind]


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file under `root` (relative POSIX path → bytes)."""
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def copy_examples(dest: Path) -> Path:
    """A copy of the shipped example project (specs, goldens, consumers, lock) at `dest`."""
    repo = Path(__file__).resolve().parents[1]
    for name in ("specs", "golden", "consumers"):
        shutil.copytree(repo / name, dest / name)
    for name in ("pyproject.toml", "routines.lock"):
        shutil.copy2(repo / name, dest / name)
    return dest
