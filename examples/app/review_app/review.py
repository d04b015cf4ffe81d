"""Example application code: review a pull request and triage an issue with typed calls.

`review_app.routines` is generated (`routinec gen python`; `[tool.routinec] client` in this
project's pyproject.toml); this module is what a team writes on top of it. Type-checked with
`mypy --strict` in tests/client/test_example_app.py, and run there in replay mode against the
shipped goldens.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from routinec.runtime import Runtime

from review_app.routines import (
    SummarizePrOutput,
    TriageIssueOutput,
    result_of,
    summarize_pr,
    triage_issue,
    triage_issue_async,
)


@dataclass(frozen=True)
class ReviewNote:
    """What the app posts on a pull request."""

    headline: str
    needs_second_reviewer: bool
    touched: tuple[str, ...]
    provenance: str  # which recorded run produced it


def review(title: str, diff: str, labels: list[str], runtime: Runtime | None = None) -> ReviewNote:
    out: SummarizePrOutput = summarize_pr(title=title, diff=diff, labels=labels, runtime=runtime)
    run = result_of(out)
    return ReviewNote(
        headline=out.summary,
        needs_second_reviewer=out.risk == "high",
        touched=tuple(f.path for f in out.files if f.change != "deleted"),
        provenance=f"{run.routine} {run.mode} {run.model} {run.request_hash}",
    )


def route(title: str, body: str, runtime: Runtime | None = None) -> str:
    out: TriageIssueOutput = triage_issue(title=title, body=body, runtime=runtime)
    team = out.routing.team  # Literal["compiler", "runtime", "docs", "infra"]
    return f"{out.priority} → {team}: {', '.join(out.labels) or 'no labels'}"


async def route_many(issues: list[tuple[str, str]], runtime: Runtime | None = None) -> list[str]:
    """Triage several issues concurrently (each call runs in a worker thread)."""
    outs = await asyncio.gather(*(triage_issue_async(title=t, body=b, runtime=runtime) for t, b in issues))
    return [f"{o.priority} → {o.routing.team}" for o in outs]
