"""The store on real SQLite files and a real PostgreSQL server (`backend`): concurrent writers
lose nothing, ids sort by time, migrations are recorded, the tables hold exactly the model's
fields, invokers are detected, and verify/check/replay load no database library."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from routinec.config import Env
from routinec.ledger.api import Ledger, parse_since
from routinec.ledger.errors import LedgerError
from routinec.ledger.ids import timestamp_ms, uuid7
from routinec.ledger.invoker import detect_invoker, git_commit
from routinec.ledger.model import Outcome, RunRecord
from routinec.ledger.store import SCHEMA_VERSION, Store, outcomes, runs
from tests.ledger.backends import Backend
from tests.support.ledger_records import make_run

ROOT = Path(__file__).parents[2]
HEAVY = ("sqlalchemy", "psycopg", "psycopg_binary", "alembic")


def _project(tmp_path: Path, backend: Backend | None = None) -> Path:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\nversion = "0"\n')
    return backend.configure(tmp_path) if backend is not None else tmp_path


def test_tables_hold_exactly_the_model_fields() -> None:
    assert [c.name for c in runs.columns] == [f for f in RunRecord.__dataclass_fields__]
    assert [c.name for c in outcomes.columns] == [f for f in Outcome.__dataclass_fields__]


def test_uuid7_is_time_ordered_and_versioned() -> None:
    ids = [uuid7() for _ in range(5000)]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    assert all(i[14] == "7" and i[19] in "89ab" for i in ids)
    assert uuid7(now_ms=1) > ids[-1]  # a clock that steps back still yields increasing ids
    assert abs(timestamp_ms(uuid7()) - timestamp_ms(ids[-1])) < 60_000


def test_schema_version_is_recorded_once(tmp_path: Path, backend: Backend) -> None:
    store = Store(backend.target(tmp_path))
    store.close()
    store = Store(backend.target(tmp_path))
    assert store.schema_version() == SCHEMA_VERSION
    assert store.read(lambda c: c.exec_driver_sql("select version from schema_version order by version").scalars().all()) == list(
        range(1, SCHEMA_VERSION + 1))
    assert store.read(lambda c: c.exec_driver_sql("select version_num from alembic_version").scalars().all()) == [f"{SCHEMA_VERSION:04d}"]
    if not backend.postgres:
        assert store.read(lambda c: c.exec_driver_sql("pragma journal_mode").scalar()) == "wal"
    store.close()


def test_batch_append_and_filters(tmp_path: Path, backend: Backend) -> None:
    with Ledger.open(_project(tmp_path, backend)) as ledger:
        ledger.append_many([make_run(version=v % 3, status="ok" if v % 2 else "error") for v in range(300)])
        assert len(ledger.runs()) == 300
        assert len(ledger.runs(version=1)) == 100
        assert len(ledger.runs(version=1, status="ok")) == 50
        assert ledger.runs(since="2999-01-01") == [] and len(ledger.runs(since="1d")) == 300
        with pytest.raises(LedgerError):
            ledger.runs(status="fine")


def test_since_parses_durations_and_dates() -> None:
    import datetime as dt

    now = dt.datetime(2026, 12, 2, 12, 0, tzinfo=dt.UTC)
    assert parse_since("30d", now) == "2026-11-02T12:00:00.000Z"
    assert parse_since("2h", now) == "2026-12-02T10:00:00.000Z"
    assert parse_since("2026-11-01", now) == "2026-11-01T00:00:00.000Z"
    with pytest.raises(LedgerError):
        parse_since("yesterday", now)


WRITER = textwrap.dedent('''
    import sys
    sys.path.insert(0, {root!r})
    from routinec.ledger.api import Ledger
    from tests.support.ledger_records import make_run
    with Ledger.open({project!r}) as ledger:
        for i in range({each}):
            ledger.append(make_run(case=f"w{{sys.argv[1]}}-{{i}}"))
''')


def test_concurrent_writers_lose_nothing(tmp_path: Path, backend: Backend) -> None:
    project = _project(tmp_path, backend)  # a new ledger: the six processes also race to create it
    writers, each = 6, 60
    script = WRITER.format(root=str(ROOT), project=str(project), each=each)
    procs = [subprocess.Popen([sys.executable, "-c", script, str(n)], stderr=subprocess.PIPE, text=True) for n in range(writers)]
    errors = [p.communicate(timeout=120)[1] for p in procs]
    assert [p.returncode for p in procs] == [0] * writers, errors
    with Ledger.open(project) as ledger:
        cases = [r.case for r in ledger.runs()]
    assert len(cases) == writers * each
    assert sorted(cases) == sorted(f"w{n}-{i}" for n in range(writers) for i in range(each))
    assert backend.query(project, "select version from schema_version order by version") == [
        (v,) for v in range(1, SCHEMA_VERSION + 1)]  # migrated once


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"GITHUB_ACTIONS": "true", "GITHUB_RUN_ID": "42", "GITHUB_JOB": "build", "GITHUB_REPOSITORY": "o/r",
          "GITHUB_SHA": "a" * 40, "USER": "runner"},
         ("github-actions", "runner", "build", "42", "o/r", "a" * 40)),
        ({"GITLAB_CI": "true", "CI_JOB_ID": "7", "CI_PIPELINE_ID": "9", "CI_PROJECT_PATH": "g/p"},
         ("gitlab-ci", None, "7", "9", "g/p", None)),
        ({"BUILDKITE": "true", "BUILDKITE_JOB_ID": "j", "BUILDKITE_BUILD_ID": "b"}, ("buildkite", None, "j", "b", None, None)),
        ({"CIRCLECI": "true", "CIRCLE_JOB": "test", "CIRCLE_WORKFLOW_ID": "w"}, ("circleci", None, "test", "w", None, None)),
        ({"JENKINS_URL": "http://j", "JOB_NAME": "nightly", "BUILD_ID": "5"}, ("jenkins", None, "nightly", "5", None, None)),
        ({"CI": "true", "USER": "u"}, ("ci", "u", None, None, None, None)),
        ({"LOGNAME": "alice"}, ("local", "alice", None, None, None, None)),
    ],
)
def test_invoker_from_standard_variables(env: dict[str, str], expected: tuple[str | None, ...]) -> None:
    found = detect_invoker(env)
    assert (found.provider, found.user, found.job, found.run, found.repository, found.commit) == expected
    # config.Env keeps exactly these variables for the ledger, and nothing else.
    kept = dict(Env.read({**env, "ANTHROPIC_API_KEY": "x", "HOME": "/h"}).invoker_vars)
    assert detect_invoker(kept) == found and "ANTHROPIC_API_KEY" not in kept


def test_git_commit_only_in_a_checkout(tmp_path: Path) -> None:
    assert git_commit(tmp_path) is None
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid", "-c", "commit.gpgsign=false"]
    subprocess.run([*git, "init", "-q", str(tmp_path)], check=True)
    (tmp_path / "f").write_text("x")
    subprocess.run([*git, "-C", str(tmp_path), "add", "f"], check=True)
    subprocess.run([*git, "-C", str(tmp_path), "commit", "-qm", "c"], check=True)
    commit = git_commit(tmp_path)
    assert commit is not None and len(commit) == 40


def test_database_libraries_load_only_on_ledger_paths() -> None:
    code = ("import sys, routinec.runtime.core, routinec.runtime.replay, routinec.cli, routinec.compiler, "
            "routinec.commands.project, routinec.ledger, routinec.ledger.model, routinec.ledger.api; "
            f"print(sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r}))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


# Runs the CLI in-process and prints, at exit, which database modules it had loaded.
_CLI_MODULES = textwrap.dedent('''
    import atexit, sys
    atexit.register(lambda: print("loaded:", sorted({{m.split(".")[0] for m in sys.modules}} & set({heavy!r}))))
    from routinec.cli import main
    sys.argv = ["routinec", *sys.argv[1:]]
    main()
''')


@pytest.mark.parametrize("command", [["verify"], ["check"], ["test"], ["show", "summarize_pr"]])
def test_verify_check_replay_and_show_load_no_database_library(command: list[str]) -> None:
    from tests.runtime.conftest import cli_env

    script = _CLI_MODULES.format(heavy=HEAVY)
    done = subprocess.run([sys.executable, "-c", script, *command], cwd=ROOT, env=cli_env(), capture_output=True, text=True)
    assert "loaded: []" in done.stdout, done.stdout + done.stderr
    assert done.returncode == 0, done.stdout + done.stderr  # the shipped project passes: the command ran
    assert "Traceback" not in done.stderr


def test_an_up_to_date_ledger_opens_without_alembic(tmp_path: Path, backend: Backend) -> None:
    project = _project(tmp_path, backend)
    Ledger.open(project).close()  # created and migrated (Alembic runs here)
    code = (f"import sys; sys.path.insert(0, {str(ROOT)!r}); from routinec.ledger import Ledger; "
            f"ledger = Ledger.open({str(project)!r}); print(ledger.store.schema_version(), 'alembic' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == [str(SCHEMA_VERSION), "False"]


@pytest.mark.parametrize(
    ("table", "words"),
    [('content = "everything"', "content"), ('path = "../outside.db"', "leaves the project"),
     ("colour = 1", "unknown [tool.routinec.ledger] setting")],
)
def test_bad_ledger_settings_are_config_errors(tmp_path: Path, table: str, words: str) -> None:
    from routinec.config import load_config
    from routinec.diagnostics import DiagnosticError

    (tmp_path / "pyproject.toml").write_text(f"[tool.routinec.ledger]\n{table}\n")
    with pytest.raises(DiagnosticError) as caught:
        load_config(tmp_path)
    assert words in caught.value.diagnostics[0].message


def test_ledger_settings(tmp_path: Path) -> None:
    from routinec.config import load_config

    (tmp_path / "pyproject.toml").write_text('[tool.routinec.ledger]\ncontent = "digests"\npath = "audit/runs.db"\n')
    config = load_config(tmp_path)
    assert config.ledger_content == "digests" and config.ledger_path == tmp_path.resolve() / "audit" / "runs.db"
    with Ledger.open(tmp_path) as ledger:
        assert ledger.path == config.ledger_path and ledger.path.is_file()


KILLED = textwrap.dedent('''
    import sys
    sys.path.insert(0, {root!r})
    from routinec.ledger.api import Ledger
    from tests.support.ledger_records import make_run
    with Ledger.open({project!r}) as ledger:
        n = 0
        while True:
            ledger.append_many([make_run() for _ in range(20)])
            n += 20
            print(n, flush=True)
''')


def test_sigkill_during_writes_loses_no_committed_record(tmp_path: Path, backend: Backend) -> None:
    import signal

    project = _project(tmp_path, backend)
    script = KILLED.format(root=str(ROOT), project=str(project))
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    committed = 0
    for line in proc.stdout:
        committed = int(line)
        if committed >= 400:
            break
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    with Ledger.open(project) as ledger:
        if not backend.postgres:
            assert ledger.store.read(lambda c: c.exec_driver_sql("pragma integrity_check").scalar()) == "ok"
        count = len(ledger.runs())
    assert count >= committed and count % 20 == 0  # whole batches: a transaction is all or nothing


def test_bulk_appends_round_trip_every_field(tmp_path: Path, backend: Backend) -> None:
    store = Store(backend.target(tmp_path))
    try:
        records = [make_run(case=None if i % 2 else f"c{i}", output_valid=bool(i % 3), latency_ms=i + 0.125,
                            input_tokens=None if i == 4 else i, content_truncated=i == 5, git_commit="a" * 40 if i % 4 else None)
                   for i in range(30)]
        assert store.append_runs((r for r in records), batch=7) == 30  # a generator, five transactions
        assert store.runs() == records
        items = [Outcome(outcome_id=uuid7(), run_id=records[i].run_id, recorded_at=records[i].ended_at,
                         verdict="modified" if i % 2 else "accepted", source="judge", by=None if i % 2 else "alice",
                         comment="it's \\ \"quoted\"\ttabbed\nnewline" if i == 3 else None, correction_json=None,
                         correction_digest=None, diff_json='[{"op": "replaced", "path": ""}]', overrides=None)
                 for i in range(10)]
        assert store.append_outcomes(items, batch=4) == 10
        assert store.outcomes(r.run_id for r in records) == sorted(items, key=lambda o: (o.recorded_at, o.outcome_id))
        with pytest.raises(LedgerError):  # a run id already there: that batch is refused whole
            store.append_runs([make_run(), records[0]])
        assert len(store.runs()) == 30
    finally:
        store.close()
