"""`routinec record` shows progress (cases done/total, tokens) on a terminal, and only there."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

from tests.runtime.conftest import cli_env, run_cli
from tests.support.fake_api import FakeAnthropic


def _read_all(fd: int) -> bytes:
    chunks: list[bytes] = []
    while True:
        try:
            data = os.read(fd, 4096)
        except OSError:  # EIO: the child closed its end
            break
        if not data:
            break
        chunks.append(data)
    return b"".join(chunks)


def test_progress_line_on_a_terminal(project: Path, fake_api: FakeAnthropic) -> None:
    leader, follower = pty.openpty()
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "routinec", "record", "--jobs", "2"],
            cwd=project,
            env=cli_env(fake_api),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=follower,
        )
        os.close(follower)
        follower = -1
        stdout, _ = proc.communicate(timeout=60)
        terminal = _read_all(leader).decode("utf-8", "replace")
    finally:
        os.close(leader)
        if follower != -1:
            os.close(follower)
    assert proc.returncode == 0, terminal + stdout.decode()
    assert "3/3 cases done" in terminal
    # Tokens are summed from the usage each answer reports (the fake server's 11 in + 7 out).
    assert "3/3 cases done, 54 tokens used" in terminal
    assert "\r" in terminal  # one line, rewritten in place


def test_no_progress_line_when_not_a_terminal(project: Path, fake_api: FakeAnthropic) -> None:
    result = run_cli(project, "record", env=cli_env(fake_api))
    assert result.returncode == 0, result.stderr
    assert "cases done" not in result.stderr + result.stdout
