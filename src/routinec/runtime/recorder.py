"""Runtime layer: the recorder, a provider that wraps another and keeps each test case's
exchange as a redacted transcript.

In: a `Call` for a test case. Out: the inner provider's `Exchange`; once the output has
validated, `keep` writes `golden/<routine>/<case>.transcript.json` atomically, redacted, under
the runtime's write lock (so Ctrl-C never leaves half a file, and counts what was written).
"""

from __future__ import annotations

import datetime as _dt
import threading
from collections.abc import Callable
from pathlib import Path

from routinec import __version__
from routinec.codes import Code
from routinec.redact import Redactor
from routinec.runtime.errors import RoutineError
from routinec.runtime.exchange import Call, Exchange, Provider
from routinec.runtime.transcript import make_transcript, transcript_path, write_json_guarded

__all__ = ["Recorder"]


class Recorder:
    def __init__(
        self,
        inner: Provider,
        golden: Path,
        *,
        redactor: Callable[[], Redactor],
        write_lock: threading.Lock,
        stop: threading.Event,
        written: list[Path],
    ) -> None:
        self.inner = inner
        self.golden = golden
        self._redactor = redactor
        self._write_lock = write_lock
        self._stop = stop
        self._written = written

    def exchange(self, call: Call) -> Exchange:
        if call.case is None:
            raise RoutineError(
                Code.CONFIG,
                "record mode writes one transcript per test case and needs a case name",
                hint="use mode='live' for ad-hoc calls, or run_case(routine, case)",
                routine=call.routine.name,
            )
        exchange = self.inner.exchange(call)
        exchange.source = transcript_path(self.golden, call.routine.name, call.case, call.routine.version_dir)
        return exchange

    def keep(self, call: Call, exchange: Exchange) -> Path | None:
        target, case, name = exchange.source, call.case, call.routine.name
        if target is None or case is None:
            return None
        response = exchange.response
        transcript = make_transcript(
            routine=name,
            case=case,
            entry_hash=call.routine.entry_hash,
            request=call.body,
            responses=[response],
            origin="recorded",
            headers=exchange.headers,
            redactor=self._redactor(),
            provenance={
                "anthropic_version": exchange.anthropic_version,
                "model": response.get("model") if isinstance(response, dict) else None,
                "recorded_at": _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "request_id": exchange.request_id,
                "routinec_version": __version__,
                "sdk_version": exchange.sdk_version,
            },
        )
        with self._write_lock:
            if self._stop.is_set():
                raise KeyboardInterrupt
            write_json_guarded(target, transcript, routine=name, case=case)
            self._written.append(target)
        return target
