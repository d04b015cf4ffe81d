"""`routinec --help` lists every command from the table in routinec.cli, without importing the
command modules, and the listing is exactly what click makes from the commands themselves."""

from __future__ import annotations

import subprocess
import sys

import click
import pytest

from routinec.cli import _COMMANDS, cli
from tests.helpers import cli_env


@pytest.mark.parametrize("width", [60, 80, 100])
def test_the_lazy_listing_is_clicks_own(width: int) -> None:
    ctx = click.Context(cli, info_name="routinec")
    lazy = click.HelpFormatter(width=width)
    cli.format_commands(ctx, lazy)
    eager = click.HelpFormatter(width=width)
    click.Group.format_commands(cli, ctx, eager)  # fetches (imports) every command
    assert lazy.getvalue() == eager.getvalue()
    assert lazy.getvalue().count("\n") >= len(_COMMANDS)


def test_help_imports_no_command_module() -> None:
    code = (
        "import sys\n"
        "from routinec.cli import main\n"
        "sys.argv = ['routinec', '--help']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in sys.modules if m.startswith('routinec.cli.')))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], env=cli_env(), capture_output=True, text=True,
                          timeout=120, check=True)
    assert done.stdout.rstrip().endswith("[]"), done.stdout
    for name, (_, line) in _COMMANDS.items():
        assert f"  {name}" in done.stdout and line in done.stdout, name


def test_each_line_fits_an_80_column_terminal() -> None:
    widest = max(len(name) for name in _COMMANDS)
    for name, (_, line) in _COMMANDS.items():
        assert 2 + widest + 2 + len(line) <= 80, name
        assert line.endswith(".") and line[0].isupper(), name
