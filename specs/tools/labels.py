"""Tools of the shipped `label_issue` routine (specs/label_issue.routine).

The read tools look at a small index built into this file, so the example records, replays
and re-runs (`routinec test --tools live`) the same on every machine. `add_label` calls the
GitHub API and runs only when writes are allowed (`routinec record --allow-writes`); otherwise
its dry run, `preview_label`, says what it would have done, and that is what the model sees.
"""

from __future__ import annotations

import json
import os
import urllib.request
from typing import Literal

Label = Literal["bug", "duplicate", "question", "enhancement"]

ISSUES: dict[int, dict[str, object]] = {
    12: {"title": "Crash when a spec file starts with a UTF-8 BOM", "labels": ["bug"], "state": "open"},
    17: {"title": "Docs: explain compare rules", "labels": ["docs"], "state": "closed"},
    23: {"title": "lock is slow on 1,000 routines", "labels": ["performance"], "state": "closed"},
}

FILES: dict[str, str] = {
    "src/routinec/compiler/parse.py": (
        "def parse_file(data: bytes, path: str) -> ast.File:\n"
        '    """Decode (UTF-8, optional BOM) and parse."""\n'
        '    text = data.decode("utf-8-sig")\n'
    ),
}


def search_issues(query: str, limit: int = 5) -> list[dict[str, object]]:
    """Known issues whose title shares a word with the query, oldest first."""
    words = {w for w in query.lower().split() if len(w) > 2}
    hits = [
        {"number": number, **issue}
        for number, issue in sorted(ISSUES.items())
        if words & set(str(issue["title"]).lower().split())
    ]
    return hits[:limit]


def read_file(path: str) -> str:
    """A source file of the project, by its path."""
    if path not in FILES:
        raise FileNotFoundError(f"no such file: {path}")
    return FILES[path]


def add_label(issue: int, label: Label) -> dict[str, object]:
    """Add the label on GitHub (GITHUB_TOKEN and GITHUB_REPOSITORY from the environment)."""
    repo, token = os.environ["GITHUB_REPOSITORY"], os.environ["GITHUB_TOKEN"]
    request = urllib.request.Request(
        f"https://api.github.com/repos/{repo}/issues/{issue}/labels",
        data=json.dumps({"labels": [label]}).encode(),
        headers={"Authorization": f"Bearer {token}", "Accept": "application/vnd.github+json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return {"issue": issue, "added": label, "status": response.status}


def preview_label(issue: int, label: Label) -> dict[str, object]:
    """What add_label would do; runs instead of it whenever writes are not allowed."""
    return {"issue": issue, "would_add": label, "dry_run": True}
