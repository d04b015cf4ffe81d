"""The built wheel, installed in a fresh venv (not this checkout), runs `--help`, the demo's
gates on the shipped examples, and a project made by `routinec init`."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

from tests.helpers import PYPROJECT

REPO = Path(__file__).resolve().parents[2]


def _run(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(args), cwd=cwd, env=env, capture_output=True, text=True, timeout=900)


def test_built_wheel_in_a_fresh_venv(tmp_path: Path) -> None:
    source = tmp_path / "source"
    shutil.copytree(REPO, source, ignore=shutil.ignore_patterns(
        ".git", ".venv", ".nox", "*.egg-info", "__pycache__", "build", "dist", ".routinec"))
    dist = tmp_path / "dist"
    # the isolated build environment's setuptools is pinned like everything else
    pinned = {**os.environ, "PIP_CONSTRAINT": str(REPO / "constraints.txt")}
    built = _run(sys.executable, "-m", "build", "--wheel", "--sdist", "--outdir", str(dist), str(source), cwd=source,
                 env=pinned)
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    [wheel] = sorted(dist.glob("routinec-*.whl"))
    checked = _run(sys.executable, "-m", "twine", "check", "--strict", *map(str, sorted(dist.iterdir())), cwd=tmp_path)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    env_dir = tmp_path / "venv"
    # No pip of its own (ensurepip costs ~3 s of CPU): this interpreter's pip installs into it.
    venv.EnvBuilder(with_pip=False).create(env_dir)
    bin_dir = env_dir / "bin"
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH") and not k.startswith(("ROUTINEC_", "ANTHROPIC_"))}
    env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    installed = _run(sys.executable, "-m", "pip", "--python", str(bin_dir / "python"), "install", "-q",
                     "-c", str(REPO / "constraints.txt"), str(wheel), cwd=tmp_path, env=env)
    assert installed.returncode == 0, installed.stdout + installed.stderr
    routinec = str(bin_dir / "routinec")
    helped = _run(routinec, "--help", cwd=tmp_path, env=env)
    assert helped.returncode == 0 and "routinec check" in helped.stdout, helped.stderr
    # the wheel's own code runs, not this checkout's
    where = _run(str(bin_dir / "python"), "-c", "import routinec; print(routinec.__file__)", cwd=tmp_path, env=env)
    assert str(env_dir) in where.stdout, where.stdout
    # the demo's gates on the shipped examples
    demo = tmp_path / "demo"
    demo.mkdir()
    for name in ("specs", "golden", "consumers"):
        shutil.copytree(REPO / name, demo / name)
    shutil.copy(REPO / "routines.lock", demo / "routines.lock")
    (demo / "pyproject.toml").write_text(PYPROJECT, "utf-8")
    for command in (("check",), ("fmt", "--check"), ("lock",), ("verify",), ("test",)):
        done = _run(routinec, *command, cwd=demo, env={**env, "CI": "true", "ROUTINEC_TODAY": "2026-06-01"})
        assert done.returncode == 0, (command, done.stdout, done.stderr)
    # init's templates ship in the wheel
    made = _run(routinec, "init", "fresh", cwd=tmp_path, env=env)
    assert made.returncode == 0, made.stdout + made.stderr
    for command in (("check",), ("lock",), ("verify",), ("test",)):
        done = _run(routinec, *command, cwd=tmp_path / "fresh", env={**env, "CI": "true"})
        assert done.returncode == 0, (command, done.stdout, done.stderr)
