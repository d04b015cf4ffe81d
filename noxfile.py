"""Developer entry points: `nox -s demo`, `nox -s tests`, lint, typecheck, imports, bench, fuzz.

Every session installs under `constraints.txt`, so a test run does not depend on which
releases the package index serves that day; `nox -s constraints` refreshes it on purpose.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

import nox

nox.options.sessions = ["demo", "tests"]
nox.options.reuse_existing_virtualenvs = True
nox.options.error_on_missing_interpreters = False

ROOT = Path(__file__).parent
CONSTRAINTS = ("-c", str(ROOT / "constraints.txt"))
# Everything any session installs, resolved together when the constraints are refreshed.
EVERYTHING = (".[dev]", "jsoncompat", "nox")
PYTHON = ["3.11", "3.12", "3.13", "3.14"]


def _python() -> str | None:
    # Use whichever interpreter runs nox (Python 3.11+ is all the README asks for).
    return None


def _install_editable(session: nox.Session, *extras: str) -> None:
    """`pip install -e .[extras]` under the constraints, skipped when this venv already holds
    that install from the same pyproject.toml and constraints.txt (an editable install picks
    up source changes by itself; pip takes ~10 s to find that nothing changed). Delete the
    session's venv under .nox/ to force it."""
    import hashlib

    spec = ".[" + ",".join(extras) + "]"
    stamp = Path(session.virtualenv.location) / ".routinec-installed"
    key = hashlib.sha256(b"\0".join(
        [spec.encode(), (ROOT / "pyproject.toml").read_bytes(), (ROOT / "constraints.txt").read_bytes()]
    )).hexdigest()
    if stamp.is_file() and stamp.read_text() == key:
        session.log(f"{spec} already installed from this pyproject.toml and constraints.txt")
        return
    session.install(*CONSTRAINTS, "-e", spec)
    stamp.write_text(key)


@nox.session(python=_python())
def demo(session: nox.Session) -> None:
    """The main job on the shipped examples: check, lock, verify, replay and golden tests; then
    the run ledger (a recorded run, an outcome) and the health report."""
    session.install(*CONSTRAINTS, ".[ledger]")
    session.run("routinec", "--version")
    session.log("1. check every spec under specs/, and that they are formatted")
    session.run("routinec", "check")
    session.run("routinec", "fmt", "--check")
    session.log("2. lock: the shipped routines.lock is already up to date, so it is not rewritten")
    session.run("routinec", "lock")
    session.log("3. verify, as CI would")
    session.run("routinec", "verify")
    if (ROOT / "golden").is_dir() and any((ROOT / "golden").rglob("*.transcript.json")):
        session.log("4. replay the recorded transcripts offline and compare with goldens")
        session.run("routinec", "test", env={"CI": "true"})
    with tempfile.TemporaryDirectory(prefix="routinec-demo-") as tmp:
        copy = Path(tmp) / "project"
        shutil.copytree(ROOT, copy, ignore=shutil.ignore_patterns(
            ".git", ".nox", ".routinec", "*.egg-info", "__pycache__", "tests", "benchmarks", "src", "report.html"))
        session.chdir(copy)
        session.log("5. the run ledger: replay again with --ledger, so each case is a recorded run")
        session.run("routinec", "test", "--ledger", env={"CI": "true"})
        session.run("routinec", "ledger", "ls")
        listed = session.run("routinec", "ledger", "ls", "--routine", "summarize_pr", "--format", "json", silent=True)
        # JSON lines: one run per line, then the closing summary record.
        records = [json.loads(line) for line in str(listed).splitlines() if line.startswith("{")]
        runs = [r for r in records if r["kind"] == "run"]
        run_id = runs[-1]["run_id"]
        session.log(f"6. an outcome for run {run_id}: accepted")
        session.run("routinec", "outcome", run_id, "accepted", "--by", "demo", "--comment", "looks right")
        session.run("routinec", "ledger", "show", run_id)
        report = ROOT / ".nox" / "demo-report.html"
        session.log(f"7. the health report, one self-contained page: {report}")
        session.run("routinec", "report", "-o", str(report))
        golden = copy / "golden" / "summarize_pr" / "small_fix.output.json"
        golden.write_text(golden.read_text("utf-8").replace('"risk": "low"', '"risk": "high"'), "utf-8")
        session.log("8. a copy whose golden says risk=high while the recorded answer says low: test must fail (exit 1)")
        session.run("routinec", "test", env={"CI": "true"}, success_codes=[1])
        session.log("   routinec show: the case's input, the recorded output, the golden and the field diff")
        session.run("routinec", "show", "summarize_pr/small_fix")
        spec = copy / "specs" / "summarize_pr.routine"
        spec.write_text(spec.read_text("utf-8").replace("temperature 0", "temperature 0.2", 1), "utf-8")
        session.log("9. the same copy with temperature 0 → 0.2 in the spec: verify must fail (exit 1)")
        session.run("routinec", "verify", success_codes=[1])
        _demo_rollout(session, Path(tmp) / "rollout")
        session.chdir(ROOT)


