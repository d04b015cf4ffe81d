"""Runtime layer: transcript files, redaction and the guarded writer.

In: a request body, raw response bodies, provenance; or a transcript path. Out: redacted
canonical JSON on disk (`<golden>/<routine>/<case>.transcript.json`, atomic), or a checked
transcript dict. Secrets are redacted (`routinec.redact`) before anything reaches disk; what is left is refused.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from routinec.canonical import atomic_write, digest, dumps_pretty
from routinec.codes import Code
from routinec.redact import Redactor, find_secret
from routinec.runtime.errors import RoutineError
from routinec.runtime.jsonfile import BadJson, read_json_bytes

__all__ = [
    "HEADER_ALLOWLIST",
    "TRANSCRIPT_FORMAT",
    "Redactor",
    "make_transcript",
    "read_transcript",
    "shape_problem",
    "transcript_path",
    "write_json_guarded",
]

TRANSCRIPT_FORMAT = 1
# Response headers worth keeping; everything else (cookies, org ids, rate-limit details) is dropped.
HEADER_ALLOWLIST = ("anthropic-version", "content-type", "request-id")
_REQUIRED = ("format_version", "origin", "routine", "case", "request_hash", "request", "responses")


def transcript_path(golden: Path, routine: str, case: str, version_dir: str | None = None) -> Path:
    """`golden/ROUTINE/CASE.transcript.json`; a rollout channel's version that differs from the
    current entry keeps its own under `golden/ROUTINE/vN/` (`LockedRoutine.version_dir`)."""
    base = golden / routine
    return (base / version_dir if version_dir else base) / f"{case}.transcript.json"


def write_json_guarded(
    path: Path, value: Any, *, routine: str, case: str, redactor: Redactor | None = None
) -> bool:
    """Write canonical pretty JSON atomically: every string redacted first, then the serialized
    text checked once more (decoded escapes included); anything left is refused, not written."""
    redactor = redactor or Redactor()
    value = redactor.value(value)
    text = dumps_pretty(value)
    found = find_secret(value, redactor)
    kind = found[1] if found else redactor.find(text)
    if kind is not None:
        where = found[0] if found else "its text"
        raise RoutineError(
            Code.SECRET,
            f"refusing to write {path.name}: {where} still holds a secret ({kind})",
            hint="add a pattern for it to [tool.routinec] redact in pyproject.toml",
            routine=routine,
            case=case,
            path=path,
        )
    return atomic_write(path, text.encode("utf-8"))


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
        "request": redactor.value(request),
        "responses": redactor.value(responses),
        "response_headers": redactor.value(dict(sorted(kept.items()))),
        "provenance": redactor.value(provenance),
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


_HASH = re.compile(r"sha256:[0-9a-f]{64}")
_NAMES = {dict: "an object", list: "a list", str: "a string", bool: "a boolean", int: "an integer"}


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    return _NAMES.get(type(value), "a number")


def _want(value: Any, field: str, kind: type | tuple[type, ...], what: str) -> str | None:
    if isinstance(value, kind) and not isinstance(value, bool):  # `true` is an int to Python
        return None
    return f"{field} is {_kind(value)}, expected {what}"


def _response_problem(response: Any, at: str) -> str | None:
    if not isinstance(response, dict):
        return f"{at} is {_kind(response)}, expected an object (a Messages API message)"
    checks: list[str | None] = [
        _want(response.get("content"), f"{at}.content", list, "a list of content blocks"),
        None if response.get("role", "assistant") == "assistant" else f"{at}.role is {response.get('role')!r}, expected 'assistant'",
        None if response.get("type", "message") == "message" else f"{at}.type is {response.get('type')!r}, expected 'message'",
    ]
    for key in ("model", "id", "stop_reason", "stop_sequence"):
        if response.get(key) is not None:
            checks.append(_want(response[key], f"{at}.{key}", str, "a string or null"))
    if "usage" in response and response["usage"] is not None:
        checks.append(_want(response["usage"], f"{at}.usage", dict, "an object"))
    for i, block in enumerate(response.get("content") or []):
        if not isinstance(block, dict):
            checks.append(f"{at}.content[{i}] is {_kind(block)}, expected an object")
        elif not isinstance(block.get("type"), str):
            checks.append(f"{at}.content[{i}].type is {_kind(block.get('type'))}, expected a string")
        elif block["type"] == "text" and not isinstance(block.get("text"), str):
            checks.append(f"{at}.content[{i}].text is {_kind(block.get('text'))}, expected a string")
    return next((c for c in checks if c is not None), None)


def shape_problem(data: dict[str, Any]) -> str | None:
    """The first field of a transcript whose type or form is wrong (named), or None."""
    checks: list[str | None] = [
        None if data["origin"] in ("recorded", "fixture") else f"origin is {data['origin']!r}, expected 'recorded' or 'fixture'",
        _want(data["routine"], "routine", str, "a string"),
        _want(data["case"], "case", str, "a string"),
        _want(data["request"], "request", dict, "an object"),
        _want(data["responses"], "responses", list, "a list"),
    ]
    hash_ = data["request_hash"]
    if not isinstance(hash_, str) or not _HASH.fullmatch(hash_):
        checks.append(f"request_hash is {_kind(hash_) if not isinstance(hash_, str) else repr(hash_[:30])}, expected 'sha256:' and 64 hex digits")
    if "entry_hash" in data and data["entry_hash"] is not None:
        checks.append(_want(data["entry_hash"], "entry_hash", str, "a string"))
    if "redactions" in data:
        checks.append(_want(data["redactions"], "redactions", int, "a count"))
        if isinstance(data["redactions"], int) and data["redactions"] < 0:
            checks.append("redactions is negative")
    for key in ("provenance", "response_headers"):
        if key in data and data[key] is not None:
            checks.append(_want(data[key], key, dict, "an object"))
    if isinstance(data.get("response_headers"), dict):
        checks.extend(
            _want(v, f"response_headers.{k}", str, "a string") for k, v in sorted(data["response_headers"].items())
        )
    if isinstance(data["responses"], list):
        if not data["responses"]:
            checks.append("responses is empty: the transcript holds no response")
        checks.extend(_response_problem(r, f"responses[{i}]") for i, r in enumerate(data["responses"]))
    return next((c for c in checks if c is not None), None)


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
        data = read_json_bytes(raw)
    except BadJson as exc:
        raise corrupt(f"the transcript cannot be read: {exc}") from None
    if not isinstance(data, dict):
        raise corrupt(f"the transcript is {_kind(data)}, not a JSON object")
    missing = [k for k in _REQUIRED if k not in data]
    if missing:
        raise corrupt(f"the transcript is incomplete (missing {', '.join(missing)})")
    if data["format_version"] != TRANSCRIPT_FORMAT or type(data["format_version"]) is not int:
        raise corrupt(f"unknown transcript format_version {data['format_version']!r}")
    problem = shape_problem(data)
    if problem is not None:
        raise corrupt(f"the transcript has the wrong shape: {problem}")
    if (data["routine"], data["case"]) != (routine, case):
        raise corrupt(
            f"the transcript belongs to {data['routine']}/{data['case']} "
            f"(lock entry {str(data.get('entry_hash'))[:19]}…), not to this case",
            kind=Code.TRANSCRIPT_MISMATCH,
        )
    if not data.get("redactions") and digest(data["request"]) != data["request_hash"]:
        raise corrupt("the transcript's request does not match its request_hash (edited by hand?)")
    return data
