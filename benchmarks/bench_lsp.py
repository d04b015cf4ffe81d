"""Benchmark (not a test): the language server's response to a keystroke (nox -s bench).

A 200-routine project (one spec of 1,008 lines holding 56 routines, sixteen of 9 routines,
a named type), `python -m routinec lsp` started over stdio and driven by pygls' own LSP
client, as an editor drives it: open the 1,000-line spec, then type. Each keystroke is one
incremental `didChange`; the figure is the wall time from sending it to receiving the
`publishDiagnostics` it causes (parse, check, templates, consumer edges, JSON-RPC both ways).

- a character typed into a routine's description: median and p95 of 100; budget ≤ 50 ms;
- Enter near the top of the spec (every block below moves down a line): median of 30;
- the first diagnostics after opening (everything parsed and checked once).

Run: `python benchmarks/bench_lsp.py` (with PYTHONDONTWRITEBYTECODE unset).
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

from lsprotocol import types as lsp
from pygls.lsp.client import LanguageClient

BUDGET_MS = 50.0
TYPED = 100
ENTERS = 30


def routine(i: int) -> str:
    return f'''routine r{i} v1 {{
  description "Routine number {i}."
  model "claude-haiku-4-5"
  temperature 0
  max_tokens 256
  prompt """Summarize {{{{ title }}}} and {{{{ body }}}} for item {i}."""
  input {{
    title: string (min_length 1)
    body: string (max_length 5000)
    tags: list[string] = []
  }}
  output {{
    summary: string
    kind: Kind
    score: int (minimum 0, maximum 10)
  }}
}}

'''


def make_project(root: Path) -> Path:
    (root / "specs").mkdir(parents=True)
    (root / "pyproject.toml").write_text('[project]\nname = "bench"\nversion = "0"\n', "utf-8")
    (root / "specs" / "types.routine").write_text('type Kind {\n  name: "a" | "b" | "c"\n  note?: string\n}\n', "utf-8")
    (root / "specs" / "big.routine").write_text("".join(routine(i) for i in range(56)), "utf-8")
    for f in range(16):
        (root / "specs" / f"f{f:02d}.routine").write_text("".join(routine(1000 + f * 10 + j) for j in range(9)), "utf-8")
    return root / "specs" / "big.routine"


class Driver:
    def __init__(self, client: LanguageClient, uri: str) -> None:
        self.client, self.uri, self.version = client, uri, 1
        self.waiting: asyncio.Future[list[lsp.Diagnostic]] | None = None

        @client.feature(lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def published(params: lsp.PublishDiagnosticsParams) -> None:
            if params.uri == uri and self.waiting is not None and not self.waiting.done():
                self.waiting.set_result(list(params.diagnostics))

    def expect(self) -> asyncio.Future[list[lsp.Diagnostic]]:
        self.waiting = asyncio.get_running_loop().create_future()
        return self.waiting

    async def keystroke(self, line: int, character: int, text: str) -> tuple[float, int]:
        done = self.expect()
        self.version += 1
        at = lsp.Position(line, character)
        start = time.perf_counter()
        self.client.text_document_did_change(lsp.DidChangeTextDocumentParams(
            text_document=lsp.VersionedTextDocumentIdentifier(uri=self.uri, version=self.version),
            content_changes=[lsp.TextDocumentContentChangePartial(range=lsp.Range(at, at), text=text)],
        ))
        diags = await done
        return (time.perf_counter() - start) * 1000, len(diags)


async def main() -> None:
    with tempfile.TemporaryDirectory(prefix="routinec-bench-lsp-") as tmp:
        spec = make_project(Path(tmp) / "project")
        text = spec.read_text("utf-8")
        lines = text.split("\n")
        uri = spec.as_uri()
        client = LanguageClient("bench", "0")
        driver = Driver(client, uri)
        await client.start_io(sys.executable, "-m", "routinec", "lsp")
        await client.initialize_async(lsp.InitializeParams(
            capabilities=lsp.ClientCapabilities(), root_uri=spec.parents[1].as_uri(), process_id=None))
        client.initialized(lsp.InitializedParams())
        opened = driver.expect()
        start = time.perf_counter()
        client.text_document_did_open(lsp.DidOpenTextDocumentParams(lsp.TextDocumentItem(uri, "routine", 1, text)))
        first = await opened
        first_ms = (time.perf_counter() - start) * 1000
        descriptions = [n for n, line in enumerate(lines) if line.startswith("  description ")]
        typed: list[float] = []
        for k in range(TYPED):
            line = descriptions[(k * 7) % len(descriptions)]
            column = len(lines[line]) - 2  # before `."`
            ms, _count = await driver.keystroke(line, column, "x")
            lines[line] = lines[line][:column] + "x" + lines[line][column:]
            typed.append(ms)
        entered: list[float] = []
        for _ in range(ENTERS):
            ms, _count = await driver.keystroke(2, 0, "\n")
            entered.append(ms)
        await client.shutdown_async(None)
        client.exit(None)
        await client.stop()
    typed.sort()
    p95 = typed[int(len(typed) * 0.95) - 1]
    median = statistics.median(typed)
    print(f"project: 200 routines in 18 specs; the edited spec has {len(text.splitlines())} lines and 56 routines")
    print(f"open (first diagnostics, {len(first)} of them): {first_ms:.0f} ms")
    print(f"keystroke in a description: median {median:.1f} ms, p95 {p95:.1f} ms, max {typed[-1]:.1f} ms "
          f"(n={TYPED}; budget ≤ {BUDGET_MS:.0f} ms: {'ok' if p95 <= BUDGET_MS else 'OVER'})")
    print(f"Enter near the top (55 blocks move): median {statistics.median(entered):.1f} ms, max {max(entered):.1f} ms (n={ENTERS})")


if __name__ == "__main__":
    asyncio.run(main())