def _demo_rollout(session: nox.Session, copy: Path) -> None:
    """Rollout (docs/rollout.md): a 20% sticky canary of the spec's next version, guarded by
    outcomes, and the one-command rollback; the lock stays verifiable throughout."""
    shutil.copytree(ROOT, copy, ignore=shutil.ignore_patterns(
        ".git", ".nox", ".routinec", "*.egg-info", "__pycache__", "tests", "benchmarks", "src", "report.html"))
    session.chdir(copy)
    spec = copy / "specs" / "summarize_pr.routine"
    spec.write_text(spec.read_text("utf-8").replace("routine summarize_pr v3", "routine summarize_pr v4", 1)
                    .replace("temperature 0", "temperature 0.2", 1), "utf-8")
    session.log("10. rollout: the spec's summarize_pr is now v4; v3 stays stable, v4 gets 20% (sticky by input.title)")
    session.run("routinec", "rollout", "canary", "summarize_pr", "--weight", "20", "--key", "input.title",
                "--guard", "rejected<=+5%", "--min-outcomes", "50", "--by", "demo", "--why", "try temperature 0.2")
    session.run("routinec", "rollout", "status", "summarize_pr")
    session.run("routinec", "verify")  # channels point at frozen entries that hash as written
    session.run("routinec", "rollout", "check")  # pending: no outcomes yet
    session.log("11. the rollback: one command, stable untouched; every change is a rollout record in the ledger")
    session.run("routinec", "rollout", "abort", "summarize_pr", "--by", "demo", "--why", "demo rollback")
    session.run("routinec", "rollout", "status", "summarize_pr")
    session.run("routinec", "verify")
    session.run("routinec", "report", "-o", str(ROOT / ".nox" / "demo-rollout-report.html"))


@nox.session(python=_python())
def tests(session: nox.Session) -> None:
    """The whole test suite, on two workers."""
    _install_editable(session, "dev")
    # The suite starts `routinec` ~1,500 times. Where PYTHONDONTWRITEBYTECODE is set (CI images
    # often set it) no start ever writes bytecode, so each compiled routinec from source again:
    # ~0.1 s of CPU per start. Compile once here (py_compile writes whatever that variable says).
    session.run("python", "-m", "compileall", "-q", "src", "tests", silent=True)
    # worksteal: a worker that runs out takes queued tests from the other, so the run does not
    # end on one core (measured on an idle 2-core machine: 3:57 against 4:03-4:08 with `load`).
    session.run("pytest", "-n", "2", "--dist", "worksteal", "-q", *session.posargs)


@nox.session(python=_python())
def lint(session: nox.Session) -> None:
    session.install(*CONSTRAINTS, "ruff")
    session.run("ruff", "check", "src", "tests", "benchmarks", "scripts", "noxfile.py")


@nox.session(python=_python())
def typecheck(session: nox.Session) -> None:
    session.install(*CONSTRAINTS, "-e", ".[dev]")
    session.run("mypy", "src/routinec")


@nox.session(python=_python())
def imports(session: nox.Session) -> None:
    """The layer contract (pyproject [tool.importlinter])."""
    session.install(*CONSTRAINTS, "-e", ".[ledger]", "import-linter")  # the contracts name sqlalchemy
    session.run("lint-imports")


@nox.session(python=_python())
def bench(session: nox.Session) -> None:
    """Print the performance figures the README quotes (`-- --sizes 100,1000` for a quick run)."""
    session.install(*CONSTRAINTS, "-e", ".[dev]", "jsoncompat")
    for script in sorted((ROOT / "benchmarks").glob("bench_*.py")):
        session.log(f"== {script.name}")
        # posargs are bench_compile's (--sizes, --repeat, --profile …); the others take none.
        args = session.posargs if script.name == "bench_compile.py" else []
        session.run("python", str(script), *args)


@nox.session(python=_python())
def fuzz(session: nox.Session) -> None:
    """Crash, corruption and SIGKILL figures (issue #13): 100,000 specs, 200 corruptions per
    file kind, 100 kills per scenario on a 1,000-routine lock. Not in CI; prints figures.
    `-- --specs 2000 --corruptions 50 --kills 10` for a quick run."""
    session.install(*CONSTRAINTS, "-e", ".[dev]")
    session.run("python", "-m", "tests.fuzz", *session.posargs, env={"PYTHONPATH": str(ROOT)})


@nox.session(python=_python(), venv_backend="venv")
def constraints(session: nox.Session) -> None:
    """Refresh constraints.txt from what the index serves today (review the diff, then commit)."""
    session.install("--upgrade", "pip")
    session.install("-e", *EVERYTHING)
    # --all: setuptools too (the build backend `nox -s build` and the wheel test build with);
    # never pip itself (`--upgrade pip` above must stay free to move).
    frozen = session.run("pip", "freeze", "--all", "--exclude-editable", silent=True)
    assert isinstance(frozen, str)
    lines = sorted(
        (line for line in frozen.splitlines() if line and not line.startswith(("#", "pip=="))),
        key=str.lower,
    )
    header = (
        "# Pinned versions of everything the nox sessions install. Refreshed on purpose with\n"
        "# `nox -s constraints`; the test suite runs against exactly these.\n"
    )
    (ROOT / "constraints.txt").write_text(header + "\n".join(lines) + "\n", "utf-8")
    session.log(f"wrote constraints.txt: {len(lines)} packages")


@nox.session(python=_python())
def build(session: nox.Session) -> None:
    """The sdist and the wheel in dist/, checked with `twine check --strict` (no upload: routinec
    is installed from a checkout or from this wheel, not from a package index)."""
    session.install(*CONSTRAINTS, "build", "twine")
    dist = ROOT / "dist"
    shutil.rmtree(dist, ignore_errors=True)
    # the isolated build environment takes its setuptools from constraints.txt too
    session.run("python", "-m", "build", "--outdir", str(dist), str(ROOT),
                env={"PIP_CONSTRAINT": str(ROOT / "constraints.txt")})
    built = sorted(str(p) for p in dist.iterdir())
    session.run("twine", "check", "--strict", *built)
    session.log("built: " + ", ".join(Path(p).name for p in built))
