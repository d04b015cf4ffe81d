"""CLI layer: options shared by every checking command, and the one rendering path."""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO, TypeVar

import click

from routinec.diagnostics import Diagnostic, DiagnosticError, Severity, exit_code_for, render

if TYPE_CHECKING:  # the job summary is only loaded under --format github
    from routinec.cli.summary import Annotation

F = TypeVar("F", bound=Callable[..., Any])

# The output conventions every command shares (README: "Conventions"). A command gets all of
# them by taking `format_option` (or `output_options(...)`) and `guard`: --format, -q/-v,
# --color, --strict, the JSON closing summary record, SARIF, suppressions and exit codes.
_STATE = "routinec.output"
FINDING_FORMATS = ("text", "json", "github")
SARIF_FORMATS = ("text", "json", "github", "sarif")


@dataclass
class Output:
    """How this invocation renders, and what it has rendered so far (for the summary)."""

    fmt: str = "text"
    verbosity: int = 0  # -1 quiet (-q), 0 normal, 1+ verbose (-v)
    color_choice: str = "auto"  # auto | always | never
    strict: bool = False
    command: str = ""
    errors: int = 0
    warnings: int = 0
    notes: int = 0
    suppressed: int = 0
    extra: dict[str, Any] = field(default_factory=dict)
    ignore: frozenset[str] = frozenset()
    used: set[tuple[str, int, str]] = field(default_factory=set)
    sarif: list[Diagnostic] = field(default_factory=list)
    # For the job summary (`--format github` with GITHUB_STEP_SUMMARY set): every annotation
    # printed, and the command's pass/fail figures when it has them (`tally`).
    annotations: list[Annotation] = field(default_factory=list)
    passed: int | None = None
    failed: int | None = None
    label: str | None = None
    root: Path | None = None
    finished: bool = False

    @property
    def quiet(self) -> bool:
        return self.verbosity < 0

    @property
    def verbose(self) -> bool:
        return self.verbosity > 0

    def color(self, stream: TextIO | None = None) -> bool:
        """Colour on a terminal; `--color always|never` decides; NO_COLOR (any value) turns
        `auto` off (https://no-color.org)."""
        if self.color_choice != "auto":
            return self.color_choice == "always"
        if os.environ.get("NO_COLOR"):
            return False
        if os.environ.get("TERM") == "dumb":
            return False
        stream = stream or sys.stdout
        try:
            return stream.isatty()
        except (AttributeError, ValueError):
            return False

    def count(self, items: Iterable[Diagnostic]) -> None:
        for diag in items:
            if diag.severity is Severity.ERROR:
                self.errors += 1
            elif diag.severity is Severity.WARNING:
                self.warnings += 1
            else:
                self.notes += 1

    def summary_record(self, code: int) -> dict[str, Any]:
        record: dict[str, Any] = {
            "kind": "summary",
            "command": self.command,
            "errors": self.errors,
            "warnings": self.warnings,
            "notes": self.notes,
            "suppressed": self.suppressed,
            "strict": self.strict,
            "exit_code": code,
        }
        record.update(self.extra)
        return record


def state() -> Output:
    """This invocation's Output (a default one outside a click command, e.g. in tests)."""
    ctx = click.get_current_context(silent=True)
    if ctx is None:
        return Output()
    root = ctx.find_root()
    out = root.meta.get(_STATE)
    if out is None:
        out = root.meta[_STATE] = Output(command=ctx.command_path.partition(" ")[2] or ctx.info_name or "")
    assert isinstance(out, Output)
    return out


def log(message: str) -> None:
    """A progress or summary line for people: stderr, text format only, silenced by -q."""
    out = state()
    if out.fmt == "text" and not out.quiet:
        click.echo(message, err=True)


def counts_text() -> str:
    """`N errors, M warnings` as rendered so far (after suppressions)."""
    out = state()
    text = f"{out.errors} error{'s' if out.errors != 1 else ''}, {out.warnings} warning{'s' if out.warnings != 1 else ''}"
    if out.suppressed:
        text += f" ({out.suppressed} suppressed)"
    return text


