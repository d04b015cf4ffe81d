"""CLI layer: `routinec lsp`, the language server for editors, over stdin/stdout."""

from __future__ import annotations

import sys

import click

from routinec.codes import extra_hint

__all__ = ["lsp"]


@click.command(
    epilog="""\b
Editors start it themselves (docs/editor.md):
  VS Code   a generic LSP client extension, command: routinec lsp
  Neovim    vim.lsp.start({ name = "routinec", cmd = { "routinec", "lsp" }, ... })"""
)
@click.option("--stdio", is_flag=True, help="Speak LSP over stdin/stdout (the default and only transport).")
def lsp(stdio: bool) -> None:
    """Run the .routine language server: diagnostics as you type, fmt, hover, go-to-definition,
    completion and document symbols."""
    try:
        from routinec.lsp.server import build_server
    except ModuleNotFoundError as exc:
        if exc.name is None or exc.name.split(".")[0] not in ("pygls", "lsprotocol", "cattrs", "attrs"):
            raise
        click.echo(f"routinec: error: the language server needs {exc.name}, which is not installed  [missing-extra]", err=True)
        click.echo(f"  help: {extra_hint('lsp')}", err=True)
        sys.exit(2)
    build_server().start_io()
