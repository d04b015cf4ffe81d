"""Runtime layer: transcript files, redaction and the guarded writer.

In: a request body, raw response bodies, provenance; or a transcript path. Out: redacted
canonical JSON on disk (`<golden>/<routine>/<case>.transcript.json`, atomic), or a checked
transcript dict. Nothing reaches disk while it still holds an API key or a bearer token.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from routinec.canonical import atomic_write, digest, dumps_pretty, loads
from routinec.codes import Code
from routinec.runtime.errors import RoutineError

__all__ = [
    "HEADER_ALLOWLIST",
    "TRANSCRIPT_FORMAT",
    "Redactor",
    "make_transcript",
    "read_transcript",
    "transcript_path",
    "write_json_guarded",
]

TRANSCRIPT_FORMAT = 1
REDACTED = "[REDACTED]"
# Response headers worth keeping; everything else (cookies, org ids, rate-limit details) is dropped.
HEADER_ALLOWLIST = ("anthropic-version", "content-type", "request-id")
_FORBIDDEN = re.compile(r"sk-ant-|(?i:\bbearer\s+[A-Za-z0-9._~+/-]{16,}=*)")
_REQUIRED = ("format_version", "origin", "routine", "case", "request_hash", "request", "responses")


def transcript_path(golden: Path, routine: str, case: str) -> Path:
    return golden / routine / f"{case}.transcript.json"


class Redactor:
    """Scrubs the API key value and configured patterns out of every string in a JSON value."""

    def __init__(self, patterns: Iterable[str] = (), secrets: Iterable[str] = ()) -> None:
        parts = [re.escape(s) for s in sorted(set(secrets), key=len, reverse=True) if len(s) >= 8]
        parts.extend(f"(?:{p})" for p in patterns)
        self._regex = re.compile("|".join(parts)) if parts else None
        self.count = 0

    def scrub(self, value: Any) -> Any:
        if self._regex is None:
            return value
        if isinstance(value, str):
            new, n = self._regex.subn(REDACTED, value)
            self.count += n
            return new
        if isinstance(value, dict):
            return {self.scrub(k): self.scrub(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.scrub(v) for v in value]
        return value


def _find_forbidden(value: Any, where: str = "") -> str | None:
    if isinstance(value, str):
        return (where or "(root)") if _FORBIDDEN.search(value) else None
    if isinstance(value, dict):
        for key in sorted(value):
            if _FORBIDDEN.search(key):
                return f"{where}.{key}"
            found = _find_forbidden(value[key], f"{where}.{key}" if where else key)
            if found:
                return found
    if isinstance(value, list):
        for i, item in enumerate(value):
            found = _find_forbidden(item, f"{where}[{i}]")
            if found:
                return found
    return None


def write_json_guarded(path: Path, value: Any, *, routine: str, case: str) -> bool:
    """Write canonical pretty JSON atomically, refusing anything that still looks like a secret."""
    found = _find_forbidden(value)
    if found is not None:
        raise RoutineError(
            Code.SECRET,
            f"refusing to write {path.name}: {found} still holds an API key or bearer token",
            hint="add a pattern for it to [tool.routinec] redact in pyproject.toml",
            routine=routine,
            case=case,
            path=path,
        )
    return atomic_write(path, dumps_pretty(value).encode("utf-8"))


def make_transcript(
    *,
    routine: str,
    case: str,
    entry_hash: str,
    request: dict[str, Any],
    responses: list[Any],
    origin: str,
    provenance: dict[str, Any],
    headers: dict[str, str] | None = None,
    redactor: Redactor | None = None,
) -> dict[str, Any]:
    """A transcript dict, redacted. `request_hash` is over the request as sent (pre-redaction)."""
    redactor = redactor or Redactor()
    before = redactor.count
    kept = {k.lower(): v for k, v in (headers or {}).items() if k.lower() in HEADER_ALLOWLIST}
    body = {
        "request": redactor.scrub(request),
        "responses": redactor.scrub(responses),
        "response_headers": redactor.scrub(dict(sorted(kept.items()))),
        "provenance": redactor.scrub(provenance),
    }
    return {
        "format_version": TRANSCRIPT_FORMAT,
        "origin": origin,
        "routine": routine,
        "case": case,
        "entry_hash": entry_hash,
        "request_hash": digest(request),
        "redactions": redactor.count - before,
        **body,
    }


def read_transcript(path: Path, *, routine: str, case: str) -> dict[str, Any]:
    """Load and sanity-check a transcript; every problem is a one-line RoutineError."""

    def corrupt(message: str, kind: Code = Code.TRANSCRIPT_CORRUPT) -> RoutineError:
        return RoutineError(
            kind,
            message,
            hint=f"restore it from git, or run 'routinec record {routine} --case {case}'",
            routine=routine,
            case=case,
            path=path,
        )

    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise RoutineError(
            Code.TRANSCRIPT_MISSING,
            "no transcript recorded for this case",
            hint=f"run 'routinec record {routine} --case {case}'",
            routine=routine,
            case=case,
            path=path,
        ) from None
    except OSError as exc:
        raise corrupt(f"cannot read the transcript: {exc.strerror}") from None
    try:
        data = loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise corrupt(f"the transcript is not valid JSON ({type(exc).__name__}: {str(exc)[:80]})") from None
    if not isinstance(data, dict):
        raise corrupt("the transcript is not a JSON object")
    missing = [k for k in _REQUIRED if k not in data]
    if missing:
        raise corrupt(f"the transcript is incomplete (missing {', '.join(missing)})")
    if data["format_version"] != TRANSCRIPT_FORMAT:
        raise corrupt(f"unknown transcript format_version {data['format_version']!r}")
    if not isinstance(data["responses"], list) or not data["responses"]:
        raise corrupt("the transcript holds no response")
    if not isinstance(data["request"], dict):
        raise corrupt("the transcript's request is not an object")
    if (data["routine"], data["case"]) != (routine, case):
        raise corrupt(
            f"the transcript belongs to {data['routine']}/{data['case']} "
            f"(lock entry {str(data.get('entry_hash'))[:19]}…), not to this case",
            kind=Code.TRANSCRIPT_MISMATCH,
        )
    if not data.get("redactions") and digest(data["request"]) != data["request_hash"]:
        raise corrupt("the transcript's request does not match its request_hash (edited by hand?)")
    return data
