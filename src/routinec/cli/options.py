"""CLI layer: options shared by every checking command, and the one rendering path."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

import click

from routinec.diagnostics import Diagnostic, DiagnosticError, exit_code_for, render

F = TypeVar("F", bound=Callable[..., Any])

format_option = click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "github"]),
    default="text",
    show_default=True,
    help="text for people, json (JSON lines) for tools, github for workflow annotations.",
)

project_option = click.option(
    "--project",
    "project",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    default=None,
    help="Project root (default: the nearest directory with pyproject.toml).",
)


@lru_cache(maxsize=256)
def _lines(path: str) -> list[str] | None:
    try:
        # Split on \n only: the parser counts lines that way (splitlines also breaks at U+2028).
        return Path(path).read_bytes().decode("utf-8", errors="replace").split("\n")
    except OSError:
        return None


def source_line(root: Path | None) -> Callable[[str, int], str | None]:
    def lookup(path: str, line: int) -> str | None:
        candidate = Path(path)
        if not candidate.is_absolute() and root is not None:
            candidate = root / candidate
        lines = _lines(str(candidate))
        if lines is None or not 0 < line <= len(lines):
            return None
        return lines[line - 1]

    return lookup


def _repo_prefix(root: Path) -> str:
    """The project root relative to the enclosing git work tree ("" at its top or outside one)."""
    here = root.resolve()
    for candidate in (here, *here.parents):
        if (candidate / ".git").exists():
            rel = here.relative_to(candidate).as_posix()
            return "" if rel == "." else rel + "/"
    return ""


def _located(items: list[Diagnostic], root: Path | None, fmt: str) -> list[Diagnostic]:
    """Project-relative paths everywhere; GitHub wants them relative to the repository root."""
    if root is None:
        return items
    import dataclasses

    base = root.resolve()
    prefix = _repo_prefix(base) if fmt == "github" else ""
    out: list[Diagnostic] = []
    for diag in items:
        span = diag.span
        if span is not None and span.path:
            path = Path(span.path)
            if path.is_absolute():
                try:
                    path = path.resolve().relative_to(base)
                except ValueError:
                    out.append(diag)
                    continue
            new_path = prefix + path.as_posix()
            if new_path != span.path:
                diag = dataclasses.replace(diag, span=dataclasses.replace(span, path=new_path))
        out.append(diag)
    return out


def emit(diagnostics: Iterable[Diagnostic], fmt: str, root: Path | None) -> None:
    items = _located(list(diagnostics), root, fmt)
    if not items:
        return
    text = render(items, fmt, source_line(root))
    # Diagnostics go to stdout for json/github (tools read them), stderr for people.
    click.echo(text, err=(fmt == "text"))


def load_or_exit(root: Path | None, fmt: str) -> Any:
    from routinec.config import load_config

    try:
        return load_config(root)
    except DiagnosticError as exc:
        emit(exc.diagnostics, fmt, root)
        sys.exit(2)


def _debug() -> bool:
    from routinec.config import env

    return env().debug


def guard(func: F) -> F:
    """Turn any exception that escapes a command into one line and exit 2 (never a traceback).

    ROUTINEC_DEBUG=1 re-raises, for developers.
    """
    import functools
    import os

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except DiagnosticError as exc:
            emit(exc.diagnostics, kwargs.get("fmt", "text"), kwargs.get("project"))
            sys.exit(exit_code_for(exc.diagnostics) or 2)
        except (click.exceptions.Exit, click.ClickException, SystemExit, KeyboardInterrupt):
            raise
        except BrokenPipeError:
            # The reader (e.g. `| head`) went away: stop quietly, as Unix tools do.
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            sys.exit(1)
        except RecursionError:
            click.echo("routinec: error: input nests too deeply to process", err=True)
            sys.exit(2)
        except MemoryError:
            click.echo("routinec: error: out of memory on this input", err=True)
            sys.exit(2)
        except OSError as exc:
            if _debug():
                raise
            where = f" ({exc.filename})" if exc.filename else ""
            click.echo(f"routinec: error: {exc.strerror or exc}{where}", err=True)
            sys.exit(2)
        except Exception as exc:
            if _debug():
                raise
            click.echo(
                f"routinec: internal error: {type(exc).__name__}: {exc}\n"
                "  help: this is a bug in routinec; rerun with ROUTINEC_DEBUG=1 for a traceback and report it",
                err=True,
            )
            sys.exit(2)

    return wrapper  # type: ignore[return-value]
