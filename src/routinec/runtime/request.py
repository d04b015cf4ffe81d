"""Runtime layer: Messages API request bodies from a lock entry, and outputs from responses.

In: a `LockedRoutine`, rendered system/prompt text and prior turns. Out: the exact JSON body
sent (and its hash, the replay key), the validated output parsed out of a response body,
and a short description of how two request bodies differ.
"""

from __future__ import annotations

import json
from typing import Any

from routinec.canonical import digest
from routinec.codes import Code
from routinec.params import request_fields
from routinec.runtime.apischema import api_schema
from routinec.runtime.entry import LockedRoutine, to_wire
from routinec.runtime.errors import RoutineError

__all__ = [
    "TOOL_NAME",
    "api_schema",
    "build_request",
    "describe_changes",
    "extract_output",
    "next_user_turn",
    "request_hash",
]

TOOL_NAME = "emit_output"


def next_user_turn(history: list[dict[str, Any]], prompt: str) -> dict[str, Any]:
    """The user turn after `history`: answers a forced tool call first, as the API requires."""
    if history and history[-1]["role"] == "assistant":
        content = history[-1]["content"]
        uses = [b for b in content if isinstance(b, dict) and b.get("type") == "tool_use"]
        if uses:
            blocks: list[dict[str, Any]] = [
                {"type": "tool_result", "tool_use_id": b["id"], "content": "received"} for b in uses
            ]
            blocks.append({"type": "text", "text": prompt})
            return {"role": "user", "content": blocks}
    return {"role": "user", "content": prompt}


def build_request(
    routine: LockedRoutine,
    system: str | None,
    prompt: str,
    history: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    prior = list(history or [])
    # Every locked parameter lands where the parameter table says (`routinec.params`).
    fields, output_config = request_fields(routine.entry.params.values)
    body: dict[str, Any] = {
        "model": routine.snapshot,
        **fields,
        "messages": [*prior, next_user_turn(prior, prompt)],
    }
    if system is not None:
        body["system"] = system
    thinking = body.get("thinking")
    if routine.structured:
        output_config["format"] = {"type": "json_schema", "schema": routine.api_schema}
    else:
        body["tools"] = [
            {
                "name": TOOL_NAME,
                "description": f"Return the output of routine {routine.name}.",
                "input_schema": routine.output_schema,
            }
        ]
        # The API rejects a forced tool choice together with extended thinking.
        forced = {"type": "tool", "name": TOOL_NAME}
        body["tool_choice"] = {"type": "auto"} if thinking is not None else forced
    if output_config:
        body["output_config"] = output_config
    return body


def request_hash(body: dict[str, Any]) -> str:
    return digest(body)


def extract_output(
    routine: LockedRoutine, response: Any, case: str | None, where: str | None
) -> Any:
    """Parse and validate the routine's output out of a Messages API response body."""

    def fail(message: str, hint: str) -> RoutineError:
        return RoutineError(Code.INVALID_OUTPUT, message, hint=hint, routine=routine.name, case=case, path=where)

    if not isinstance(response, dict) or not isinstance(response.get("content"), list):
        raise fail("the response is not a Messages API message", "re-record the case")
    stop = response.get("stop_reason")
    if stop == "refusal":
        raise fail("the model refused to answer (stop_reason 'refusal')", "change the prompt or input")
    if stop == "max_tokens":
        raise fail(
            "the answer was cut off at max_tokens before the output was complete",
            "raise max_tokens in the spec and run 'routinec lock'",
        )
    blocks = [b for b in response["content"] if isinstance(b, dict)]
    if routine.structured:
        text = "".join(str(b.get("text", "")) for b in blocks if b.get("type") == "text")
        try:
            output = json.loads(text)
        except json.JSONDecodeError as exc:
            excerpt = text[:60].replace("\n", " ")
            raise fail(
                f"the model's answer is not valid JSON ({exc.msg} at char {exc.pos}): {excerpt!r}",
                "re-record the case; if it persists, tighten the prompt",
            ) from None
    else:
        uses = [b for b in blocks if b.get("type") == "tool_use" and b.get("name") == TOOL_NAME]
        if not uses:
            raise fail(f"the model did not call the {TOOL_NAME} tool", "re-record the case")
        output = to_wire(uses[0].get("input"))
    problem = routine.output_problem(output)
    if problem is not None:
        raise fail(
            f"the model's output does not match the locked output schema: {problem}",
            "re-record the case; if it persists, tighten the prompt",
        )
    return output


def _schema_of(body: dict[str, Any]) -> Any:
    fmt = (body.get("output_config") or {}).get("format")
    if fmt:
        return fmt.get("schema")
    tools = body.get("tools") or []
    return tools[0].get("input_schema") if tools else None


def _first_difference(old: str, new: str) -> str:
    i = 0
    while i < min(len(old), len(new)) and old[i] == new[i]:
        i += 1
    start = max(0, i - 15)
    return f"at char {i}: {old[start : i + 25]!r} → {new[start : i + 25]!r}"


def _text_of(message: dict[str, Any]) -> str:
    content = message.get("content")
    if isinstance(content, str):
        return content
    return "".join(str(b.get("text", "")) for b in content or [] if isinstance(b, dict))


def describe_changes(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """What differs between a recorded request and the current one, most telling first."""
    changes: list[str] = []
    old_msgs, new_msgs = old.get("messages") or [], new.get("messages") or []
    if len(old_msgs) != len(new_msgs):
        changes.append(f"conversation length changed ({len(old_msgs)} → {len(new_msgs)} turns)")
    for i, (a, b) in enumerate(zip(old_msgs, new_msgs, strict=False)):
        if a != b:
            ta, tb = _text_of(a), _text_of(b)
            detail = _first_difference(ta, tb) if ta != tb else "content blocks differ"
            changes.append(f"prompt text changed (messages[{i}] {detail})")
            break
    if old.get("system") != new.get("system"):
        changes.append(
            f"system prompt changed ({_first_difference(str(old.get('system')), str(new.get('system')))})"
        )
    if _schema_of(old) != _schema_of(new):
        changes.append("output schema changed")
    skip = {"messages", "system", "output_config", "tools"}
    for key in sorted((set(old) | set(new)) - skip):
        if old.get(key) != new.get(key):
            changes.append(f"parameter {key} changed ({old.get(key)!r} → {new.get(key)!r})")
    old_cfg = {k: v for k, v in (old.get("output_config") or {}).items() if k != "format"}
    new_cfg = {k: v for k, v in (new.get("output_config") or {}).items() if k != "format"}
    for key in sorted(set(old_cfg) | set(new_cfg)):
        if old_cfg.get(key) != new_cfg.get(key):
            changes.append(f"parameter {key} changed ({old_cfg.get(key)!r} → {new_cfg.get(key)!r})")
    if bool(old.get("tools")) != bool(new.get("tools")):
        changes.append("output delivery changed (structured output ↔ forced tool)")
    return changes or ["the request differs only in formatting"]
