"""Transcripts and goldens are read against their shape: a wrong type is transcript-corrupt
(exit 2) naming the field, not a replay that goes on as if the file were fine; duplicate keys,
a BOM and bad UTF-8 are refused as well (they mean the file was damaged or hand-edited)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import copy_examples, run_cli

TRANSCRIPT = "golden/summarize_pr/small_fix.transcript.json"
GOLDEN = "golden/summarize_pr/small_fix.output.json"


def _edit(path: Path, change: Any) -> None:
    data = json.loads(path.read_text("utf-8"))
    change(data)
    path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", "utf-8")


@pytest.mark.parametrize(
    ("field", "change"),
    [
        ("origin", lambda d: d.update(origin=True)),
        ("responses[0].role", lambda d: d["responses"][0].update(role=1.5)),
        ("responses is an object", lambda d: d.update(responses={"a": 1})),
        ("request_hash", lambda d: d.update(request_hash=12)),
        ("responses[0].content", lambda d: d["responses"][0].update(content="text")),
        ("responses[0].content[0].text", lambda d: d["responses"][0]["content"][0].update(text=5)),
        ("redactions", lambda d: d.update(redactions="0")),
        ("routine", lambda d: d.update(routine=["summarize_pr"])),
        ("provenance", lambda d: d.update(provenance=3)),
    ],
)
def test_transcript_with_a_wrong_type_is_corrupt(tmp_path: Path, field: str, change: Any) -> None:
    root = copy_examples(tmp_path / "p")
    _edit(root / TRANSCRIPT, change)
    result = run_cli("test", "summarize_pr", cwd=root)
    assert result.code == 2, result.output
    assert "[transcript-corrupt]" in result.output or "transcript-corrupt" in result.output or "wrong shape" in result.output, result.output
    assert field.split(" ")[0] in result.output, result.output
    assert "internal error" not in result.output


@pytest.mark.parametrize(
    ("rel", "data", "words"),
    [
        (TRANSCRIPT, None, "appears twice"),
        (GOLDEN, None, "appears twice"),
        (GOLDEN, b"\xef\xbb\xbf{}", "byte order mark"),
        (TRANSCRIPT, b'{"a": "\xff"}', "not UTF-8"),
        (GOLDEN, b"[" * 100_000 + b"]" * 100_000, "too deeply"),
    ],
    ids=["transcript-duplicate-key", "golden-duplicate-key", "golden-bom", "transcript-bad-utf8", "golden-deep"],
)
def test_damaged_files_exit_2_with_a_reason(tmp_path: Path, rel: str, data: bytes | None, words: str) -> None:
    root = copy_examples(tmp_path / "p")
    path = root / rel
    if data is None:  # the first key again, with another value, last (json would keep that one)
        text = path.read_text("utf-8").rstrip().removesuffix("}").rstrip()
        key = sorted(json.loads(path.read_text("utf-8")))[0]
        data = (text + f',\n  "{key}": null\n}}\n').encode()
    path.write_bytes(data)
    result = run_cli("test", "summarize_pr", cwd=root)
    assert result.code == 2, result.output
    assert words in result.output, result.output
    assert "internal error" not in result.output
