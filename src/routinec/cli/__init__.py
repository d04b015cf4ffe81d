"""CLI layer: the `routinec` click group. Thin: parse flags, call one function, render, exit.

Subcommands live in sibling modules and are imported only when named (or listed by --help),
so `routinec --help` stays fast and no command pays for another's imports.
"""

from __future__ import annotations

import importlib
import os
import sys
from typing import Any

import click

from routinec import __version__

__all__ = ["main"]

# command name -> ("module:attribute", its line in --help); the order here is the order --help
# lists them in. `--help` prints these lines without importing a single command module (each
# imports its own dependencies), and a command fetched through the group gets its line as its
# short help, so the listing is the same whichever way it is made (tests/cli/test_help_lines.py).
_COMMANDS: dict[str, tuple[str, str]] = {
    "init": ("routinec.cli.compile:init", "Create a new project: a spec, its prompt, a test and CI."),
    "check": ("routinec.cli.compile:check", "Parse and check specs; print diagnostics."),
    "fmt": ("routinec.cli.compile:fmt", "Rewrite .routine files in the canonical layout."),
    "lock": ("routinec.cli.compile:lock", "Compile every spec and write routines.lock."),
    "verify": ("routinec.cli.compile:verify", "Fail when the specs drifted from routines.lock."),
    "record": ("routinec.cli.runtime:record", "Call the model per test case; write redacted transcripts."),
    "test": ("routinec.cli.runtime:test", "Replay transcripts offline and compare with golden files."),
    "show": ("routinec.cli.show:show", "Show a routine's cases, or one case's output and diff."),
    "run": ("routinec.cli.run:run", "Run one routine live and print its validated output."),
    "compat": ("routinec.cli.compat:compat", "Schema compatibility against a git ref, or of two schemas."),
    "outcome": ("routinec.cli.ledger:outcome", "Record what became of a run's output."),
    "ledger": ("routinec.cli.ledger:ledger", "The run ledger: list, show and sync recorded runs."),
    "attest": ("routinec.cli.attest:attest", "Write or check the SLSA provenance of a ledger run."),
    "report": ("routinec.cli.report:report", "The routine health report, as one HTML page or JSON."),
    "rollout": ("routinec.cli.rollout:rollout", "Channels, sticky canaries and one-command rollback."),
    "gen": ("routinec.cli.gen:gen", "Generate the typed client and workflows from the lock."),
    "lsp": ("routinec.cli.lsp:lsp", "Run the .routine language server."),
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(_COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        known = _COMMANDS.get(cmd_name)
        if known is None:
            return None
        target, line = known
        module_name, _, attr = target.partition(":")
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            return None
        command: click.Command = getattr(module, attr)
        command.short_help = line
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with formatter.section("Commands"):
            formatter.write_dl([(name, line) for name, (_, line) in _COMMANDS.items()])

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        name = args[0] if args else ""
        if args and name not in _COMMANDS and not name.startswith("-"):
            from routinec.diagnostics import did_you_mean

            close = did_you_mean(name, self.list_commands(ctx), n=3)
            hint = f" D{close[1:]}" if close else ""
            raise click.UsageError(f"No such command {name!r}.{hint}", ctx)
        return super().resolve_command(ctx, args)


@click.group(
    cls=LazyGroup,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
    epilog="""\b
Example:
  routinec check            # parse and check every spec under specs/
  routinec lock             # pin models, prompts and schemas into routines.lock
  routinec verify           # in CI: fail when the specs drifted from the lock
  routinec test             # replay transcripts offline, compare with goldens

Exit codes: 0 all good; 1 the check found problems; 2 bad input or invocation.
Common options: --format text|json|github[|sarif], -q/-v, --color auto|always|never, --strict.""",
)
@click.version_option(__version__, "-V", "--version", prog_name="routinec")
def cli() -> None:
    """routinec: compile .routine specs into a lockfile, verify them in CI, replay and test them."""


def entry() -> None:
    """The `routinec` console script and `python -m routinec`: `main()`, then, for a command
    that asked for it (`options.leave_fast`), an exit that skips freeing the process's
    objects once stdout and stderr are flushed."""
    try:
        main()
    except SystemExit as done:
        from routinec.cli.options import leaving_fast

        if not leaving_fast() or not (done.code is None or isinstance(done.code, int)):
            raise
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except (BrokenPipeError, ValueError):
            raise done from None  # the usual way out, which knows what to do with a closed pipe
        os._exit(done.code or 0)


def main(argv: list[str] | None = None) -> Any:
    """Console entry point. Unexpected exceptions become one line and exit 2, never a traceback."""
    try:
        return cli.main(args=argv, prog_name="routinec", standalone_mode=True)
    except KeyboardInterrupt:
        click.echo("routinec: interrupted", err=True)
        sys.exit(130)
