"""Runtime layer: `Runtime` and `Session`, the entry points application code calls.

In: a project root (its lockfile), a routine name and inputs. Out: a `Result` holding the
validated output and its provenance. The mode picks the provider once, when the Runtime is
built: replay reads transcripts only (`replay.ReplayProvider`: no `anthropic`, no socket);
live calls the model (`provider.SdkProvider`, created on first use); record wraps that in a
`recorder.Recorder` that writes transcripts.
"""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from routinec import telemetry
from routinec.codes import Code
from routinec.config import Config, env, load_config
from routinec.lockfile import Lock, LockEntry, read_lock
from routinec.rollout.bucket import in_canary
from routinec.runtime.entry import LockedRoutine, load_routine, to_wire
from routinec.runtime.errors import RoutineError
from routinec.runtime.exchange import Call, Exchange, Provider
from routinec.runtime.recorder import Recorder
from routinec.runtime.replay import ReplayProvider
from routinec.runtime.request import build_request, extract_output, request_hash
from routinec.runtime.transcript import Redactor

if TYPE_CHECKING:
    from routinec.runtime.audit import Audit, Trace
    from routinec.runtime.provider import SdkProvider

__all__ = ["DEFAULT", "MODES", "PIN", "SPLIT", "Result", "Route", "Runtime", "Session", "default_mode"]

# Why a run got its version: the caller pinned a channel or version; the canary split sent
# it (by its key); or there is no canary, so stable.
PIN, SPLIT, DEFAULT = "PIN", "SPLIT", "DEFAULT"
CHANNELS = ("stable", "canary")

MODES = ("replay", "record", "live")


def default_mode() -> str:
    """`ROUTINEC_MODE` if set; replay under CI=true or pytest; live otherwise."""
    settings = env()
    if settings.mode:
        return settings.mode
    return "replay" if settings.ci or settings.under_pytest else "live"


@dataclass(frozen=True)
class Result:
    """A validated output and where it came from."""

    routine: str
    case: str | None
    output: Any
    mode: str
    entry_hash: str
    model: str  # the pinned snapshot requested
    served_model: str | None  # what the response says answered
    request_hash: str
    transcript: Path | None  # replayed or written transcript
    request_id: str | None
    usage: dict[str, Any]
    run_id: str | None = None  # the ledger's run record (None when the ledger is off)
    version: int | None = None  # the routine version that ran
    channel: str | None = None  # stable | canary (None: a pinned version no channel points at)
    reason: str | None = None  # PIN | SPLIT | DEFAULT
    split_by: str | None = None  # SPLIT: "input.FIELD", "key" (the caller's) or "request-id"
    turns: int = 1  # model requests made (a tool-using routine makes several)
    tool_calls: tuple[Any, ...] = ()  # `toolloop.ToolCall`s, in call order


@dataclass(frozen=True, slots=True)
class Route:
    """Which version of a routine a run uses, and why."""

    version: int
    channel: str | None
    reason: str
    split_by: str | None = None


def _read_lock_for(config: Config, project_root: str | Path | None) -> Lock:
    """The project's lock; a missing one is a RoutineError naming the path it looked at."""
    from routinec.diagnostics import DiagnosticError

    try:
        return read_lock(config.lock_path)
    except DiagnosticError as exc:
        if isinstance(exc, RoutineError) or config.lock_path.exists():
            raise
        hint = "run 'routinec lock' in the project (the directory holding pyproject.toml)"
        if project_root is not None and not (config.root / "pyproject.toml").is_file():
            hint = (f"Runtime({str(project_root)!r}) takes the project root (the directory holding pyproject.toml "
                    "and routines.lock), not the specs folder; or run 'routinec lock' there")
        raise RoutineError(Code.LOCK_MISSING, f"no lockfile at {config.lock_path}", hint=hint,
                           path=config.lock_path) from None


