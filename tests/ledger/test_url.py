"""Where the ledger lives: `[tool.routinec.ledger] url`, `ROUTINEC_LEDGER_URL` over it, bad
URLs as config errors, and a server that cannot be reached as one line with a hint, exit 2,
the password never printed (nor written to the spool)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from routinec.config import display_url, load_config
from routinec.ledger.api import Ledger, ledger_name, store_target
from tests.ledger.backends import Backend, closed_port, set_ledger_setting
from tests.runtime.conftest import cli_env, run_cli, write_project
from tests.support.fake_api import FakeAnthropic
from tests.support.ledger_records import make_run

PASSWORD = "pw-s3cret-0123456789"


def test_display_url_hides_passwords() -> None:
    assert display_url(f"postgresql://bob:{PASSWORD}@db.example:5432/ledger") == "postgresql://bob:***@db.example:5432/ledger"
    assert display_url(f"postgresql://db/ledger?sslmode=require&password={PASSWORD}") == \
        "postgresql://db/ledger?sslmode=require&password=***"
    assert display_url("postgresql+psycopg://bob@db/ledger") == "postgresql+psycopg://bob@db/ledger"
    assert display_url("sqlite:///.routinec/ledger.db") == "sqlite:///.routinec/ledger.db"


def test_the_environment_variable_wins_over_pyproject(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, backend: Backend
) -> None:
    project = tmp_path / "proj"
    project.mkdir()
    (project / "pyproject.toml").write_text('[tool.routinec.ledger]\nurl = "sqlite:///from-pyproject.db"\n')
    assert store_target(load_config(project)) == project.resolve() / "from-pyproject.db"
    env_url = backend.url or f"sqlite:///{tmp_path / 'from-env.db'}"
    monkeypatch.setenv("ROUTINEC_LEDGER_URL", env_url)
    record = make_run(case="env")
    with Ledger.open(project) as ledger:
        ledger.append(record)
        assert ledger.path == (None if backend.postgres else tmp_path / "from-env.db")
    assert not (project / "from-pyproject.db").exists()
    if backend.postgres:
        assert backend.query(tmp_path, "select run_id from runs") == [(record.run_id,)]
    else:
        assert (tmp_path / "from-env.db").is_file()


def test_ledger_name_is_the_file_in_the_project_or_the_url_without_its_password(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = tmp_path / "proj"
    project.mkdir()
    (project / "pyproject.toml").write_text('[tool.routinec.ledger]\npath = "var/runs.db"\n')
    assert ledger_name(load_config(project)) == "var/runs.db"
    monkeypatch.setenv("ROUTINEC_LEDGER_URL", f"sqlite:///{tmp_path / 'elsewhere.db'}")
    assert ledger_name(load_config(project)) == str(tmp_path / "elsewhere.db")
    monkeypatch.setenv("ROUTINEC_LEDGER_URL", f"postgresql://bob:{PASSWORD}@db.example:5432/ledger")
    assert ledger_name(load_config(project)) == "postgresql://bob:***@db.example:5432/ledger"


@pytest.mark.parametrize(
    ("setting", "words"),
    [(f"mysql://bob:{PASSWORD}@db/ledger", "is not a ledger URL"), ("sqlite://", "names no file"),
     ("ledger.db", "is not a ledger URL")],
)
def test_bad_urls_are_config_errors(tmp_path: Path, setting: str, words: str) -> None:
    project = tmp_path / "proj"
    project.mkdir()
    (project / "pyproject.toml").write_text(f'[tool.routinec.ledger]\nurl = "{setting}"\n')
    from_file = run_cli(project, "ledger", "ls")
    (project / "pyproject.toml").write_text("")
    from_env = run_cli(project, "ledger", "ls", env=cli_env(ROUTINEC_LEDGER_URL=setting))
    for done, where in ((from_file, "[tool.routinec.ledger] url"), (from_env, "ROUTINEC_LEDGER_URL")):
        assert done.returncode == 2, (done.stdout + done.stderr)
        assert where in (done.stdout + done.stderr) and words in (done.stdout + done.stderr) and "[config]" in (done.stdout + done.stderr) and "help:" in (done.stdout + done.stderr)
        assert (done.stdout + done.stderr).count("\n") == 2 and PASSWORD not in (done.stdout + done.stderr)
    assert not (project / ".routinec").exists()


def test_an_unreachable_server_is_one_line_and_never_shows_the_password(tmp_path: Path, fake_api: FakeAnthropic) -> None:
    project = write_project(tmp_path / "proj")
    with closed_port() as blocked:
        port = blocked.getsockname()[1]
        set_ledger_setting(project, f'url = "postgresql://routinec:{PASSWORD}@127.0.0.1:{port}/ledger"')
        for args in (["ledger", "ls"], ["ledger", "sync"], ["outcome", "0190d6a0-0000-7000-8000-000000000000", "accepted"]):
            done = run_cli(project, *args)
            assert done.returncode == 2, (done.stdout + done.stderr)
            assert "[ledger-unavailable]" in (done.stdout + done.stderr) and f"postgresql://routinec:***@127.0.0.1:{port}/ledger" in (done.stdout + done.stderr)
            assert (done.stdout + done.stderr).count("\n") == 2 and "help:" in (done.stdout + done.stderr) and "Traceback" not in (done.stdout + done.stderr)
            assert PASSWORD not in (done.stdout + done.stderr) + done.stdout

        recorded = run_cli(project, "record", "summarize_pr", "--case", "small_fix", env=cli_env(fake_api))
    assert recorded.returncode == 0, (recorded.stdout + recorded.stderr)  # the answer is kept: the record waits in the spool
    assert "1 run record(s) kept in .routinec/spool/" in (recorded.stdout + recorded.stderr) and PASSWORD not in (recorded.stdout + recorded.stderr)
    spooled = list((project / ".routinec" / "spool").glob("*.run.json"))
    assert len(spooled) == 1 and json.loads(spooled[0].read_text())["case"] == "small_fix"
    written = [p for p in project.rglob("*") if p.is_file() and p.name != "pyproject.toml"]  # it holds the URL itself
    assert written and not any(PASSWORD in p.read_text(errors="replace") for p in written)
