"""Test support: a loopback server that speaks enough of the Anthropic Messages API.

In: HTTP from the real `anthropic` SDK (pointed here with `base_url`). Out: scripted or
default replies (JSON or SSE), error statuses, and a record of every request received.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = [
    "TEST_KEY",
    "FakeAnthropic",
    "RecordedRequest",
    "Reply",
    "default_reply",
    "error_reply",
    "example_for_schema",
    "final_reply",
    "message_reply",
    "output_reply",
    "pause_reply",
    "tool_script",
    "tool_use_reply",
]

TEST_KEY = "sk-ant-test-" + "0" * 40


@dataclass
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: Any


@dataclass
class Reply:
    """One scripted answer. `body` is a JSON value (or raw bytes, for broken replies)."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


def message_reply(
    content: list[dict[str, Any]],
    *,
    model: str = "claude-haiku-4-5-20251001",
    stop_reason: str = "end_turn",
    input_tokens: int = 11,
    output_tokens: int = 7,
) -> Reply:
    return Reply(
        body={
            "id": "msg_fake",
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": content,
            "stop_reason": stop_reason,
            "stop_sequence": None,
            "usage": {"input_tokens": input_tokens, "output_tokens": output_tokens},
        }
    )


def output_reply(request: dict[str, Any], output: Any, **kwargs: Any) -> Reply:
    """Answer `request` with `output`, as structured-output text or as the forced tool's input."""
    model = kwargs.pop("model", request.get("model", "claude-haiku-4-5-20251001"))
    if request.get("tools"):
        name = request["tools"][0]["name"]
        block = {"type": "tool_use", "id": "toolu_fake", "name": name, "input": output}
        return message_reply([block], model=model, stop_reason="tool_use", **kwargs)
    text = json.dumps(output, sort_keys=True)
    return message_reply([{"type": "text", "text": text}], model=model, **kwargs)


def error_reply(status: int, message: str = "scripted error", retry_after: float | None = None) -> Reply:
    kinds = {
        400: "invalid_request_error",
        401: "authentication_error",
        404: "not_found_error",
        429: "rate_limit_error",
        500: "api_error",
        529: "overloaded_error",
    }
    headers = {"x-should-retry": "false"} if status in (400, 401, 404) else {}
    if retry_after is not None:
        headers["retry-after"] = str(retry_after)
    body = {"type": "error", "error": {"type": kinds.get(status, "api_error"), "message": message}}
    return Reply(status=status, body=body, headers=headers)


def example_for_schema(schema: dict[str, Any], defs: dict[str, Any] | None = None) -> Any:
    """A small value valid under a DSL-shaped schema (what a well-behaved model would emit)."""
    defs = defs if defs is not None else schema.get("$defs", {})
    if "$ref" in schema:
        return example_for_schema(defs[schema["$ref"].rsplit("/", 1)[-1]], defs)
    if "const" in schema:
        return schema["const"]
    if "enum" in schema:
        return schema["enum"][0]
    for key in ("anyOf", "oneOf"):
        if key in schema:
            return example_for_schema(schema[key][0], defs)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = kind[0]
    if kind == "object":
        props = schema.get("properties", {})
        return {k: example_for_schema(props[k], defs) for k in schema.get("required", sorted(props))}
    if kind == "array":
        return [example_for_schema(schema.get("items", {}), defs)] * int(schema.get("minItems", 0))
    if kind == "string":
        return "x" * max(1, int(schema.get("minLength", 1)))
    if kind in ("integer", "number"):
        return int(schema.get("minimum", 0))
    if kind == "boolean":
        return False
    return None


Responder = Callable[[dict[str, Any]], Reply]


def tool_use_reply(calls: list[tuple[str, Any]], *, turn: int = 0, text: str | None = None, **kwargs: Any) -> Reply:
    """The model asking for tools: one `tool_use` block per (name, input), in order (several
    blocks are a parallel call), ids `toolu_<turn>_<k>`."""
    content: list[dict[str, Any]] = [{"type": "text", "text": text}] if text else []
    content.extend(
        {"type": "tool_use", "id": f"toolu_{turn}_{k}", "name": name, "input": arguments}
        for k, (name, arguments) in enumerate(calls)
    )
    return message_reply(content, stop_reason="tool_use", **kwargs)


def pause_reply(text: str = "searching…", **kwargs: Any) -> Reply:
    """A long server-tool turn the API paused (`pause_turn`): the client sends it back as is."""
    return message_reply([{"type": "text", "text": text}], stop_reason="pause_turn", **kwargs)


def final_reply(request: dict[str, Any], output: Any, **kwargs: Any) -> Reply:
    """The final answer of a tool-using routine: structured-output text, or the emit_output tool."""
    model = kwargs.pop("model", request.get("model", "claude-haiku-4-5-20251001"))
    if (request.get("output_config") or {}).get("format"):
        return message_reply([{"type": "text", "text": json.dumps(output, sort_keys=True)}], model=model, **kwargs)
    block = {"type": "tool_use", "id": "toolu_final", "name": "emit_output", "input": output}
    return message_reply([block], model=model, stop_reason="tool_use", **kwargs)


def tool_script(steps: list[Any]) -> Responder:
    """A responder for tool loops, scripted per turn: step i answers the request that holds i
    assistant messages (so it does not depend on the order requests arrive in). A step is a
    list of (tool name, input) pairs (a tool_use turn; several pairs = a parallel call),
    "pause" (a pause_turn), or ("final", output)."""

    def respond(request: dict[str, Any]) -> Reply:
        turn = sum(1 for m in request.get("messages") or [] if m.get("role") == "assistant")
        if turn >= len(steps):
            return error_reply(400, f"the script has no step {turn}")
        step = steps[turn]
        if step == "pause":
            return pause_reply()
        if isinstance(step, tuple) and step and step[0] == "final":
            return final_reply(request, step[1])
        return tool_use_reply(list(step), turn=turn)

    return respond


