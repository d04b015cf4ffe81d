"""Fixtures for rollout tests: the runtime tests' locked project (summarize_pr v1 and chat)
with its ledger on each backend (`backend`: SQLite and a real PostgreSQL server), the
loopback Messages API, and `bump`, which moves the spec to v2 (a different system prompt)."""

from __future__ import annotations

from pathlib import Path

from tests.ledger.conftest import backend, postgres_server, project
from tests.runtime.conftest import fake_api

__all__ = ["backend", "bump", "fake_api", "postgres_server", "project"]


def bump(project: Path, version: int = 2, *, system: str | None = None) -> None:
    """Edit summarize_pr's spec to `version` with another system prompt (the lock is untouched)."""
    spec = project / "specs" / "summarize_pr.routine"
    text = spec.read_text()
    import re

    text = re.sub(r"routine summarize_pr v\d+", f"routine summarize_pr v{version}", text)
    text = re.sub(r'system "[^"]*"', f'system "{system or f"You are reviewer number {version}."}"', text)
    spec.write_text(text)
