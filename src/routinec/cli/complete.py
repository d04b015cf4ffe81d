"""CLI layer: shell completion of routine and case names (click's `shell_complete` hooks).

In: what the user typed so far, and the project (`--project` if given, else the nearest
pyproject.toml). Out: click `CompletionItem`s. Names come from `routines.lock` read as plain
JSON: nothing is compiled, validated or imported beyond the config, so a TAB costs a file
read. Any problem (no project, no or damaged lock) completes nothing rather than failing.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import click
from click.shell_completion import CompletionItem

__all__ = ["complete_case", "complete_routine", "complete_target", "lock_names"]


def lock_names(project: Path | None) -> dict[str, list[str]]:
    """routine name → its test case names, from the lockfile (empty when there is none)."""
    try:
        from routinec.config import load_config

        config = load_config(project)
        data = json.loads(config.lock_path.read_bytes())
        routines = data["routines"]
        return {
            str(name): sorted(str(c) for c in (entry.get("tests") or {}))
            for name, entry in routines.items()
            if isinstance(entry, dict)
        }
    except Exception:  # completion must never print a traceback into the user's shell
        return {}


def _project(ctx: click.Context) -> Path | None:
    """`--project`, from this command's parameters or a parent group's."""
    current: click.Context | None = ctx
    while current is not None:
        value = current.params.get("project")
        if isinstance(value, Path):
            return value
        current = current.parent
    return None


def complete_routine(ctx: click.Context, _param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    """Routine names (for ROUTINE arguments and `--routine` options)."""
    return [CompletionItem(name) for name in sorted(lock_names(_project(ctx))) if name.startswith(incomplete)]


def complete_target(ctx: click.Context, _param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    """`ROUTINE` or `ROUTINE/CASE`: routine names first; after a slash, that routine's cases."""
    names = lock_names(_project(ctx))
    routine, slash, partial = incomplete.partition("/")
    if slash:
        return [CompletionItem(f"{routine}/{case}") for case in names.get(routine, []) if case.startswith(partial)]
    return [CompletionItem(name) for name in sorted(names) if name.startswith(incomplete)]


def complete_case(ctx: click.Context, _param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    """`--case`: the cases of the routines already named on the line (all routines' if none)."""
    names = lock_names(_project(ctx))
    chosen: Any = ctx.params.get("routines") or ()
    if not chosen:
        # Click parses the line before a value-less `--case` only partly (resilient parsing
        # gives up at it), so the routine names typed before it are read from the line itself.
        chosen = [word for word in os.environ.get("COMP_WORDS", "").split() if word in names]
    pool = [names[r] for r in chosen if r in names] if chosen else list(names.values())
    cases = sorted({case for cases in pool for case in cases})
    return [CompletionItem(case) for case in cases if case.startswith(incomplete)]
