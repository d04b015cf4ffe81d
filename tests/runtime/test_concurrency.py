"""Record under pressure: 429/529 with retry-after honoured, concurrent jobs, and Ctrl-C
(SIGINT to the real CLI while the server stalls) leaving finished transcripts intact and
no partial or temporary file."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from routinec.canonical import loads
from tests.runtime.conftest import cli_env, run_cli, snapshot
from tests.support.fake_api import FakeAnthropic, Reply, default_reply, error_reply


def test_429_and_529_retry_after_is_honoured(project: Path, fake_api: FakeAnthropic) -> None:
    fake_api.push(error_reply(429, "slow down", retry_after=1), error_reply(529, "overloaded", retry_after=0.5))
    start = time.monotonic()
    result = run_cli(project, "record", "chat", "--jobs", "1", env=cli_env(fake_api))
    assert result.returncode == 0, result.stdout + result.stderr
    posts = fake_api.messages()
    assert len(posts) == 3
    assert posts[0].body == posts[2].body
    assert time.monotonic() - start >= 1.5
    assert loads((project / "golden/chat/hello.transcript.json").read_bytes())["origin"] == "recorded"


def test_retry_after_beyond_cap_fails_fast(project: Path, fake_api: FakeAnthropic) -> None:
    fake_api.push(error_reply(429, "come back tomorrow", retry_after=86400))
    result = run_cli(project, "record", "chat", env=cli_env(fake_api))
    assert result.returncode == 1
    assert "the API asks to wait 86400s before retrying" in result.stdout


def test_ctrl_c_keeps_finished_transcripts_and_leaves_no_partial_file(project: Path) -> None:
    golden = project / "golden"
    with FakeAnthropic() as api:
        calls: list[str] = []
        second_call = threading.Event()
        release = threading.Event()

        def respond(req: dict[str, object]) -> Reply:
            reply = default_reply(req)
            calls.append("x")
            if len(calls) >= 2:  # the first answers; the rest stall until the test ends
                second_call.set()
                release.wait(60)
            return reply

        api.respond = respond
        before = snapshot(project)
        proc = subprocess.Popen(
            [sys.executable, "-m", "routinec", "record", "--jobs", "1"],
            cwd=project,
            env=cli_env(api),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            # A runner started in the background (`cmd &`, nohup) hands SIGINT down as ignored,
            # and Python keeps an ignored SIGINT ignored: give the CLI the default, as a terminal does.
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        )
        # With --jobs 1 the second request only starts once the first transcript is written.
        assert second_call.wait(120), "the second call never started"
        proc.send_signal(signal.SIGINT)
        try:
            out, err = proc.communicate(timeout=120)
        finally:
            release.set()
    assert proc.returncode == 130, out + err
    assert "interrupted: 1 transcript(s) written and intact, 2 case(s) not recorded" in err
    assert "Traceback" not in err
    after = snapshot(project)
    new = sorted(set(after) - set(before))
    assert new == ["golden/chat/hello.transcript.json"]
    assert loads(after[new[0]])["case"] == "hello"
    assert not [p for p in golden.rglob("*") if p.name.endswith(".tmp")]