def summary_extra(**fields: Any) -> None:
    """Command-specific figures for the closing JSON summary record (values keep their types)."""
    state().extra.update(fields)


def tally(passed: int | None = None, failed: int | None = None, *, label: str | None = None) -> None:
    """The command's pass/fail figures for the job summary (routines up to date, cases
    passed, routines compatible); `label` names the command there when its name alone
    does not say enough (`compat --against REF`)."""
    out = state()
    if passed is not None:
        out.passed = passed
    if failed is not None:
        out.failed = failed
    if label is not None:
        out.label = label


def annotated(findings: Iterable[Annotation]) -> None:
    """Annotations a command printed itself (not through `emit`), for the job summary."""
    state().annotations.extend(findings)


def _set_format(ctx: click.Context, _param: click.Parameter, value: str) -> str:
    state().fmt = value
    return value


def _set_quiet(ctx: click.Context, _param: click.Parameter, value: int) -> None:
    if value:
        state().verbosity -= value


def _set_verbose(ctx: click.Context, _param: click.Parameter, value: int) -> None:
    if value:
        state().verbosity += value


def _set_color(ctx: click.Context, _param: click.Parameter, value: str | None) -> None:
    if value is not None:
        state().color_choice = value


def _set_strict(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value:
        state().strict = True


def output_options(formats: Sequence[str] = FINDING_FORMATS, *, with_format: bool = True) -> Callable[[F], F]:
    """--format (one of `formats`, passed to the command as `fmt`), -q/-v, --color and
    --strict (consumed here; read them with `state()`)."""
    help_text = {
        "text": "text for people",
        "json": "json (JSON lines, then one summary record) for tools",
        "github": "github for workflow annotations",
        "sarif": "sarif (SARIF 2.1.0) for code-scanning dashboards",
    }

    def decorate(func: F) -> F:
        func = click.option("--strict", is_flag=True, expose_value=False, callback=_set_strict, is_eager=True,
                            help="Warnings fail too (exit 1).")(func)
        func = click.option("--color", type=click.Choice(["auto", "always", "never"]), default=None,
                            expose_value=False, callback=_set_color, is_eager=True,
                            help="Colour diagnostics: auto (a terminal, unless NO_COLOR is set), always, never.")(func)
        func = click.option("-v", "--verbose", count=True, expose_value=False, callback=_set_verbose,
                            is_eager=True, help="Say more (e.g. list passing cases).")(func)
        func = click.option("-q", "--quiet", count=True, expose_value=False, callback=_set_quiet,
                            is_eager=True, help="Say less: no progress or summary lines on stderr.")(func)
        if with_format:
            func = click.option(
                "--format", "fmt", type=click.Choice(list(formats)), default="text", show_default=True,
                callback=_set_format, is_eager=True,
                help="; ".join(help_text.get(f, f) for f in formats) + ".",
            )(func)
        return func

    return decorate


format_option = output_options()
sarif_format_option = output_options(SARIF_FORMATS)

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


_SUPPRESS = re.compile(r"#\s*routinec:\s*ignore\[([^\]]*)\]")


def _suppressions(text: str | None) -> list[str]:
    if not text or "routinec" not in text:
        return []
    found: list[str] = []
    for match in _SUPPRESS.finditer(text):
        found.extend(c.strip() for c in match.group(1).split(",") if c.strip())
    return found


def _suppress(items: list[Diagnostic], root: Path | None) -> list[Diagnostic]:
    """Drop warnings the project ignores: `[tool.routinec] ignore = [...]`, or a
    `# routinec: ignore[code]` comment on the warning's line (recorded as used). Errors are
    never suppressed: they stop the lock from being written."""
    out = state()
    lookup = source_line(root)
    kept: list[Diagnostic] = []
    for diag in items:
        if diag.severity is Severity.WARNING:
            if diag.code in out.ignore:
                out.suppressed += 1
                continue
            span = diag.span
            if span is not None and span.located and span.path.endswith(".routine"):
                codes = _suppressions(lookup(span.path, span.line))
                if diag.code in codes:
                    out.used.add((_rel(span.path, root), span.line, str(diag.code)))
                    out.suppressed += 1
                    continue
        kept.append(diag)
    return kept


def _rel(path: str, root: Path | None) -> str:
    candidate = Path(path)
    if candidate.is_absolute() and root is not None:
        try:
            return candidate.resolve().relative_to(root.resolve()).as_posix()
        except ValueError:
            return path
    return candidate.as_posix()


def unused_suppressions(root: Path, spec_files: Iterable[str]) -> list[Diagnostic]:
    """A `# routinec: ignore[code]` comment that suppressed nothing in this run is itself a
    warning (as mypy's `warn_unused_ignores`), so stale ones do not pile up."""
    from routinec.codes import Code
    from routinec.diagnostics import Span

    out = state()
    found: list[Diagnostic] = []
    for rel in spec_files:
        lines = _lines(str(root / rel))
        for number, text in enumerate(lines or (), start=1):
            for match in _SUPPRESS.finditer(text) if "routinec" in text else ():
                for code in (c.strip() for c in match.group(1).split(",")):
                    if not code or (rel, number, code) in out.used:
                        continue
                    known = sorted(c.value for c in Code)
                    why = ""
                    if code not in known:
                        import difflib

                        close = difflib.get_close_matches(code, known, n=1)
                        why = f" ('{code}' is not a diagnostic code" + (f"; did you mean '{close[0]}'?)" if close else ")")
                    found.append(Diagnostic(
                        Code.UNUSED_IGNORE, Severity.WARNING,
                        f"`# routinec: ignore[{code}]` suppresses nothing on this line{why}",
                        Span(rel, number, match.start() + 1, number, match.end() + 1),
                        "remove the comment (only warnings can be ignored; see docs/diagnostics.md for codes)",
                    ))
    return found


def emit(diagnostics: Iterable[Diagnostic], fmt: str, root: Path | None) -> None:
    """Render diagnostics on stdout (results go to stdout, as ruff and mypy do; logs and
    progress go to stderr). SARIF is collected and written once when the command ends."""
    out = state()
    items = _suppress(list(diagnostics), root)
    items = _located(items, root, fmt)
    out.count(items)
    if not items:
        return
    if fmt == "github":
        from routinec.cli.summary import Annotation

        out.annotations.extend(Annotation.of(d) for d in items)
    if fmt == "sarif":
        out.sarif.extend(items)
        return
    color = fmt == "text" and out.color()
    # click.echo strips ANSI codes off a non-terminal unless told: --color always means always.
    click.echo(render(items, fmt, source_line(root), color=color), color=color)


def load_or_exit(root: Path | None, fmt: str) -> Any:
    from routinec.config import load_config

    try:
        config = load_config(root)
    except DiagnosticError as exc:
        emit(exc.diagnostics, fmt, root)
        sys.exit(2)
    out = state()
    out.root = config.root
    out.ignore = frozenset(config.ignore)
    if root is None:
        from routinec.config import root_note

        note = root_note(config)
        if note is not None:
            log(f"note: {note}")
    return config


def finish(code: int) -> int:
    """The exit code after --strict, and the closing record: JSON's summary line, or the one
    SARIF document. Called once, by `guard`, whatever way the command ended."""
    out = state()
    if out.finished:
        return code
    out.finished = True
    if code == 0 and out.strict and out.warnings:
        code = 1
        log(f"--strict: {out.warnings} warning{'s' if out.warnings != 1 else ''} fail{'s' if out.warnings == 1 else ''} the run")
    ctx = click.get_current_context(silent=True)
    if ctx is not None:
        out.command = ctx.command_path.partition(" ")[2] or out.command
    if out.fmt == "json":
        click.echo(json.dumps(out.summary_record(code), sort_keys=True))
    elif out.fmt == "sarif":
        from routinec import __version__
        from routinec.diagnostics import sarif

        click.echo(json.dumps(sarif(out.sarif, __version__), sort_keys=True, indent=2))
    elif out.fmt == "github":
        _step_summary(out, code)
    return code


def _step_summary(out: Output, code: int) -> None:
    """Under GitHub Actions, this command's rows in the job summary's table."""
    from routinec.config import env

    path = env().step_summary
    if path is None:
        return
    from routinec.cli.summary import CommandResult, append

    result = CommandResult(out.label or out.command, code, tuple(out.annotations), out.passed, out.failed)
    try:
        append(path, result)
    except OSError as exc:
        # The findings are on stdout already; a summary that cannot be written fails nothing.
        click.echo(f"routinec: warning: job summary not written to {path}: {exc.strerror or exc}", err=True)


def _debug() -> bool:
    from routinec.config import env

    return env().debug


# Set by a command that leaves nothing to clean up at exit (`leave_fast`).
_LEAVE_FAST = False


def leave_fast() -> None:
    """The command ends as soon as its output is flushed: `routinec` (the console script, not
    an in-process `main()`) then skips freeing every object one by one, as mypy does. Only for
    commands that start no threads, telemetry or database connections and close what they
    write (lock, check, verify): on 1,000 routines the teardown cost ~40 ms of a cold lock."""
    global _LEAVE_FAST
    _LEAVE_FAST = True


def leaving_fast() -> bool:
    return _LEAVE_FAST


def guard(func: F) -> F:
    """Turn any exception that escapes a command into one line and exit 2 (never a traceback),
    and end every command the same way (`finish`: --strict, the JSON summary, SARIF).

    ROUTINEC_DEBUG=1 re-raises, for developers.
    """
    import functools

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            code = _run(func, args, kwargs)
        except BrokenPipeError:
            _quiet_stdout()
            sys.exit(1)
        try:
            code = finish(code)
        except BrokenPipeError:
            _quiet_stdout()
            sys.exit(1)
        sys.exit(code)

    return wrapper  # type: ignore[return-value]


def _quiet_stdout() -> None:
    # The reader (e.g. `| head`) went away: stop quietly, as Unix tools do.
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


def _exit_code(exc: SystemExit | click.exceptions.Exit) -> int:
    if isinstance(exc, click.exceptions.Exit):
        return exc.exit_code
    if exc.code is None:
        return 0
    if isinstance(exc.code, int):
        return exc.code
    click.echo(str(exc.code), err=True)
    return 1


def _run(func: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> int:
    try:
        func(*args, **kwargs)
        return 0
    except DiagnosticError as exc:
        # A command with its own --format (ledger, attest) still gets its errors in that format.
        own = kwargs.get("fmt")
        fmt = own if own in FINDING_FORMATS and state().fmt == "text" else state().fmt
        emit(exc.diagnostics, fmt, state().root or kwargs.get("project"))
        return exit_code_for(exc.diagnostics) or 2
    except (SystemExit, click.exceptions.Exit) as exc:
        return _exit_code(exc)
    except (click.ClickException, KeyboardInterrupt, BrokenPipeError):
        raise
    except RecursionError:
        click.echo("routinec: error: input nests too deeply to process", err=True)
        return 2
    except MemoryError:
        click.echo("routinec: error: out of memory on this input", err=True)
        return 2
    except OSError as exc:
        if _debug():
            raise
        where = f" ({exc.filename})" if exc.filename else ""
        click.echo(f"routinec: error: {exc.strerror or exc}{where}", err=True)
        return 2
    except Exception as exc:
        if _debug():
            raise
        click.echo(
            f"routinec: internal error: {type(exc).__name__}: {exc}\n"
            "  help: this is a bug in routinec; rerun with ROUTINEC_DEBUG=1 for a traceback and report it",
            err=True,
        )
        return 2
