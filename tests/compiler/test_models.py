"""The shipped model table against the installed anthropic SDK; pinning; `--resolve-online`
against a loopback Models API; `check`/`verify` never importing anthropic."""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
import sys
import threading
import typing
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from routinec.modeltable import MODELS, lifecycle_on, lookup
from tests.helpers import cli_env, run_cli, snapshot, write_project

SPEC = """\
routine hello v1 {
  model "claude-haiku-4-5"
  max_tokens 256
  prompt \"\"\"Hello {{ name }}\"\"\"
  input { name: string }
  output { greeting: string }
}
"""


def _sdk_models() -> list[str]:
    anthropic_types = pytest.importorskip("anthropic.types")
    ids: list[str] = []
    stack: list[Any] = [anthropic_types.Model]
    while stack:
        tp = stack.pop()
        if typing.get_origin(tp) is typing.Literal:
            ids.extend(str(a) for a in typing.get_args(tp))
        else:
            stack.extend(typing.get_args(tp))
    return sorted(set(ids))


def test_every_sdk_model_is_in_the_table() -> None:
    ids = _sdk_models()
    assert ids
    missing = [m for m in ids if lookup(m) is None]
    assert missing == []


MODELS_API = Path(__file__).parents[1] / "data" / "models" / "models_api.json"


def _recorded_models() -> tuple[dt.date, list[Any]]:
    """The Models API's list as recorded (or, origin "fixture", transcribed) on `as_of`."""
    model_info = pytest.importorskip("anthropic.types").ModelInfo
    doc = json.loads(MODELS_API.read_text("utf-8"))
    assert doc["origin"] in ("recorded", "fixture")
    return dt.date.fromisoformat(doc["as_of"]), [model_info.model_validate(r) for r in doc["data"]]


def test_recorded_models_api_data_covers_the_table() -> None:
    _, infos = _recorded_models()
    assert sorted(i.id for i in infos) == sorted(m.id for m in MODELS)


def test_table_agrees_with_the_recorded_models_api() -> None:
    from routinec.commands.models_api import from_model_info

    as_of, infos = _recorded_models()
    for info in infos:
        table = lookup(info.id)
        assert table is not None, info.id
        online = from_model_info(info, table)
        assert online.max_tokens == table.max_tokens, info.id
        assert online.structured_outputs == table.structured_outputs, info.id
        assert online.effort == table.effort, info.id
        assert online.thinking_budget == table.thinking_budget, info.id
        assert online.retires_at == table.retires_at, info.id
        # the table's lifecycle, read on the day the data was taken, is what the API said
        assert lifecycle_on(table.lifecycle, table.retires_at, as_of) == info.lifecycle, info.id


@pytest.mark.parametrize(
    ("stored", "retires_at", "on", "expected"),
    [
        ("active", None, dt.date(2030, 1, 1), "active"),
        ("deprecated", "2026-11-30", dt.date(2026, 11, 29), "deprecated"),
        ("deprecated", "2026-11-30", dt.date(2026, 11, 30), "retired"),
        # a date is a date: a table that still says "active" cannot keep a retired model alive
        ("active", "2026-11-30", dt.date(2026, 12, 1), "retired"),
        ("active", "2026-11-30", dt.date(2026, 1, 1), "deprecated"),
        ("retired", "2027-01-01", dt.date(2026, 1, 1), "retired"),
        ("deprecated", "not a date", dt.date(2026, 1, 1), "deprecated"),
    ],
)
def test_lifecycle_is_a_function_of_the_date(
    stored: str, retires_at: str | None, on: dt.date, expected: str
) -> None:
    assert lifecycle_on(stored, retires_at, on) == expected


def test_sonnet_4_5_retires_on_2026_11_30() -> None:
    info = lookup("claude-sonnet-4-5")
    assert info is not None
    assert lifecycle_on(info.lifecycle, info.retires_at, dt.date(2026, 11, 29)) == "deprecated"
    assert lifecycle_on(info.lifecycle, info.retires_at, dt.date(2026, 11, 30)) == "retired"


@pytest.mark.parametrize(
    ("alias", "snapshot_id"),
    [
        ("claude-haiku-4-5", "claude-haiku-4-5-20251001"),
        ("claude-sonnet-4-5", "claude-sonnet-4-5-20250929"),
        ("claude-opus-4-5", "claude-opus-4-5-20251101"),
        ("claude-haiku-4-5-20251001", "claude-haiku-4-5-20251001"),
        ("claude-sonnet-4-6", "claude-sonnet-4-6"),
        ("claude-opus-4-7", "claude-opus-4-7"),
    ],
)
def test_alias_pins_to_snapshot(alias: str, snapshot_id: str) -> None:
    info = lookup(alias)
    assert info is not None
    assert info.id == snapshot_id


def test_unknown_model_is_not_pinned() -> None:
    assert lookup("claude-haiku-4.5") is None
    assert lookup("") is None


# ---- anthropic is never imported by check or verify


@pytest.fixture
def locked(tmp_path: Path) -> Path:
    root = write_project(tmp_path / "p", {"specs/hello.routine": SPEC})
    assert run_cli("lock", cwd=root).code == 0
    return root


def _imported(root: Path, *args: str) -> list[str]:
    env = cli_env(PYTHONPROFILEIMPORTTIME="1")
    timed = run_cli(*args, cwd=root, env=env)
    assert timed.code == 0, timed.output
    modules = re.findall(r"^import time:\s+\d+ \|\s+\d+ \|\s*(\S+)", timed.stderr, re.MULTILINE)
    assert "routinec.cli" in modules  # the trace works
    return modules


