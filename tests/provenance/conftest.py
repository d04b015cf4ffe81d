"""Fixtures for provenance tests: the runtime tests' project, made a real git checkout with a
remote, recorded through the CLI against the loopback Messages API.

The recording is made once per session (per xdist worker) and each test gets its own copy of
that checkout (git history, lock, transcripts and SQLite ledger together): `record` itself is
tested end to end in tests/runtime and tests/ledger; here it is only the starting state."""

from __future__ import annotations

import copy
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import json_lines
from tests.runtime.conftest import cli_env, fake_api, project, run_cli, write_project
from tests.support.fake_api import FakeAnthropic

__all__ = ["fake_api", "git", "project", "recorded", "recorded_checkout"]

GIT_ENV = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.com", "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}


def git(root: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=True,
                          env={**os.environ, **GIT_ENV})
    return done.stdout.strip()


def commit_all(root: Path, message: str) -> str:
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", message)
    return git(root, "rev-parse", "HEAD")


@pytest.fixture(scope="session")
def recorded_checkout(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, dict[str, Any]]]:
    """`record summarize_pr` in a committed checkout, once: the checkout and the ledger's rows
    by case. Tests take a copy through `recorded`; never change this one."""
    root = write_project(tmp_path_factory.mktemp("recorded") / "proj")
    (root / ".gitignore").write_text(".routinec/\n")
    git(root, "init", "-q")
    # Credentials in a remote URL must never reach a statement.
    git(root, "remote", "add", "origin", "https://ci-bot:s3cr3t-token@git.example.com/team/demo.git")
    commit_all(root, "init")
    with FakeAnthropic() as api:
        done = run_cli(root, "record", "summarize_pr", env=cli_env(api))
    assert done.returncode == 0, done.stdout + done.stderr
    listed = run_cli(root, "ledger", "ls", "--format", "json")
    assert listed.returncode == 0, listed.stderr
    return root, {str(row["case"]): row for row in json_lines(listed.stdout, "run")}


@pytest.fixture
def recorded(project: Path, recorded_checkout: tuple[Path, dict[str, dict[str, Any]]]) -> dict[str, dict[str, Any]]:
    """`project` made a copy of the recorded checkout (its own files, git and ledger); the
    ledger's rows by case."""
    template, rows = recorded_checkout
    shutil.rmtree(project)
    shutil.copytree(template, project, symlinks=True)
    return copy.deepcopy(rows)
