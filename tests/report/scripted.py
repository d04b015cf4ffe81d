"""A scripted project history for the report's tests and the README screenshot: a real git
repository whose routines.lock (compiled by the real compiler) changes over five commits,
and a real SQLite ledger with runs and outcomes written through the `Ledger` API.

History (committer dates in May 2026; ROUTINEC_TODAY=2026-06-01):
  C1 05-05  summarize_pr v1 and chat v1 added; summarize_pr lists consumer release_notes
  C2 05-10  summarize_pr: prompt reworded (no schema change)
  C3 05-15  summarize_pr v2: risk gains "critical" (breaking, bumped); release_notes rejects it
  C4 05-20  chat v1: output loses its required `source` (breaking, NOT bumped)
  C5 05-25  release_notes accepts "critical" (the edge is whole again)
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from routinec.compiler.build import build
from routinec.config import load_config
from routinec.ledger.api import Ledger
from routinec.ledger.ids import uuid7
from routinec.lockfile import read_lock, write_lock
from tests.support.ledger_records import make_run

TODAY = "2026-06-01"
SINCE = "2026-05-01"

_SUMMARIZE = '''\
routine summarize_pr v{version} {{
  model "claude-sonnet-4-5"
  temperature 0
  max_tokens 512
  prompt """{prompt} {{{{ title }}}}"""
  input {{ title: string }}
  output {{
    summary: string
    risk: {risk}
  }}
  consumers [release_notes]
}}

consumer release_notes {{
  expects {{
    summary: string
    risk: {accepts}
  }}
}}
'''

_CHAT = '''\
routine chat v1 {{
  model "claude-haiku-4-5"
  temperature 0
  max_tokens 256
  prompt """Q: {{{{ question }}}}"""
  input {{ question: string }}
  output {{ {output} }}
}}
'''

_RISK = '"low" | "medium" | "high"'
_RISK2 = '"low" | "medium" | "high" | "critical"'


def _git(root: Path, *args: str, date: str | None = None) -> None:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
    if date is not None:
        env["GIT_AUTHOR_DATE"] = env["GIT_COMMITTER_DATE"] = date
    subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True, env=env)


def _commit(root: Path, summarize: dict[str, str], chat_output: str, message: str, date: str) -> None:
    (root / "specs" / "summarize_pr.routine").write_text(_SUMMARIZE.format(**summarize))
    (root / "specs" / "chat.routine").write_text(_CHAT.format(output=chat_output))
    config = load_config(root)
    built = build(config)
    assert built.lock is not None, [d.message for d in built.errors]
    # Written without lock's gates: C3 and C4 are what a merge of two branches can leave.
    write_lock(config.lock_path, built.lock)
    _git(root, "add", "-A")
    _git(root, "commit", "-q", "-m", message, date=date)


@dataclass
class Scripted:
    root: Path
    run_ids: dict[str, list[str]] = field(default_factory=dict)  # "summarize_pr v2" -> run ids


def _at(day: int, hour: int = 9) -> str:
    return f"2026-05-{day:02d}T{hour:02d}:00:00.000Z"


def make_history(root: Path, *, git: bool = True, outcomes: bool = True) -> Scripted:
    root.mkdir(parents=True)
    (root / "specs").mkdir()
    (root / "pyproject.toml").write_text('[project]\nname = "scripted"\nversion = "0"\n')
    (root / ".gitignore").write_text(".routinec/\n")
    if git:
        _git(root, "init", "-q", "-b", "main")
    base = {"version": "1", "prompt": "Summarize:", "risk": _RISK, "accepts": _RISK + ' | "unknown"'}
    steps = [
        (base, "answer: string\n    source: string", "add summarize_pr and chat", "2026-05-05T10:00:00+00:00"),
        ({**base, "prompt": "Summarize this pull request:"}, "answer: string\n    source: string",
         "summarize_pr: reword the prompt", "2026-05-10T10:00:00+00:00"),
        ({**base, "version": "2", "prompt": "Summarize this pull request:", "risk": _RISK2},
         "answer: string\n    source: string", "summarize_pr v2: critical risk", "2026-05-15T10:00:00+00:00"),
        ({**base, "version": "2", "prompt": "Summarize this pull request:", "risk": _RISK2},
         "answer: string", "chat: drop source", "2026-05-20T10:00:00+00:00"),
        ({**base, "version": "2", "prompt": "Summarize this pull request:", "risk": _RISK2,
          "accepts": _RISK2 + ' | "unknown"'}, "answer: string", "release_notes: accept critical",
         "2026-05-25T10:00:00+00:00"),
    ]
    locks: list[dict[str, Any]] = []
    for summarize, chat_output, message, date in steps:
        if git:
            _commit(root, summarize, chat_output, message, date)
        else:
            (root / "specs" / "summarize_pr.routine").write_text(_SUMMARIZE.format(**summarize))
            (root / "specs" / "chat.routine").write_text(_CHAT.format(output=chat_output))
            config = load_config(root)
            built = build(config)
            assert built.lock is not None
            write_lock(config.lock_path, built.lock)
        locks.append(read_lock(root / "routines.lock", check_hashes=False).routines)
    scripted = Scripted(root)
    _runs(scripted, locks)
    if outcomes:
        _outcomes(scripted)
    return scripted


def _runs(scripted: Scripted, locks: list[dict[str, Any]]) -> None:
    v1 = locks[1]["summarize_pr"]
    v2 = locks[4]["summarize_pr"]
    chat = locks[4]["chat"]
    plan: list[tuple[str, Any, int, str, float]] = []  # key, entry, day, status, latency
    for i, (day, status) in enumerate([(6, "ok"), (7, "ok"), (8, "error"), (11, "ok"), (12, "ok"), (14, "ok")]):
        plan.append(("summarize_pr v1", v1, day, status, 50.0 + 10 * i))
    v2_days = [(16, "ok"), (17, "ok"), (18, "invalid-output"), (20, "ok"), (22, "ok"), (24, "max-tokens"), (26, "ok"), (30, "ok")]
    for i, (day, status) in enumerate(v2_days):
        plan.append(("summarize_pr v2", v2, day, status, 100.0 * (8 - i)))  # 800 … 100 ms
    for day in (21, 23, 27, 29):
        plan.append(("chat v1", chat, day, "ok", 30.0))
    records = []
    for n, (key, entry, day, status, latency) in enumerate(plan):
        output = '{"risk":"low","summary":"s"}' if key.startswith("summarize") else '{"answer":"a"}'
        records.append(make_run(
            run_id=uuid7(), started_at=_at(day, 8 + n % 10), ended_at=_at(day, 8 + n % 10), latency_ms=latency,
            routine=entry.name, version=entry.version, entry_hash=entry.entry_hash,
            model_alias=entry.model.alias, model_snapshot=entry.model.snapshot, served_model=entry.model.snapshot,
            output_schema_hash=entry.output_schema_hash, status=status, output_valid=status == "ok",
            output_json=output if status == "ok" else None, input_tokens=100, output_tokens=20 + n,
        ))
        scripted.run_ids.setdefault(key, []).append(records[-1].run_id)
    # one run outside the window: never counted
    records.append(make_run(run_id=uuid7(), started_at="2026-04-20T09:00:00.000Z", ended_at="2026-04-20T09:00:00.000Z",
                            routine="summarize_pr", version=1, model_snapshot=v1.model.snapshot))
    with Ledger.open(scripted.root) as ledger:
        ledger.append_many(records)


def _outcomes(scripted: Scripted) -> None:
    v1 = scripted.run_ids["summarize_pr v1"]
    v2 = scripted.run_ids["summarize_pr v2"]
    with Ledger.open(scripted.root) as ledger:
        ledger.outcome(v1[0], "accepted", by="alice")
        ledger.outcome(v1[1], "accepted", by="alice")
        first = ledger.outcome(v2[0], "accepted", by="ci", source="pipeline")
        ledger.outcome(v2[0], "rolled-back", by="ops", overrides=first.outcome_id, comment="broke the release")
        ledger.outcome(v2[1], "modified", correction={"summary": "better", "risk": "high"}, by="bob")
        ledger.outcome(v2[3], "modified", correction={"summary": "s", "risk": "critical"}, by="bob")
        ledger.outcome(v2[4], "rejected", by="carol")
        ledger.outcome(v2[6], "accepted", by="carol")
