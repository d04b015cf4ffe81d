"""Runtime layer: `Runtime` and `Session`, the entry points application code calls.

In: a project root (its lockfile), a routine name and inputs. Out: a `Result` holding the
validated output and its provenance. Replay reads transcripts only (no `anthropic`, no
socket); record and live call the model through `provider.SdkProvider`.
"""

from __future__ import annotations

import datetime as _dt
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from routinec import __version__
from routinec.codes import Code
from routinec.config import Config, env, load_config
from routinec.lockfile import Lock, read_lock
from routinec.runtime.entry import LockedRoutine, load_routine, to_wire
from routinec.runtime.errors import RoutineError
from routinec.runtime.request import build_request, describe_changes, extract_output, request_hash
from routinec.runtime.transcript import (
    Redactor,
    make_transcript,
    read_transcript,
    transcript_path,
    write_json_guarded,
)

if TYPE_CHECKING:
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
    ) -> None:
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
        self._index: dict[str, dict[str, Path]] = {}

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

    # -- replay lookup ---------------------------------------------------------------------

    def _replay(self, routine: LockedRoutine, body: dict[str, Any], key: str, case: str | None) -> tuple[dict[str, Any], Path]:
        if case is not None:
            path = transcript_path(self.golden, routine.name, case)
            data = read_transcript(path, routine=routine.name, case=case)
            if data["request_hash"] != key:
                changes = describe_changes(data["request"], body)
                raise RoutineError(
                    Code.TRANSCRIPT_MISMATCH,
                    "the recorded request no longer matches: " + "; ".join(changes[:3]),
                    hint=f"run 'routinec record {routine.name} --case {case}'",
                    routine=routine.name,
                    case=case,
                    path=path,
                )
            return data, path
        index = self._transcripts_for(routine.name)
        if key in index:
            path = index[key]
            name = path.name.removesuffix(".transcript.json")
            return read_transcript(path, routine=routine.name, case=name), path
        message, hint = "no recorded request matches this call", "record it as a test case with 'routinec record'"
        if index:
            closest = min(index.values(), key=lambda p: self._distance(p, body))
            changes = self._diff_against(closest, body)
            message += f"; closest is {closest.name}: " + "; ".join(changes[:3])
            hint = f"run 'routinec record {routine.name} --case {closest.name.removesuffix('.transcript.json')}'"
        raise RoutineError(Code.TRANSCRIPT_MISSING, message, hint=hint, routine=routine.name)

    def _recorded_request(self, path: Path) -> dict[str, Any] | None:
        from routinec.canonical import loads

        try:
            request = loads(path.read_bytes())["request"]
        except (OSError, ValueError, KeyError, TypeError):
            return None
        return request if isinstance(request, dict) else None

    def _diff_against(self, path: Path, body: dict[str, Any]) -> list[str]:
        request = self._recorded_request(path)
        return ["unreadable transcript"] if request is None else describe_changes(request, body)

    def _distance(self, path: Path, body: dict[str, Any]) -> tuple[int, float, str]:
        """Fewest changed aspects first, then the most similar request text."""
        from difflib import SequenceMatcher

        from routinec.canonical import canonical_bytes

        request = self._recorded_request(path)
        if request is None:
            return (99, 0.0, path.name)
        ratio = SequenceMatcher(None, canonical_bytes(request), canonical_bytes(body)).ratio()
        return (len(describe_changes(request, body)), -ratio, path.name)

    def _transcripts_for(self, routine: str) -> dict[str, Path]:
        with self._guard:
            if routine in self._index:
                return self._index[routine]
        from routinec.canonical import loads

        index: dict[str, Path] = {}
        folder = self.golden / routine
        for path in sorted(folder.glob("*.transcript.json")) if folder.is_dir() else []:
            try:
                key = loads(path.read_bytes()).get("request_hash")
            except (OSError, ValueError, AttributeError):
                continue
            if isinstance(key, str):
                index.setdefault(key, path)
        with self._guard:
            self._index[routine] = index
        return index


class Session:
    """A conversation: `state session` routines see the earlier turns of this Session."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self._history: dict[str, list[dict[str, Any]]] = {}

    def history(self, name: str) -> list[dict[str, Any]]:
        return list(self._history.get(name, []))

    def run(self, name: str, inputs: Any, *, case: str | None = None) -> Result:
        rt = self.runtime
        routine = rt.routine(name)
        plain = routine.validate_input(inputs, case)
        system, prompt = routine.render(plain, case)
        history = self._history.get(name, []) if routine.session_state else []
        body = build_request(routine, system, prompt, history)
        key = request_hash(body)
        written: Path | None = None
        request_id: str | None = None
        if rt.mode == "replay":
            data, written = rt._replay(routine, body, key, case)
            response = data["responses"][-1]
            request_id = (data.get("provenance") or {}).get("request_id")
            output = extract_output(routine, response, case, str(written))
        else:
            if rt.mode == "record" and case is None:
                raise RoutineError(
                    Code.CONFIG,
                    "record mode writes one transcript per test case and needs a case name",
                    hint="use mode='live' for ad-hoc calls, or run_case(routine, case)",
                    routine=name,
                )
            exchange = rt.provider().call(body, routine=name, case=case)
            response, request_id = exchange.response, exchange.request_id
            target = transcript_path(rt.golden, name, case) if case else None
            output = extract_output(routine, response, case, str(target) if target else None)
            if rt.mode == "record" and case is not None and target is not None:
                redactor = rt.redactor()
                transcript = make_transcript(
                    routine=name,
                    case=case,
                    entry_hash=routine.entry_hash,
                    request=body,
                    responses=[response],
                    origin="recorded",
                    headers=exchange.headers,
                    redactor=redactor,
                    provenance={
                        "anthropic_version": exchange.anthropic_version,
                        "model": response.get("model"),
                        "recorded_at": _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                        "request_id": exchange.request_id,
                        "routinec_version": __version__,
                        "sdk_version": exchange.sdk_version,
                    },
                )
                with rt.write_lock:
                    if rt.stop.is_set():
                        raise KeyboardInterrupt
                    write_json_guarded(target, transcript, routine=name, case=case, redactor=redactor)
                    rt.written.append(target)
                written = target
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
            request_id=request_id,
            usage=dict(response.get("usage") or {}) if isinstance(response, dict) else {},
        )