def default_reply(request: dict[str, Any]) -> Reply:
    schema = (request.get("output_config") or {}).get("format", {}).get("schema")
    if schema is None and request.get("tools"):
        schema = request["tools"][0]["input_schema"]
    return output_reply(request, example_for_schema(schema or {"type": "object"}))


def _sse_events(message: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    start = dict(message, content=[], stop_reason=None)
    yield "message_start", {"type": "message_start", "message": start}
    for index, block in enumerate(message["content"]):
        if block["type"] == "text":
            yield "content_block_start", {
                "type": "content_block_start",
                "index": index,
                "content_block": {"type": "text", "text": ""},
            }
            text = block["text"]
            for i in range(0, len(text), 16):
                yield "content_block_delta", {
                    "type": "content_block_delta",
                    "index": index,
                    "delta": {"type": "text_delta", "text": text[i : i + 16]},
                }
        else:
            first = dict(block, input={}) if block["type"] == "tool_use" else block
            yield "content_block_start", {"type": "content_block_start", "index": index, "content_block": first}
            if block["type"] == "tool_use":
                yield "content_block_delta", {
                    "type": "content_block_delta",
                    "index": index,
                    "delta": {"type": "input_json_delta", "partial_json": json.dumps(block["input"])},
                }
        yield "content_block_stop", {"type": "content_block_stop", "index": index}
    yield "message_delta", {
        "type": "message_delta",
        "delta": {"stop_reason": message["stop_reason"], "stop_sequence": None},
        "usage": {"output_tokens": message["usage"]["output_tokens"]},
    }
    yield "message_stop", {"type": "message_stop"}


class FakeAnthropic:
    """`with FakeAnthropic() as api:` then point the SDK at `api.base_url`.

    Replies come from `api.script` (a queue, first in first out) and, when it is empty, from
    `respond(request_body)` (default: a schema-conforming answer).
    """

    def __init__(self, respond: Responder | None = None) -> None:
        self.respond: Responder = respond or default_reply
        self.script: deque[Reply] = deque()
        self.requests: list[RecordedRequest] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._count = 0

    @property
    def base_url(self) -> str:
        assert self._server is not None, "server not started"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def push(self, *replies: Reply) -> None:
        with self._lock:
            self.script.extend(replies)

    def messages(self) -> list[RecordedRequest]:
        with self._lock:
            return [r for r in self.requests if r.path.startswith("/v1/messages")]

    def _next(self, body: Any) -> Reply:
        with self._lock:
            self._count += 1
            if self.script:
                return self.script.popleft()
        return self.respond(body)

    def __enter__(self) -> FakeAnthropic:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out as two writes; with Nagle's algorithm on, the body waited
            # for the client's delayed ACK of the headers: 40 ms per response, every call.
            disable_nagle_algorithm = True

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _record(self, body: Any) -> None:
                headers = {k.lower(): v for k, v in self.headers.items()}
                with fake._lock:
                    fake.requests.append(RecordedRequest(self.command, self.path, headers, body))

            def _send(self, status: int, payload: bytes, headers: dict[str, str], ctype: str) -> None:
                try:
                    self.send_response(status)
                    self.send_header("content-type", ctype)
                    self.send_header("content-length", str(len(payload)))
                    with fake._lock:
                        self.send_header("request-id", f"req_fake_{fake._count:04d}")
                    for key, value in headers.items():
                        self.send_header(key, value)
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def do_GET(self) -> None:
                self._record(None)
                prefix = "/v1/models/"
                if self.path.startswith(prefix):
                    model_id = self.path[len(prefix) :].split("?")[0]
                    info = {
                        "id": model_id,
                        "type": "model",
                        "display_name": model_id.replace("-", " ").title(),
                        "created_at": "2025-10-01T00:00:00Z",
                        "lifecycle": "active",
                        "retires_at": None,
                        "max_tokens": 64000,
                        "max_input_tokens": 200000,
                        "capabilities": {"structured_outputs": {"supported": True}},
                    }
                    self._send(200, json.dumps(info).encode(), {}, "application/json")
                    return
                body = {"type": "error", "error": {"type": "not_found_error", "message": self.path}}
                self._send(404, json.dumps(body).encode(), {}, "application/json")

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", "0"))
                raw = self.rfile.read(length)
                try:
                    body = json.loads(raw)
                except ValueError:
                    body = raw.decode("utf-8", "replace")
                self._record(body)
                if not self.path.startswith("/v1/messages"):
                    self._send(404, b'{"type":"error","error":{"type":"not_found_error"}}', {}, "application/json")
                    return
                if not self.headers.get("x-api-key") and not self.headers.get("authorization"):
                    reply = error_reply(401, "x-api-key header is required")
                else:
                    reply = fake._next(body)
                if reply.delay:
                    time.sleep(reply.delay)
                if reply.status == 200 and isinstance(body, dict) and body.get("stream"):
                    chunks = [
                        f"event: {name}\ndata: {json.dumps(data)}\n\n"
                        for name, data in _sse_events(reply.body)
                    ]
                    self._send(200, "".join(chunks).encode(), reply.headers, "text/event-stream")
                    return
                payload = reply.body if isinstance(reply.body, bytes) else json.dumps(reply.body).encode()
                self._send(reply.status, payload, reply.headers, "application/json")

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        server.block_on_close = False
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, name="fake-anthropic", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
