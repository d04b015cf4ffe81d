"""Runtime layer: the tool loop of a tool-using routine, and its multi-turn transcripts.

In: a Runtime, a locked routine with a `ToolSet`, inputs. Out: a `ToolRun` (`core` makes it
a `Result`): the output of the model's final turn and the trajectory (turns, tool calls). Each turn is one
Messages API request: `tool_use` blocks are executed (in parallel when the routine allows it)
and answered in one user message, in the order of the `tool_use` blocks, failures as
`is_error` results; `pause_turn` is continued; `max_turns` / `max_tool_calls` end the run with
a `tool-limit` RoutineError that carries the partial transcript (written beside the case as
`<case>.partial.json` in record mode).

Replay is offline and order-checked: turn i's request must hash to the recorded turn i, and
tool results come from the transcript (tools are not called). With `tools="live"` the read
tools are re-run too and any result that differs from the recording is reported; write tools
never run in replay.
"""

from __future__ import annotations

import datetime as _dt
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from routinec import __version__
from routinec.codes import Code
from routinec.lockfile.entry import ToolPin, ToolSet
from routinec.runtime.entry import LockedRoutine, to_wire
from routinec.runtime.errors import RoutineError
from routinec.runtime.exchange import Call, Exchange
from routinec.runtime.request import (
    TOOL_NAME,
    build_request,
    describe_changes,
    extract_output,
    request_hash,
)
from routinec.runtime.tools import ToolOutcome
from routinec.runtime.transcript import (
    make_transcript,
    read_transcript,
    transcript_path,
    write_json_guarded,
)

if TYPE_CHECKING:
    from routinec import telemetry

# `core` imports this module (lazily) and builds the `Result` from a `ToolRun`; nothing here
# imports `core` or `audit` back: the runtime and the ledger trace are passed in, typed Any.
Runtime = Any
Trace = Any

__all__ = ["ToolCall", "ToolRun", "Trajectory", "check_trajectory", "recorded_request", "run_with_tools", "tool_request"]


