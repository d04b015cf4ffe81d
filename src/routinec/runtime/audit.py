"""Runtime layer: turn one `Session.run` into a run record for the ledger.

In: a `Runtime` (its config, mode and lock) and a `Trace` the session fills as the run goes
(inputs, request, exchange, output, error). Out: a `routinec.ledger.RunRecord` appended to
the project's ledger. Built only when the ledger is on (live and record modes, or replay
with `ledger=True`); the store, and with it SQLAlchemy, is imported here and nowhere on the
replay path. A ledger that fails mid-run never costs the caller the model's answer: the
record goes to the spool (`.routinec/spool/`, `Runtime.ledger_spooled`) and is delivered by
the next write that works or by `routinec ledger sync`; only if even the spool cannot be
written is it lost (`Runtime.ledger_failures`).
"""

from __future__ import annotations

import contextlib
import threading
import time
from typing import TYPE_CHECKING, Any, Protocol

from routinec import __version__
from routinec.canonical import canonical_bytes, digest, digest_bytes
from routinec.codes import Code
from routinec.config import Config, env
from routinec.ledger.ids import uuid7
from routinec.ledger.invoker import detect_invoker, git_commit
from routinec.ledger.model import RunRecord, utc_now
from routinec.redact import Redactor
from routinec.runtime.errors import RoutineError

if TYPE_CHECKING:
    from routinec.ledger.api import Ledger
    from routinec.ledger.errors import LedgerError
    from routinec.runtime.entry import LockedRoutine
    from routinec.runtime.exchange import Exchange

__all__ = ["CONTENT_CAP", "Audit", "Trace"]

CONTENT_CAP = 64 * 1024  # characters of redacted JSON kept per input or output


class Host(Protocol):
    """What the audit needs of its `Runtime` (a protocol: the runtime core imports this module)."""

    config: Config
    mode: str
    ledger_failures: list[tuple[str, str]]
    ledger_spooled: list[tuple[str, str]]

    def routine(self, name: str) -> LockedRoutine: ...


class Trace:
    """What one run got to before it ended (filled by `Session.run`)."""

    __slots__ = ("case", "error", "exchange", "inputs", "key", "name", "output", "route", "routine", "run_id",
                 "started", "started_at")

    def __init__(self, name: str, case: str | None, run_id: str | None) -> None:
        self.name, self.case, self.run_id = name, case, run_id
        self.routine: LockedRoutine | None = None
        self.route: Any = None  # core.Route: the version's channel and why it was chosen
        self.inputs: Any = None  # validated inputs (None until they validate)
        self.key: str | None = None
        self.exchange: Exchange | None = None
        self.output: Any = None
        self.error: BaseException | None = None
        self.started = time.perf_counter()
        self.started_at = utc_now()


