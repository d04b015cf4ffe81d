"""Fixtures for provenance tests: the runtime tests' project, made a real git checkout with a
remote, recorded through the CLI against the loopback Messages API."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.helpers import json_lines
from tests.runtime.conftest import cli_env, fake_api, project, run_cli
from tests.support.fake_api import FakeAnthropic

__all__ = ["fake_api", "git", "project", "recorded"]

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


@pytest.fixture
def recorded(project: Path, fake_api: FakeAnthropic) -> dict[str, dict[str, object]]:
    """`record summarize_pr` in a committed checkout; the ledger's rows by case."""
    (project / ".gitignore").write_text(".routinec/\n")
    git(project, "init", "-q")
    # Credentials in a remote URL must never reach a statement.
    git(project, "remote", "add", "origin", "https://ci-bot:s3cr3t-token@git.example.com/team/demo.git")
    commit_all(project, "init")
    done = run_cli(project, "record", "summarize_pr", env=cli_env(fake_api))
    assert done.returncode == 0, done.stdout + done.stderr
    listed = run_cli(project, "ledger", "ls", "--format", "json")
    assert listed.returncode == 0, listed.stderr
    return {str(row["case"]): row for row in json_lines(listed.stdout, "run")}