class Runtime:
    """Runs locked routines. Thread-safe: `record --jobs N` shares one Runtime."""

    def __init__(
        self,
        project_root: str | Path | None = None,
        mode: str | None = None,
        *,
        config: Config | None = None,
        lock: Lock | None = None,
        api_key: str | None = None,
        stop: threading.Event | None = None,
        ledger: bool | None = None,
        channel: str | None = None,
        allow_writes: bool = False,
        tools: str = "recorded",
    ) -> None:
        """`ledger`: append a run record per run. None (the default) means on in live and
        record mode and off in replay; True turns it on in replay too, False off everywhere."""
        self.config = config or load_config(Path(project_root) if project_root is not None else None)
        self.mode = mode or default_mode()
        if self.mode not in MODES:
            raise RoutineError(Code.CONFIG, f"unknown mode {self.mode!r}", hint=f"use one of {', '.join(MODES)}")
        self.lock = lock or _read_lock_for(self.config, project_root)
        # `routinec test/record --channel`: routine() and runs without a pick use this channel's version.
        self.channel = channel
        # Tool-using routines: write tools run only when allowed (their dry run otherwise, and
        # never in replay or under CI); tools="live" re-runs read tools in replay to compare.
        if tools not in ("recorded", "live"):
            raise RoutineError(Code.CONFIG, f"unknown tools mode {tools!r}", hint="use 'recorded' or 'live'")
        if allow_writes and env().ci:
            raise RoutineError(Code.CI_REFUSED, "write tools never run under CI=true", hint="drop --allow-writes; their dry runs run instead")
        self.allow_writes = allow_writes
        self.tools_mode = tools
        self._executor: Any = None
        self.golden = self.config.golden_path
        self.stop = stop or threading.Event()
        self._api_key = api_key
        self._guard = threading.Lock()
        self.write_lock = threading.Lock()  # held by every transcript write; see record.run_many
        self.written: list[Path] = []  # transcripts written, appended under write_lock
        self._routines: dict[str, LockedRoutine] = {}
        self._provider: SdkProvider | None = None
        self.backend: Provider = self._backend()
        self.ledger_failures: list[tuple[str, str]] = []  # (run id, why) records lost
        self.ledger_spooled: list[tuple[str, str]] = []  # (run id, why) records left in the spool
        wanted = self.mode != "replay" if ledger is None else ledger
        self.audit: Audit | None = None
        if wanted:
            # Imported here: replay without the ledger never loads it (or SQLAlchemy).
            from routinec.runtime.audit import Audit

            self.audit = Audit(self, asked=bool(ledger), api_key=api_key)  # a corrupt or newer ledger refuses before any call

    def _backend(self) -> Provider:
        if self.mode == "replay":
            return ReplayProvider(self.golden)
        api = _LazySdk(self)
        if self.mode == "live":
            return api
        return Recorder(
            api,
            self.golden,
            redactor=self.redactor,
            write_lock=self.write_lock,
            stop=self.stop,
            written=self.written,
        )

    @property
    def routine_names(self) -> list[str]:
        return sorted(self.lock.routines)

    def routine(self, name: str) -> LockedRoutine:
        """The routine as runs use it: the current entry, or with `channel` set (and channels
        in the lock) that channel's version."""
        if self.channel is not None and (name in self.lock.rollout or self.channel != "stable"):
            return self.routine_at(name, self.resolve(name, channel=self.channel).version)
        return self._current(name)

    def _current(self, name: str) -> LockedRoutine:
        with self._guard:
            found = self._routines.get(name)
        if found is None:
            found = load_routine(self.lock.routines, name, self.config.root, self.config.lock_path)
            if name in self.lock.rollout:
                # A routine with channels keeps transcripts and goldens per version
                # (golden/NAME/vN/, read first; the shared folder is the fallback).
                found.version_dir = f"v{found.entry.version}"
            with self._guard:
                found = self._routines.setdefault(name, found)
        return found

    def routine_at(self, name: str, version: int) -> LockedRoutine:
        """The routine at `version`: a rollout's frozen entry, else the current entry if it has
        that version (frozen entries first: channels point at them)."""
        rollout = self.lock.rollout.get(name)
        entry = rollout.frozen.get(version) if rollout is not None else None
        if entry is None:
            current = self._current(name)
            if current.entry.version == version:
                return current
            raise self._unknown_version(name, version)
        key = f"{name}\0v{version}"
        with self._guard:
            found = self._routines.get(key)
        if found is None:
            found = LockedRoutine(name, entry, self.config.root, self.config.lock_path, frozen=True)
            found.version_dir = f"v{version}"
            with self._guard:
                found = self._routines.setdefault(key, found)
        return found

    def _unknown_version(self, name: str, version: int) -> RoutineError:
        rollout = self.lock.rollout.get(name)
        have = sorted({*(rollout.frozen if rollout else ()), *((self.lock.routines[name].version,) if name in self.lock.routines else ())})
        return RoutineError(Code.UNKNOWN_VERSION, f"the lock holds no v{version} of {name!r}",
                            hint=f"versions in {self.config.lockfile}: {', '.join(f'v{v}' for v in have) or 'none'}",
                            routine=name, path=self.config.lock_path)

    def resolve(
        self, name: str, inputs: Any = None, *, key: str | None = None, channel: str | None = None,
        version: int | None = None, request_id: str | None = None,
    ) -> Route:
        """The version a run of `name` uses. `version` or `channel` pins it (PIN); with a
        canary, the key (the canary's `input.FIELD`, else `key`, else a request id) picks a
        side (SPLIT); with none, stable (DEFAULT)."""
        rollout = self.lock.rollout.get(name)
        if rollout is None:
            entry: LockEntry | None = self.lock.routines.get(name)
            if entry is None:
                self._current(name)  # raises unknown-routine with its suggestions
                raise AssertionError("unreachable")
            if version is not None or channel is not None:
                if channel == "canary":
                    raise RoutineError(Code.NO_CANARY, f"{name!r} has no canary", routine=name,
                                       hint=f"start one with 'routinec rollout canary {name} --weight N'")
                if channel is not None and channel != "stable":
                    raise _bad_channel(name, channel)
                if version is not None and version != entry.version:
                    raise self._unknown_version(name, version)
                return Route(entry.version, "stable", PIN)
            return Route(entry.version, "stable", DEFAULT)
        channels = rollout.channels
        canary = channels.canary
        if version is not None:
            if channel is not None:
                raise RoutineError(Code.ROLLOUT_INVALID, "pass a channel or a version, not both", routine=name)
            on = "stable" if version == channels.stable else "canary" if canary is not None and canary.version == version else None
            return Route(version, on, PIN)
        if channel is not None:
            if channel == "stable":
                return Route(channels.stable, "stable", PIN)
            if channel != "canary":
                raise _bad_channel(name, channel)
            if canary is None:
                raise RoutineError(Code.NO_CANARY, f"{name!r} has no canary", routine=name,
                                   hint=f"stable is v{channels.stable}; start a canary with 'routinec rollout canary {name} --weight N'")
            return Route(canary.version, "canary", PIN)
        if canary is None:
            return Route(channels.stable, "stable", DEFAULT)
        by, value = "key", key
        field_name = canary.key_field
        if field_name is not None and isinstance(inputs, dict) and inputs.get(field_name) is not None:
            by, value = canary.key or "", inputs[field_name]
        if value is None:
            by, value = "request-id", request_id or uuid.uuid4().hex
        if in_canary(canary.salt, value if isinstance(value, str) else str(value), canary.weight):
            return Route(canary.version, "canary", SPLIT, by)
        return Route(channels.stable, "stable", SPLIT, by)

    def provider(self) -> SdkProvider:
        with self._guard:
            if self._provider is None:
                from routinec.runtime.provider import SdkProvider

                self._provider = SdkProvider(self._api_key, stop=self.stop)
            return self._provider

    def tool_executor(self) -> Any:
        """The `runtime.tools.ToolExecutor` of this Runtime (tool modules imported once)."""
        with self._guard:
            if self._executor is None:
                from routinec.runtime.tools import ToolExecutor

                self._executor = ToolExecutor(self.config.root, allow_writes=self.allow_writes and self.mode != "replay")
            return self._executor

    def redactor(self) -> Redactor:
        secrets = [self.provider().api_key] if self.mode != "replay" else []
        return Redactor(self.config.redact, secrets)

    def session(self) -> Session:
        return Session(self)

    def run(
        self, name: str, inputs: Any, *, case: str | None = None, key: str | None = None,
        channel: str | None = None, version: int | None = None,
    ) -> Result:
        """One call with no prior conversation (a fresh Session). `key` buckets the run into a
        canary (sticky); `channel` ("stable"/"canary") or `version` pins it."""
        return Session(self).run(name, inputs, case=case, key=key, channel=channel, version=version)

    def run_case(self, name: str, case: str) -> Result:
        """Run one of the routine's locked test cases with its locked input."""
        routine = self.routine(name)
        return Session(self).run(name, routine.case_input(case), case=case)


