"""Fixtures for tool-using routines: a project whose routine calls three Python tools
(search_code and read_file read, add_label writes and has a dry run), locked by the real
compiler; the loopback Messages API scripted turn by turn (tests.support.fake_api.tool_script).

Each project gets its own tool module name: a process imports a module once, and tests that
edit a tool's source must not see another test's copy."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from routinec.runtime.core import Runtime
from tests.runtime.conftest import cli_env, lock
from tests.support.fake_api import TEST_KEY, FakeAnthropic, tool_script

TOOLS = '''\
"""Tools of the triage routine (test fixture). Side effects go to files beside this module."""

import threading
import time
from pathlib import Path
from typing import Literal

HERE = Path(__file__).parent
_read_done = threading.Event()


def _count(name: str) -> None:
    with open(HERE / "calls.log", "a") as f:
        f.write(name + "\\n")


def search_code(query: str, limit: int = 3) -> dict:
    """Search the code base."""
    _count("search_code")
    if query == "boom":
        raise ValueError("the index is not built")
    waited = None
    if query == "parallel":
        # Finishes after read_file (the next tool_use block), when they run concurrently.
        waited = _read_done.wait(10)
    return {"hits": [f"src/{query}.py"][:limit], "took_ms": time.perf_counter(), "after_read_file": waited}


def read_file(path: str) -> str:
    _count("read_file")
    _read_done.set()
    return "VERSION = " + repr(path)


def add_label(label: Literal["bug", "duplicate", "question"]) -> str:
    _count("add_label")
    with open(HERE / "labels.txt", "a") as f:
        f.write(label + "\\n")
    return f"added {label}"


def preview_label(label: Literal["bug", "duplicate", "question"]) -> str:
    _count("preview_label")
    return f"would add {label}"
'''

SPEC = '''\
routine triage v1 {
  description "Triage an issue with tools."
  model "claude-haiku-4-5"
  max_tokens 1024
  max_turns 4
  max_tool_calls 6
  parallel_tools true
  tool search_code "MOD:search_code" {
    effect read
    description "Search the code base"
    volatile ["took_ms"]
  }
  tool read_file "MOD:read_file" { effect read }
  tool add_label "MOD:add_label" {
    effect write
    dry_run "MOD:preview_label"
  }
  input {
    title: string
  }
  output {
    label: "bug" | "duplicate" | "question"
    reason: string
  }
  prompt "Triage this issue: {{ title }}"
  test dup {
    input { title: "Crash on save" }
    expect tools [search_code, read_file, add_label]
    expect tool add_label { label: "duplicate" }
    expect turns <= 3
  }
}
'''

FINAL = {"label": "duplicate", "reason": "same as #12"}
STEPS: list[Any] = [
    [("search_code", {"query": "save"}), ("read_file", {"path": "src/save.py"})],
    [("add_label", {"label": "duplicate"})],
    ("final", FINAL),
]


def write_tools_project(root: Path, *, spec: str = SPEC) -> Path:
    module = f"triage_tools_{uuid.uuid4().hex[:10]}"
    root.mkdir(parents=True)
    (root / "pyproject.toml").write_text('[project]\nname = "demo"\nversion = "0"\n')
    (root / "specs").mkdir()
    (root / "golden" / "triage").mkdir(parents=True)
    (root / f"{module}.py").write_text(TOOLS)
    (root / "specs" / "triage.routine").write_text(spec.replace("MOD", module))
    (root / "golden" / "triage" / "dup.output.json").write_text(
        '{\n  "label": "duplicate",\n  "reason": "same as #12"\n}\n'
    )
    lock(root)
    return root


def module_of(root: Path) -> Path:
    return next(root.glob("triage_tools_*.py"))


def calls_log(root: Path) -> list[str]:
    log = root / "calls.log"
    return log.read_text().split() if log.exists() else []


@pytest.fixture
def tools_project(tmp_path: Path) -> Path:
    return write_tools_project(tmp_path / "proj")


@pytest.fixture
def scripted_api(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeAnthropic]:
    """The loopback API answering STEPS; the SDK is pointed at it, CI unset (record mode)."""
    with FakeAnthropic(tool_script(STEPS)) as api:
        monkeypatch.setenv("ANTHROPIC_BASE_URL", api.base_url)
        monkeypatch.delenv("CI", raising=False)
        yield api


def runtime(root: Path, mode: str, api: FakeAnthropic | None = None, **kwargs: Any) -> Runtime:
    if api is not None:
        kwargs.setdefault("api_key", TEST_KEY)
    rt = Runtime(root, mode, ledger=False, **kwargs)
    return rt


__all__ = ["FINAL", "STEPS", "calls_log", "cli_env", "module_of", "runtime", "write_tools_project"]
