"""Runtime layer: the replay provider, answering calls from recorded transcripts offline.

In: a `Call`. Out: the recorded `Exchange` whose request hash matches; a test case replays its
own transcript. A miss names the closest recorded request, what changed (prompt, parameter,
schema) and the exact `routinec record …` command. Never imports `anthropic`, never opens a
socket.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from routinec.canonical import loads
from routinec.codes import Code
from routinec.runtime.errors import RoutineError
from routinec.runtime.exchange import Call, Exchange
from routinec.runtime.request import describe_changes
from routinec.runtime.transcript import read_transcript, transcript_path

__all__ = ["ReplayProvider"]


class ReplayProvider:
    """Transcripts under `golden/<routine>/`, indexed by request hash on first use."""

    def __init__(self, golden: Path) -> None:
        self.golden = golden
        self._guard = threading.Lock()
        self._index: dict[str, dict[str, Path]] = {}

    def exchange(self, call: Call) -> Exchange:
        data, path = self._find(call)
        provenance = data.get("provenance") or {}
        return Exchange(
            response=data["responses"][-1],
            request_id=provenance.get("request_id") if isinstance(provenance, dict) else None,
            source=path,
        )

    def keep(self, call: Call, exchange: Exchange) -> Path | None:
        return exchange.source  # nothing to write: it came from this file

    def find(self, call: Call) -> tuple[dict[str, Any], Path]:
        """The whole transcript the call's first request is recorded in (the tool loop replays
        its later turns from it), or the same miss errors as `exchange`."""
        return self._find(call)

    def _find(self, call: Call) -> tuple[dict[str, Any], Path]:
        name, case, body = call.routine.name, call.case, call.body
        if case is not None:
            path = transcript_path(self.golden, name, case, call.routine.version_dir)
            if call.routine.version_dir and not path.exists():
                path = transcript_path(self.golden, name, case)  # recorded before the routine had channels
            data = read_transcript(path, routine=name, case=case)
            if data["request_hash"] != call.key:
                changes = describe_changes(data["request"], body)
                raise RoutineError(
                    Code.TRANSCRIPT_MISMATCH,
                    "the recorded request no longer matches: " + "; ".join(changes[:3]),
                    hint=f"run 'routinec record {name} --case {case}'",
                    routine=name,
                    case=case,
                    path=path,
                )
            return data, path
        index = self._transcripts_for(name)
        if call.key in index:
            path = index[call.key]
            return read_transcript(path, routine=name, case=path.name.removesuffix(".transcript.json")), path
        message, hint = "no recorded request matches this call", "record it as a test case with 'routinec record'"
        if index:
            closest = min(index.values(), key=lambda p: self._distance(p, body))
            changes = self._diff_against(closest, body)
            message += f"; closest is {closest.name}: " + "; ".join(changes[:3])
            hint = f"run 'routinec record {name} --case {closest.name.removesuffix('.transcript.json')}'"
        raise RoutineError(Code.TRANSCRIPT_MISSING, message, hint=hint, routine=name)

    def _recorded_request(self, path: Path) -> dict[str, Any] | None:
        try:
            request = loads(path.read_bytes())["request"]
        except (OSError, ValueError, KeyError, TypeError, RecursionError):
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
        index: dict[str, Path] = {}
        folder = self.golden / routine
        for path in sorted(folder.glob("*.transcript.json")) if folder.is_dir() else []:
            try:
                key = loads(path.read_bytes()).get("request_hash")
            except (OSError, ValueError, AttributeError, RecursionError):
                continue
            if isinstance(key, str):
                index.setdefault(key, path)
        with self._guard:
            self._index[routine] = index
        return index