def _bad_channel(name: str, channel: str) -> RoutineError:
    return RoutineError(Code.ROLLOUT_INVALID, f"unknown channel {channel!r}", routine=name,
                        hint=f"use one of {', '.join(CHANNELS)}")


class _LazySdk:
    """The API provider, built on the first call (importing `anthropic` costs ~0.8 s)."""

    def __init__(self, runtime: Runtime) -> None:
        self._runtime = runtime

    def exchange(self, call: Call) -> Exchange:
        return self._runtime.provider().exchange(call)

    def keep(self, call: Call, exchange: Exchange) -> Path | None:
        return None


class Session:
    """A conversation: `state session` routines see the earlier turns of this Session."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self._history: dict[str, list[dict[str, Any]]] = {}

    def history(self, name: str) -> list[dict[str, Any]]:
        return list(self._history.get(name, []))

    def run(
        self, name: str, inputs: Any, *, case: str | None = None, key: str | None = None,
        channel: str | None = None, version: int | None = None,
    ) -> Result:
        pick = (key, channel, version)
        audit = self.runtime.audit
        trace = audit.start(name, case) if audit is not None else None
        # An OpenTelemetry span per model call; None (no import) unless a tracer provider is set.
        span = self._span(name, case, trace) if self.runtime.mode != "replay" else None
        try:
            result = self._run(name, inputs, case, trace, span, pick)
        except BaseException as exc:
            if span is not None:
                span.finish(exc, code=str(exc.kind) if isinstance(exc, RoutineError) else None)
            if audit is not None and trace is not None:
                trace.error = exc
                audit.finish(trace)  # a failed run is recorded too; the error still reaches the caller
            raise
        if span is not None:
            span.finish()
        if audit is not None and trace is not None:
            audit.finish(trace)
        return result

    def _span(self, name: str, case: str | None, trace: Trace | None) -> telemetry.RunSpan | None:
        if not telemetry.enabled():
            return None
        try:
            routine = self.runtime.routine(name)
        except RoutineError:
            return None  # `_run` raises it again
        entry = routine.entry
        return telemetry.run_span(
            routine=routine.name, version=entry.version, entry_hash=routine.entry_hash, model=routine.snapshot,
            params=entry.params.values, run_id=trace.run_id if trace is not None else None, mode=self.runtime.mode,
            case=case,
        )

    def _run(
        self, name: str, inputs: Any, case: str | None, trace: Trace | None, span: telemetry.RunSpan | None,
        pick: tuple[str | None, str | None, int | None] = (None, None, None),
    ) -> Result:
        rt = self.runtime
        key, channel, version = pick
        current = False
        if channel is None and version is None and key is None and (rt.channel is not None or case is not None):
            if rt.channel is not None:
                channel = rt.channel  # `routinec test/record --channel`
            else:  # a locked test case tests the current entry, never a random side of a split
                current = True
                version = rt._current(name).entry.version
        route = rt.resolve(name, inputs, key=key, channel=channel, version=version,
                           request_id=trace.run_id if trace is not None else None)
        if current:
            routine = rt._current(name)
        elif name in rt.lock.rollout or version is not None:
            routine = rt.routine_at(name, route.version)
        else:
            routine = rt._current(name)
        if trace is not None:
            trace.routine = routine
            trace.route = route
        if routine.entry.tools is not None:
            from routinec.runtime.toolloop import run_with_tools

            done = run_with_tools(rt, routine, inputs, case, trace, span)
            return Result(
                routine=name, case=case, output=done.output, mode=rt.mode, entry_hash=routine.entry_hash,
                model=routine.snapshot, served_model=done.response.get("model"), request_hash=done.request_hash,
                transcript=done.transcript, request_id=done.request_id, usage=done.usage,
                run_id=trace.run_id if trace is not None else None, version=routine.entry.version,
                channel=route.channel, reason=route.reason, split_by=route.split_by,
                turns=done.turns, tool_calls=done.tool_calls,
            )
        plain = routine.validate_input(inputs, case)
        system, prompt = routine.render(plain, case)
        history = self._history.get(name, []) if routine.session_state else []
        body = build_request(routine, system, prompt, history)
        key = request_hash(body)
        call = Call(routine, body, key, case)
        if trace is not None:
            trace.inputs, trace.key = plain, key
        exchange = rt.backend.exchange(call)
        if trace is not None:
            trace.exchange = exchange
        if span is not None:
            span.response(exchange.response)
        response = exchange.response
        output = extract_output(routine, response, case, str(exchange.source) if exchange.source else None)
        if trace is not None:
            trace.output = output
        written = rt.backend.keep(call, exchange)
        if routine.session_state:
            self._history[name] = [*body["messages"], {"role": "assistant", "content": to_wire(response["content"])}]
        return Result(
            routine=name,
            case=case,
            output=output,
            mode=rt.mode,
            entry_hash=routine.entry_hash,
            model=routine.snapshot,
            served_model=response.get("model") if isinstance(response, dict) else None,
            request_hash=key,
            transcript=written,
            request_id=exchange.request_id,
            usage=dict(response.get("usage") or {}) if isinstance(response, dict) else {},
            run_id=trace.run_id if trace is not None else None,
            version=routine.entry.version,
            channel=route.channel,
            reason=route.reason,
            split_by=route.split_by,
        )