class Audit:
    """One per Runtime: the ledger, opened when the Runtime is built (a corrupt or newer
    ledger refuses before any model call), and what every record of this process shares."""

    def __init__(self, runtime: Host, *, asked: bool = False, api_key: str | None = None) -> None:
        from routinec.ledger.api import ledger_exists
        from routinec.ledger.errors import LedgerError

        config = runtime.config
        self.runtime = runtime
        self._ledger: Ledger | None = None
        self._open_guard = threading.Lock()
        if asked or ledger_exists(config):
            try:
                self.ledger()  # a corrupt, foreign or newer ledger refuses before any model call
            except LedgerError as exc:
                if exc.code is Code.LEDGER_UNAVAILABLE:
                    pass  # out of reach for now: records go to the spool
                elif asked or exc.code is not Code.MISSING_EXTRA:
                    raise
                # On by default, not asked for: a missing extra must not stop live runs.
                runtime.ledger_failures.append(("", f"{exc.text}; {exc.hint}"))
        self.content = config.ledger_content
        try:
            self.lock_digest: str | None = digest_bytes(config.lock_path.read_bytes())
        except OSError:
            self.lock_digest = None
        self.git_commit = git_commit(config.root)
        self.invoker = detect_invoker(dict(env().invoker_vars))
        self._redactor: Redactor | None = None
        self._api_key = api_key

    def ledger(self) -> Ledger:
        """Opened (and created, the first time) when the first record is written, so a run
        refused before any call (a missing API key) leaves no empty ledger behind."""
        with self._open_guard:
            if self._ledger is None:
                from routinec.ledger.api import Ledger

                self._ledger = Ledger.open(config=self.runtime.config)
            return self._ledger

    def start(self, name: str, case: str | None) -> Trace:
        return Trace(name, case, uuid7())

    def redactor(self) -> Redactor:
        if self._redactor is None:
            key = self._api_key or env().api_key
            self._redactor = Redactor(self.runtime.config.redact, [key] if key else [])
        return self._redactor

    def _content(self, value: Any) -> tuple[str | None, bool]:
        if self.content != "redacted" or value is None:
            return None, False
        text = canonical_bytes(self.redactor().value(value)).decode("utf-8")
        if len(text) > CONTENT_CAP:
            return text[:CONTENT_CAP], True
        return text, False

    def finish(self, trace: Trace) -> None:
        """Append the run's record. Never raises: a ledger failure must not cost the answer.
        A run that never found its routine (an unknown name) has nothing to record."""
        if trace.routine is None:
            return
        try:
            record = self.build(trace)
        except Exception as exc:  # a bug here must not eat the model's answer either
            self.runtime.ledger_failures.append((trace.run_id or "", f"{type(exc).__name__}: {exc}"))
            return
        from routinec.ledger.errors import LedgerError

        try:
            ledger = self.ledger()
            ledger.append(record)
        except LedgerError as exc:
            self._spool(record, exc)
            return
        self._deliver_spool(ledger)

    def _spool(self, record: RunRecord, exc: LedgerError) -> None:
        from routinec.ledger.api import spool_path
        from routinec.ledger.spool import Spool

        if exc.code is Code.LEDGER_UNAVAILABLE:
            try:
                Spool(spool_path(self.runtime.config)).put(record)
            except OSError:
                pass
            else:
                self.runtime.ledger_spooled.append((record.run_id, exc.text))
                return
        self.runtime.ledger_failures.append((record.run_id, exc.text))

    def _deliver_spool(self, ledger: Ledger) -> None:
        """Also attempted on every write that works: the spool drains without a person."""
        from routinec.ledger.api import spool_path
        from routinec.ledger.errors import LedgerError
        from routinec.ledger.spool import Spool

        spool = Spool(spool_path(self.runtime.config))
        if spool.pending():
            # Still out of reach: the next write tries again.
            with self._open_guard, contextlib.suppress(LedgerError):
                spool.deliver(ledger.store)

    def build(self, trace: Trace) -> RunRecord:
        rt = self.runtime
        routine = trace.routine
        assert routine is not None
        entry = routine.entry
        response = trace.exchange.response if trace.exchange is not None else None
        body: dict[str, Any] = response if isinstance(response, dict) else {}
        usage = body.get("usage") if isinstance(body.get("usage"), dict) else {}
        assert isinstance(usage, dict)
        stop = body.get("stop_reason")
        status, code, error_class, message = "ok", None, None, None
        error = trace.error
        if error is not None:
            error_class = type(error).__name__
            if isinstance(error, RoutineError):
                code = str(error.kind)
                message = error.one_line()
                if error.kind is Code.INVALID_OUTPUT:
                    status = {"refusal": "refused", "max_tokens": "max-tokens"}.get(str(stop), "invalid-output")
                else:
                    status = "error"
            elif isinstance(error, KeyboardInterrupt):
                status, message = "interrupted", "interrupted"
            else:
                status, message = "error", f"{error_class}: {error}"
            message = self.redactor().text(message.splitlines()[0] if message else "")[:1000]
        valid = trace.output is not None  # extracted and validated against the schema
        input_json, cut_in = self._content(trace.inputs)
        output_json, cut_out = self._content(trace.output if valid else None)
        exchange = trace.exchange
        assert trace.run_id is not None
        return RunRecord(
            run_id=trace.run_id,
            started_at=trace.started_at,
            ended_at=utc_now(),
            latency_ms=round((time.perf_counter() - trace.started) * 1000, 3),
            routine=routine.name,
            version=entry.version,
            case=trace.case,
            mode=rt.mode,
            entry_hash=routine.entry_hash,
            lock_digest=self.lock_digest,
            git_commit=self.git_commit,
            model_alias=entry.model.alias,
            model_snapshot=entry.model.snapshot,
            served_model=self._said(body.get("model")),
            params_digest=digest(entry.params.to_json()),
            request_hash=trace.key,
            input_digest=digest(trace.inputs) if trace.inputs is not None else None,
            output_digest=digest(trace.output) if valid and trace.output is not None else None,
            output_schema_hash=entry.output_schema_hash,
            output_valid=valid,
            status=status,
            error_code=code,
            error_class=error_class,
            error_message=message,
            stop_reason=self._said(stop),
            response_id=self._said(body.get("id")),
            request_id=self._said(exchange.request_id if exchange is not None else None),
            input_tokens=_int(usage.get("input_tokens")),
            output_tokens=_int(usage.get("output_tokens")),
            cache_read_tokens=_int(usage.get("cache_read_input_tokens")),
            cache_write_tokens=_int(usage.get("cache_creation_input_tokens")),
            invoker=self.invoker.provider,
            invoker_user=self.invoker.user,
            invoker_job=self.invoker.job,
            invoker_run=self.invoker.run,
            invoker_repository=self.invoker.repository,
            content=self.content,
            input_json=input_json,
            output_json=output_json,
            content_truncated=cut_in or cut_out,
            routinec_version=__version__,
            channel=getattr(trace.route, "channel", None),
            route_reason=getattr(trace.route, "reason", None),
        )

    def _said(self, value: Any) -> str | None:
        """A string the server sent (ids, model names): redacted like everything it sends."""
        return self.redactor().text(value)[:200] if isinstance(value, str) else None

    def close(self) -> None:
        if self._ledger is not None:
            self._ledger.close()


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None
