"""Ledger layer: who ran a routine, from the CI system's standard variables or the OS user;
and the project's git commit.

In: a mapping of environment variables (`config.Env.invoker_vars`, so tests pass a dict and
never touch the process) and a project root. Out: an `Invoker` (provider, job and run ids,
repository, commit CI names, user) and the commit `git rev-parse HEAD` names, or None.
"""

from __future__ import annotations

import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Invoker", "detect_invoker", "git_commit"]


@dataclass(frozen=True, slots=True)
class Invoker:
    provider: str  # github-actions | gitlab-ci | buildkite | circleci | jenkins | ci | local
    user: str | None = None
    job: str | None = None  # the CI job (id or name)
    run: str | None = None  # the CI run, pipeline or build id
    repository: str | None = None
    commit: str | None = None  # the commit the CI system says it built

    def label(self) -> str:
        """One short line for listings: `github-actions run 123 job build` or `local alice`."""
        parts = [self.provider]
        if self.run:
            parts.append(f"run {self.run}")
        if self.job:
            parts.append(f"job {self.job}")
        if self.user and not (self.run or self.job):
            parts.append(self.user)
        return " ".join(parts)


def _true(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true", "yes", "on")


def detect_invoker(env: Mapping[str, str]) -> Invoker:
    """The CI provider and its ids from standard variables; else the OS user (`local`)."""
    user = env.get("USER") or env.get("LOGNAME") or env.get("USERNAME") or None
    get = env.get
    if _true(get("GITHUB_ACTIONS")):
        return Invoker("github-actions", user, get("GITHUB_JOB"), get("GITHUB_RUN_ID"),
                       get("GITHUB_REPOSITORY"), get("GITHUB_SHA"))
    if _true(get("GITLAB_CI")):
        return Invoker("gitlab-ci", user, get("CI_JOB_ID"), get("CI_PIPELINE_ID"),
                       get("CI_PROJECT_PATH"), get("CI_COMMIT_SHA"))
    if _true(get("BUILDKITE")):
        return Invoker("buildkite", user, get("BUILDKITE_JOB_ID"), get("BUILDKITE_BUILD_ID"),
                       get("BUILDKITE_REPO"), get("BUILDKITE_COMMIT"))
    if _true(get("CIRCLECI")):
        return Invoker("circleci", user, get("CIRCLE_JOB"), get("CIRCLE_WORKFLOW_ID") or get("CIRCLE_BUILD_NUM"),
                       get("CIRCLE_PROJECT_REPONAME"), get("CIRCLE_SHA1"))
    if get("JENKINS_URL"):
        return Invoker("jenkins", user, get("JOB_NAME"), get("BUILD_ID") or get("BUILD_NUMBER"), None, None)
    if _true(get("CI")):
        return Invoker("ci", user)
    return Invoker("local", user)


def git_commit(root: Path) -> str | None:
    """`git rev-parse HEAD` in the project; None when it is not a git checkout (or no git)."""
    try:
        done = subprocess.run(
            ["git", "rev-parse", "--verify", "-q", "HEAD"], cwd=root, capture_output=True,
            text=True, timeout=10, check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    commit = done.stdout.strip()
    return commit if done.returncode == 0 and len(commit) in (40, 64) else None