@dataclass(frozen=True)
class ToolCall:
    """One tool call of a run: what the model asked, what it was shown, how that was obtained."""

    turn: int
    id: str
    name: str
    input: Any
    result: str
    is_error: bool
    effect: str | None  # read | write; None for a tool the routine does not declare
    obtained: str  # live | dry-run | recorded

    def to_json(self) -> dict[str, Any]:
        return {
            "turn": self.turn,
            "id": self.id,
            "name": self.name,
            "input": self.input,
            "result": self.result,
            "is_error": self.is_error,
            "effect": self.effect,
            "obtained": self.obtained,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ToolCall:
        return cls(
            int(data["turn"]), str(data["id"]), str(data["name"]), data.get("input"), str(data["result"]),
            bool(data.get("is_error")), data.get("effect"), str(data.get("obtained", "recorded")),
        )

    def result_block(self) -> dict[str, Any]:
        block: dict[str, Any] = {"type": "tool_result", "tool_use_id": self.id, "content": self.result}
        if self.is_error:
            block["is_error"] = True
        return block


@dataclass(frozen=True)
class ToolRun:
    """What a tool-using run gives `core` to build its `Result` from."""

    output: Any
    response: dict[str, Any]
    request_hash: str  # the first turn's
    transcript: Path | None
    request_id: str | None
    usage: dict[str, int]
    turns: int
    tool_calls: tuple[ToolCall, ...]


@dataclass
class Trajectory:
    turns: list[dict[str, Any]]  # {"request_hash", "response"}
    calls: list[ToolCall]


def _server_name(tool_type: str) -> str:
    return re.sub(r"_\d{8}$", "", tool_type)


def tool_request(routine: LockedRoutine, system: str | None, prompt: str) -> dict[str, Any]:
    """The first turn's body: the routine's request with its tools, tool choice and limits."""
    tools = routine.entry.tools
    assert tools is not None
    body = build_request(routine, system, prompt, [])
    defs: list[dict[str, Any]] = []
    for tool in tools.tools:
        if tool.kind == "server":
            defs.append({"type": tool.entry_point, "name": _server_name(tool.entry_point), **to_wire(tool.options)})
            continue
        item: dict[str, Any] = {"name": tool.name, "input_schema": to_wire(tool.input_schema)}
        if tool.description:
            item["description"] = tool.description
        if tool.options.get("strict") is True:
            item["strict"] = True
        defs.append(item)
    if not routine.structured:
        defs.extend(body.get("tools") or [])  # emit_output: the model's final answer
    body["tools"] = defs
    choice: dict[str, Any] = (
        {"type": tools.tool_choice} if tools.tool_choice in ("auto", "any", "none")
        else {"type": "tool", "name": tools.tool_choice}
    )
    if not tools.parallel and choice["type"] != "none":
        choice["disable_parallel_tool_use"] = True
    body["tool_choice"] = choice
    return body


def _uses(response: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        b for b in response.get("content") or []
        if isinstance(b, dict) and b.get("type") == "tool_use" and b.get("name") != TOOL_NAME
    ]


def _is_final(routine: LockedRoutine, response: dict[str, Any]) -> bool:
    if response.get("stop_reason") == "pause_turn":
        return False
    if not routine.structured and any(
        isinstance(b, dict) and b.get("type") == "tool_use" and b.get("name") == TOOL_NAME
        for b in response.get("content") or []
    ):
        return True
    return response.get("stop_reason") != "tool_use" or not _uses(response)


def _next_messages(response: dict[str, Any], calls: list[ToolCall]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = [{"role": "assistant", "content": to_wire(response.get("content") or [])}]
    if calls:
        out.append({"role": "user", "content": [c.result_block() for c in calls]})
    return out


def recorded_request(data: dict[str, Any], turn: int) -> dict[str, Any]:
    """Turn `turn`'s request as recorded, rebuilt from the first request, the responses and the
    tool results before it (a transcript stores each request's hash, not each request)."""
    first = data["request"]
    messages = list(first.get("messages") or [])
    calls = [ToolCall.from_json(c) for c in data.get("tool_calls") or []]
    for i, item in enumerate((data.get("turns") or [])[:turn]):
        response = item["response"]
        order = {b.get("id"): k for k, b in enumerate(_uses(response))}
        mine = sorted((c for c in calls if c.turn == i), key=lambda c: order.get(c.id, len(order)))
        messages.extend(_next_messages(response, mine))
    return {**first, "messages": messages}


class _Recording:
    """A multi-turn transcript being replayed, turn by turn, in order."""

    def __init__(self, data: dict[str, Any], path: Path, routine: str, case: str | None) -> None:
        self.data, self.path, self.routine, self.case = data, path, routine, case
        self.turns: list[dict[str, Any]] = data.get("turns") or [
            {"request_hash": data["request_hash"], "response": data["responses"][-1]}
        ]
        self.calls: dict[tuple[int, str], ToolCall] = {}
        for raw in data.get("tool_calls") or []:
            call = ToolCall.from_json(raw)
            self.calls[(call.turn, call.id)] = call

    def _error(self, kind: Code, message: str) -> RoutineError:
        case = self.case or self.path.name.removesuffix(".transcript.json")
        return RoutineError(kind, message, hint=f"run 'routinec record {self.routine} --case {case}'",
                            routine=self.routine, case=self.case, path=self.path)

    def response(self, turn: int, body: dict[str, Any], key: str) -> dict[str, Any]:
        if turn >= len(self.turns):
            raise self._error(
                Code.TRANSCRIPT_MISMATCH,
                f"turn {turn + 1}: the recording ends after {len(self.turns)} turn{'s' if len(self.turns) != 1 else ''}, "
                "but the run asks for another",
            )
        recorded = self.turns[turn]
        if recorded.get("request_hash") != key:
            before = recorded_request(self.data, turn)
            if request_hash(before) != recorded.get("request_hash"):
                raise self._error(
                    Code.TRANSCRIPT_CORRUPT,
                    f"turn {turn + 1}: the transcript does not add up: its turns before this one do not rebuild "
                    "the request it recorded (edited by hand?)",
                )
            changes = describe_changes(before, body)
            raise self._error(
                Code.TRANSCRIPT_MISMATCH,
                f"turn {turn + 1}: the request no longer matches the recording (closest: recorded turn {turn + 1} "
                f"of {len(self.turns)}): " + "; ".join(changes[:3]),
            )
        response = recorded["response"]
        assert isinstance(response, dict)
        return response

    def call(self, turn: int, use: dict[str, Any]) -> ToolCall:
        found = self.calls.get((turn, str(use.get("id"))))
        if found is None:
            raise self._error(
                Code.TRANSCRIPT_CORRUPT,
                f"turn {turn + 1}: the transcript holds no result for tool call {use.get('id')} ({use.get('name')})",
            )
        return found


class _Loop:
    def __init__(self, rt: Runtime, routine: LockedRoutine, case: str | None) -> None:
        self.rt = rt
        self.routine = routine
        self.case = case
        tools = routine.entry.tools
        assert tools is not None
        self.tools: ToolSet = tools
        self.trajectory = Trajectory([], [])
        self.live_differences: list[str] = []
        self.last: Exchange | None = None

    # -- one tool call ------------------------------------------------------------------------

    def _execute(self, turn: int, use: dict[str, Any], recording: _Recording | None) -> ToolCall:
        name = str(use.get("name"))
        pin: ToolPin | None = self.tools.get(name)
        call_id = str(use.get("id"))
        if recording is not None:
            recorded = recording.call(turn, use)
            call = ToolCall(turn, call_id, name, use.get("input"), recorded.result, recorded.is_error,
                            recorded.effect, "recorded")
            if self.rt.tools_mode == "live" and pin is not None and pin.kind == "python" and pin.effect == "read":
                fresh = self.rt.tool_executor().execute(pin, to_wire(use.get("input")), self.routine.name)
                if (fresh.content, fresh.is_error) != (recorded.result, recorded.is_error):
                    self.live_differences.append(
                        f"turn {turn + 1} {name} ({call_id}): recorded {_brief(recorded.result)}, live {_brief(fresh.content)}"
                    )
            return call
        if pin is None or pin.kind != "python":
            outcome = ToolOutcome(f"unknown tool {name!r}", True, "live")
        else:
            outcome = self.rt.tool_executor().execute(pin, to_wire(use.get("input")), self.routine.name)
        return ToolCall(turn, call_id, name, to_wire(use.get("input")), outcome.content, outcome.is_error,
                        pin.effect if pin is not None else None, outcome.obtained)

    def _execute_all(self, turn: int, uses: list[dict[str, Any]], recording: _Recording | None) -> list[ToolCall]:
        if recording is None and self.tools.parallel and len(uses) > 1:
            # Concurrently; answered in the order of the tool_use blocks, whatever order they finish in.
            with ThreadPoolExecutor(max_workers=min(len(uses), 8)) as pool:
                return list(pool.map(lambda u: self._execute(turn, u, None), uses))
        return [self._execute(turn, u, recording) for u in uses]

    # -- the loop -------------------------------------------------------------------------------

    def run(self, body: dict[str, Any], recording: _Recording | None, trace: Trace | None) -> dict[str, Any]:
        messages = list(body["messages"])
        name = self.routine.name
        for turn in range(self.tools.max_turns):
            request = {**body, "messages": list(messages)}
            key = request_hash(request)
            if recording is not None:
                response = recording.response(turn, request, key)
            else:
                self.last = self.rt.provider().call(request, routine=name, case=self.case)
                response = self.last.response
                if not isinstance(response, dict) or not isinstance(response.get("content"), list):
                    raise RoutineError(Code.INVALID_OUTPUT, f"turn {turn + 1}: the response is not a Messages API message",
                                       hint="re-record the case", routine=name, case=self.case)
            self.trajectory.turns.append({"request_hash": key, "response": response})
            if trace is not None:
                trace.exchange = self.last if self.last is not None else Exchange(response=response)
            if _is_final(self.routine, response):
                return response
            uses = _uses(response) if response.get("stop_reason") != "pause_turn" else []
            total = len(self.trajectory.calls) + len(uses)
            if total > self.tools.max_tool_calls:
                raise RoutineError(
                    Code.TOOL_LIMIT,
                    f"turn {turn + 1} asks for {len(uses)} more tool call{'s' if len(uses) != 1 else ''}, "
                    f"past max_tool_calls {self.tools.max_tool_calls} ({len(self.trajectory.calls)} made)",
                    hint="raise max_tool_calls in the spec (and run 'routinec lock'), or tighten the prompt",
                    routine=name, case=self.case,
                )
            calls = self._execute_all(turn, uses, recording)
            self.trajectory.calls.extend(calls)
            messages.extend(_next_messages(response, calls))
        raise RoutineError(
            Code.TOOL_LIMIT,
            f"no final answer within max_turns {self.tools.max_turns} "
            f"({len(self.trajectory.calls)} tool call{'s' if len(self.trajectory.calls) != 1 else ''} made)",
            hint="raise max_turns in the spec (and run 'routinec lock'), or tighten the prompt",
            routine=name, case=self.case,
        )

    # -- transcripts ------------------------------------------------------------------------------

    def transcript(self, body: dict[str, Any], *, partial: bool = False) -> dict[str, Any]:
        last = self.last
        responses = [t["response"] for t in self.trajectory.turns]
        redactor = self.rt.redactor()
        data = make_transcript(
            routine=self.routine.name,
            case=self.case or "",
            entry_hash=self.routine.entry_hash,
            request=body,
            responses=responses or [{"type": "message", "role": "assistant", "content": []}],
            origin="recorded",
            headers=last.headers if last is not None else {},
            redactor=redactor,
            provenance={
                "anthropic_version": last.anthropic_version if last is not None else None,
                "model": responses[-1].get("model") if responses else None,
                "recorded_at": _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "request_id": last.request_id if last is not None else None,
                "routinec_version": __version__,
                "sdk_version": last.sdk_version if last is not None else None,
            },
        )
        data["turns"] = redactor.value(self.trajectory.turns)
        data["tool_calls"] = redactor.value([c.to_json() for c in self.trajectory.calls])
        if partial:
            data["partial"] = True
        return data


def _brief(text: str) -> str:
    return text if len(text) <= 60 else text[:57] + "…"


def _find_recording(rt: Runtime, routine: LockedRoutine, body: dict[str, Any], key: str, case: str | None) -> _Recording:
    from routinec.runtime.replay import ReplayProvider

    backend = rt.backend
    assert isinstance(backend, ReplayProvider)
    if case is None:  # found by the first request's hash, or a miss naming the closest transcript
        data, path = backend.find(Call(routine, body, key, case))
        return _Recording(data, path, routine.name, case)
    path = transcript_path(backend.golden, routine.name, case)
    recording = _Recording(read_transcript(path, routine=routine.name, case=case), path, routine.name, case)
    recording.response(0, body, key)  # turn 1 checked here, like every later turn
    return recording


def run_with_tools(
    rt: Runtime,
    routine: LockedRoutine,
    inputs: Any,
    case: str | None,
    trace: Trace | None,
    span: telemetry.RunSpan | None,
) -> ToolRun:
    """One run of a tool-using routine on `rt` (a `core.Runtime`), in its mode."""
    name = routine.name
    if rt.mode == "record" and case is None:
        raise RoutineError(
            Code.CONFIG, "record mode writes one transcript per test case and needs a case name",
            hint="use mode='live' for ad-hoc calls, or run_case(routine, case)", routine=name,
        )
    plain = routine.validate_input(inputs, case)
    system, prompt = routine.render(plain, case)
    body = tool_request(routine, system, prompt)
    key = request_hash(body)
    if trace is not None:
        trace.inputs, trace.key = plain, key
    loop = _Loop(rt, routine, case)
    recording = _find_recording(rt, routine, body, key, case) if rt.mode == "replay" else None
    written: Path | None = recording.path if recording is not None else None
    try:
        response = loop.run(body, recording, trace)
        if span is not None:
            span.response(response)
        output = extract_output(routine, response, case, str(written) if written else None)
    except RoutineError as exc:
        # The run so far travels with the error; record mode also keeps it beside the case.
        exc.partial_transcript = loop.transcript(body, partial=True) if rt.mode != "replay" else None
        if rt.mode == "record" and case is not None and loop.trajectory.turns:
            path = transcript_path(rt.golden, name, case).with_name(f"{case}.partial.json")
            with rt.write_lock:
                write_json_guarded(path, exc.partial_transcript, routine=name, case=case)
            exc.partial_path = path
        raise
    if trace is not None:
        trace.output = output
    if rt.mode == "record" and case is not None:
        target = transcript_path(rt.golden, name, case)
        data = loop.transcript(body)
        with rt.write_lock:
            if rt.stop.is_set():
                raise KeyboardInterrupt
            write_json_guarded(target, data, routine=name, case=case)
            rt.written.append(target)
            partial = target.with_name(f"{case}.partial.json")
            if partial.exists():
                partial.unlink()
        written = target
    if loop.live_differences:
        raise RoutineError(
            Code.TOOL_RESULT_CHANGED,
            f"{len(loop.live_differences)} read tool result{'s' if len(loop.live_differences) != 1 else ''} "
            f"differ from the recording: {loop.live_differences[0]}",
            hint=f"if the tool changed on purpose, run 'routinec record {name}" + (f" --case {case}'" if case else "'"),
            routine=name, case=case, path=written, notes=tuple(loop.live_differences[1:]),
        )
    usage: dict[str, int] = {}
    for item in loop.trajectory.turns:
        for k, v in (item["response"].get("usage") or {}).items():
            if isinstance(v, int) and not isinstance(v, bool):
                usage[k] = usage.get(k, 0) + v
    return ToolRun(
        output=output,
        response=response,
        request_hash=key,
        transcript=written,
        request_id=loop.last.request_id if loop.last is not None else (
            (recording.data.get("provenance") or {}).get("request_id") if recording is not None else None
        ),
        usage=usage,
        turns=len(loop.trajectory.turns),
        tool_calls=tuple(loop.trajectory.calls),
    )


def trajectory_problems(expect: dict[str, Any], calls: tuple[ToolCall, ...], turns: int) -> list[str]:
    """Where a run's trajectory differs from a test's `expect` statements, in words."""
    problems: list[str] = []
    names = [c.name for c in calls]
    wanted = expect.get("tools")
    if wanted is not None and names != list(wanted):
        problems.append(f"expected tools [{', '.join(wanted)}], the run called [{', '.join(names)}]")
    for item in expect.get("tool_args") or []:
        tool, args = item["name"], item["input"]
        mine = [c for c in calls if c.name == tool]
        if not any(isinstance(c.input, dict) and all(c.input.get(k) == v for k, v in args.items()) for c in mine):
            seen = "; ".join(_brief(str(c.input)) for c in mine) or "never called"
            problems.append(f"expected a call {tool} {args}, the run's calls: {seen}")
    limit = expect.get("max_turns")
    if limit is not None and turns > limit:
        problems.append(f"expected at most {limit} turns, the run took {turns}")
    return problems


def check_trajectory(expect: dict[str, Any], result: Any, path: Path | None) -> None:
    """Raise `trajectory-mismatch` when `result` (a `core.Result`) breaks the expectations."""
    problems = trajectory_problems(expect, result.tool_calls, result.turns)
    if problems:
        raise RoutineError(
            Code.TRAJECTORY_MISMATCH,
            "; ".join(problems),
            hint=f"if the new trajectory is right, change the test's expect statements; else re-record: 'routinec record {result.routine} --case {result.case}'",
            routine=result.routine, case=result.case, path=result.transcript or path,
        )