@pytest.mark.parametrize("args", [("check",), ("verify",), ("verify", "--full")])
def test_check_and_verify_never_import_anthropic(locked: Path, args: tuple[str, ...]) -> None:
    modules = _imported(locked, *args)
    assert not [m for m in modules if m == "anthropic" or m.startswith("anthropic.")]


# ---- lock --resolve-online against a loopback Models API


class _Models(BaseHTTPRequestHandler):
    """GET /v1/models/{id} → a ModelInfo answering a dated snapshot of its own choosing."""

    answers: typing.ClassVar[dict[str, str]] = {"claude-haiku-4-5": "claude-haiku-4-5-20251001"}
    seen: typing.ClassVar[list[tuple[str, str]]] = []
    disable_nagle_algorithm = True  # no 40 ms wait for the delayed ACK between headers and body

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        type(self).seen.append((self.path, json.dumps(dict(self.headers.items()))))
        name = self.path.removeprefix("/v1/models/").split("?")[0]
        if name not in self.answers:
            body = {"type": "error", "error": {"type": "not_found_error", "message": name}}
            self._send(404, body)
            return
        self._send(
            200,
            {
                "id": self.answers[name],
                "type": "model",
                "display_name": "Claude Haiku 4.5",
                "created_at": "2025-10-01T00:00:00Z",
                "lifecycle": "active",
                "retires_at": None,
                "max_tokens": 32000,
                "max_input_tokens": 200000,
                "capabilities": {"structured_outputs": {"supported": True}},
            },
        )

    def _send(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.send_header("x-should-retry", "false")
        self.end_headers()
        self.wfile.write(data)


@pytest.fixture
def models_api() -> Iterator[str]:
    _Models.seen = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Models)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        host, port = server.server_address[:2]
        yield f"http://{host}:{port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


KEY = "sk-ant-test-" + "7" * 40


def test_resolve_online_records_what_the_api_answered(tmp_path: Path, models_api: str) -> None:
    pytest.importorskip("anthropic")
    root = write_project(tmp_path / "p", {"specs/hello.routine": SPEC})
    env = cli_env(ANTHROPIC_API_KEY=KEY, ANTHROPIC_BASE_URL=models_api)
    result = run_cli("lock", "--resolve-online", cwd=root, env=env)
    assert result.code == 0, result.output
    raw = (root / "routines.lock").read_bytes()
    model = json.loads(raw)["routines"]["hello"]["model"]
    assert model["resolved_by"] == "models-api"
    assert model["alias"] == "claude-haiku-4-5"
    assert model["snapshot"] == "claude-haiku-4-5-20251001"
    assert model["max_tokens_limit"] == 32000  # the API's answer, not the table's 64000
    assert KEY.encode() not in raw and b"sk-ant" not in raw
    assert [path for path, _ in _Models.seen] == ["/v1/models/claude-haiku-4-5"]
    assert KEY in _Models.seen[0][1]  # the key went to the server, and only there
    # verify offline (no key, no server) compares like with like
    assert run_cli("verify", "--full", cwd=root).code == 0


def test_resolve_online_unknown_model(tmp_path: Path, models_api: str) -> None:
    pytest.importorskip("anthropic")
    root = write_project(
        tmp_path / "p", {"specs/hello.routine": SPEC.replace("claude-haiku-4-5", "claude-nope-1")}
    )
    env = cli_env(ANTHROPIC_API_KEY=KEY, ANTHROPIC_BASE_URL=models_api)
    result = run_cli("lock", "--resolve-online", cwd=root, env=env)
    assert result.code == 2, result.output
    assert "unknown model 'claude-nope-1'  [unknown-model]" in result.output
    assert not (root / "routines.lock").exists()


def test_resolve_online_with_the_shared_fake_api(tmp_path: Path) -> None:
    pytest.importorskip("anthropic")
    fake_api = pytest.importorskip("tests.support.fake_api")
    root = write_project(tmp_path / "p", {"specs/hello.routine": SPEC})
    with fake_api.FakeAnthropic() as api:
        env = cli_env(ANTHROPIC_API_KEY=fake_api.TEST_KEY, ANTHROPIC_BASE_URL=api.base_url)
        result = run_cli("lock", "--resolve-online", cwd=root, env=env)
        paths = [r.path for r in api.requests]
    assert result.code == 0, result.output
    raw = (root / "routines.lock").read_bytes()
    model = json.loads(raw)["routines"]["hello"]["model"]
    assert model["resolved_by"] == "models-api"
    assert model["snapshot"] == "claude-haiku-4-5"  # this fake answers the id it was asked
    assert "/v1/models/claude-haiku-4-5" in paths
    assert fake_api.TEST_KEY.encode() not in raw


def test_resolve_online_without_a_key(tmp_path: Path) -> None:
    root = write_project(tmp_path / "p", {"specs/hello.routine": SPEC})
    assert run_cli("lock", cwd=root).code == 0
    before = snapshot(root)
    result = run_cli("lock", "--resolve-online", cwd=root)
    assert result.code == 2
    assert "--resolve-online needs ANTHROPIC_API_KEY  [api-key]" in result.output
    assert "help: " in result.output
    assert "Traceback" not in result.output
    assert snapshot(root) == before
    # The missing key is found before the SDK (~0.8 s to import) is loaded.
    probe = (
        "import atexit, sys\n"
        "atexit.register(lambda: print('sdk loaded:', 'anthropic' in sys.modules))\n"
        "from routinec.cli import main\n"
        "main(['lock', '--resolve-online'])\n"
    )
    proc = subprocess.run([sys.executable, "-c", probe], cwd=root, env=cli_env(), capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2, proc.stderr
    assert "sdk loaded: False" in proc.stdout
