"""Runtime layer: `Runtime` and `Session`, the entry points application code calls.

In: a project root (its lockfile), a routine name and inputs. Out: a `Result` holding the
validated output and its provenance. The mode picks the provider once, when the Runtime is
built: replay reads transcripts only (`replay.ReplayProvider`: no `anthropic`, no socket);
live calls the model (`provider.SdkProvider`, created on first use); record wraps that in a
`recorder.Recorder` that writes transcripts.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from routinec import telemetry
from routinec.codes import Code
from routinec.config import Config, env, load_config
from routinec.lockfile import Lock, read_lock
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

__all__ = ["MODES", "Result", "Runtime", "Session", "default_mode"]

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
    ) -> None:
        """`ledger`: append a run record per run. None (the default) means on in live and
        record mode and off in replay; True turns it on in replay too, False off everywhere."""
        self.config = config or load_config(Path(project_root) if project_root is not None else None)
        self.mode = mode or default_mode()
        if self.mode not in MODES:
            raise RoutineError(Code.CONFIG, f"unknown mode {self.mode!r}", hint=f"use one of {', '.join(MODES)}")
        self.lock = lock or read_lock(self.config.lock_path)
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
        with self._guard:
            found = self._routines.get(name)
        if found is None:
            found = load_routine(self.lock.routines, name, self.config.root, self.config.lock_path)
            with self._guard:
                found = self._routines.setdefault(name, found)
        return found

    def provider(self) -> SdkProvider:
        with self._guard:
            if self._provider is None:
                from routinec.runtime.provider import SdkProvider

                self._provider = SdkProvider(self._api_key, stop=self.stop)
            return self._provider

    def redactor(self) -> Redactor:
        secrets = [self.provider().api_key] if self.mode != "replay" else []
        return Redactor(self.config.redact, secrets)

    def session(self) -> Session:
        return Session(self)

    def run(self, name: str, inputs: Any, *, case: str | None = None) -> Result:
        """One call with no prior conversation (a fresh Session)."""
        return Session(self).run(name, inputs, case=case)

    def run_case(self, name: str, case: str) -> Result:
        """Run one of the routine's locked test cases with its locked input."""
        routine = self.routine(name)
        return Session(self).run(name, routine.case_input(case), case=case)


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

    def run(self, name: str, inputs: Any, *, case: str | None = None) -> Result:
        audit = self.runtime.audit
        trace = audit.start(name, case) if audit is not None else None
        # An OpenTelemetry span per model call; None (no import) unless a tracer provider is set.
        span = self._span(name, case, trace) if self.runtime.mode != "replay" else None
        try:
            result = self._run(name, inputs, case, trace, span)
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
        self, name: str, inputs: Any, case: str | None, trace: Trace | None, span: telemetry.RunSpan | None
    ) -> Result:
        rt = self.runtime
        routine = rt.routine(name)
        if trace is not None:
            trace.routine = routine
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
        )
