"""During a rollout every channel's version runs, so every consumer the current entry lists
must accept each channel's output: `rollout canary`, `lock`, `check` and `verify` run the
consumer-edge checks against the frozen stable and canary entries too (real CLI)."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import run_cli, write_project

SPEC = """\
routine producer v1 {
  model "claude-haiku-4-5"
  temperature 0
  max_tokens 1024
  prompt "Title: {{ title }}"
  input {
    title: string
  }
  output {
    summary: string (min_length 1)
    risk: "low" | "medium" | "high"
  }
  consumers [reader]
}

consumer reader {
  expects {
    summary: string
    risk: "low" | "medium" | "high"
  }
}
"""
PATH = "specs/producer.routine"


def _edit(root: Path, old: str, new: str) -> None:
    path = root / PATH
    text = path.read_text()
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new))


def test_consumers_must_accept_every_channel(tmp_path: Path) -> None:
    root = write_project(tmp_path / "p", {PATH: SPEC})
    assert run_cli("lock", cwd=root).code == 0
    # v2 adds a score; the reader does not need it yet: a canary is fine.
    _edit(root, "routine producer v1", "routine producer v2")
    _edit(root, '    risk: "low" | "medium" | "high"\n  }\n  consumers', '    risk: "low" | "medium" | "high"\n    score: int\n  }\n  consumers')
    started = run_cli("rollout", "canary", "producer", "--weight", "10", cwd=root)
    assert started.code == 0, started.output
    assert run_cli("verify", cwd=root).code == 0

    # Now the reader starts requiring the score: v2 (canary) has it, v1 (still stable) does not.
    _edit(root, "    summary: string\n    risk", "    summary: string\n    score: int\n    risk")
    before = (root / "routines.lock").read_bytes()
    for args in (("lock",), ("check",)):
        done = run_cli(*args, cwd=root)
        assert done.code == 1, (args, done.output)
        assert "consumer 'reader' does not accept the output of 'producer' (v1, on the stable channel)" in done.output
        assert "[consumer-break]" in done.output and "Traceback" not in done.output
        assert "v2, on the canary channel" not in done.output  # the canary's output has the score
    assert (root / "routines.lock").read_bytes() == before  # lock refused: nothing written
    verified = run_cli("verify", "--full", cwd=root)
    assert verified.code == 1 and "(v1, on the stable channel)" in verified.output

    # Once v2 is promoted, stable has the score too: the edge holds and lock writes.
    assert run_cli("rollout", "promote", "producer", cwd=root).code == 0
    assert run_cli("lock", cwd=root).code == 0, run_cli("lock", cwd=root).output
    assert run_cli("verify", cwd=root).code == 0
