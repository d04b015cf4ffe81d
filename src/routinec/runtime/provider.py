"""Runtime layer: the record/live provider, the only code that imports `anthropic`.

In: a request body built from the lock. Out: an `Exchange` (raw response body, kept headers,
request id, API version, served model). SDK errors become one-line RoutineErrors; 429/529
and other retryable answers are retried a bounded number of times, honouring `retry-after`.
"""

from __future__ import annotations

import re
import threading
from typing import Any
from urllib.parse import urlparse

from routinec.canonical import loads
from routinec.codes import Code, extra_hint
from routinec.config import env
from routinec.params import SAMPLING_KEYS
from routinec.runtime.errors import RoutineError
from routinec.runtime.exchange import Call, Exchange

__all__ = ["Exchange", "SdkProvider", "check_api_key"]

_SAMPLING = SAMPLING_KEYS  # passed as extra_body; which keys they are comes from routinec.params
_DUMMY = re.compile(r"(?i)dummy|placeholder|changeme|your[-_ ]?(api[-_ ]?)?key|x{6,}|0{8,}|^sk-ant-?$")
MAX_RETRY_AFTER = 60.0


def _is_loopback(base_url: str | None) -> bool:
    if not base_url:
        return False
    host = urlparse(base_url).hostname or ""
    return host in ("localhost", "::1") or host.startswith("127.")


def check_api_key(key: str | None, base_url: str | None) -> str:
    """The key to use; missing or obviously dummy keys are refused (except on a loopback test server)."""
    if not key or not key.strip():
        raise RoutineError(
            Code.API_KEY,
            "no API key: record and live mode call the Anthropic API",
            hint="export ANTHROPIC_API_KEY=... (replay mode needs no key: routinec test)",
        )
    if _DUMMY.search(key) and not _is_loopback(base_url):
        raise RoutineError(
            Code.API_KEY,
            "ANTHROPIC_API_KEY looks like a placeholder, not a real key",
            hint="set a real key from the Anthropic console, or run 'routinec test' to replay offline",
        )
    return key.strip()


class SdkProvider:
    """Calls the Messages API through the official SDK; one client shared by all threads."""

    def __init__(
        self,
        api_key: str | None = None,
        base_url: str | None = None,
        *,
        max_retries: int = 4,
        timeout: float = 600.0,
        stop: threading.Event | None = None,
    ) -> None:
        settings = env()
        self.base_url = base_url or settings.base_url
        # The key first: a missing or placeholder key is refused without paying for the SDK.
        self.api_key = check_api_key(api_key if api_key is not None else settings.api_key, self.base_url)
        try:
            import anthropic  # deferred: ~0.8 s, and replay must never pay for it
        except ImportError:
            raise RoutineError(
                Code.MISSING_EXTRA,
                "record and live mode call the API through the anthropic SDK, which is not installed",
                hint=extra_hint("anthropic"),
            ) from None
        self.max_retries = max_retries
        self.timeout = timeout
        self.stop = stop or threading.Event()
        self._sdk = anthropic
        # Retries are ours (bounded, retry-after capped); the SDK's own would wait as long as told.
        self._client = anthropic.Anthropic(
            api_key=self.api_key, base_url=self.base_url, max_retries=0, timeout=timeout
        )

    @property
    def sdk_version(self) -> str:
        return f"anthropic-python {self._sdk.__version__}"

    def _wait_for(self, exc: Any, attempt: int) -> float | None:
        """Seconds to wait before retrying `exc`, or None when it must not be retried."""
        sdk = self._sdk
        if isinstance(exc, sdk.APIStatusError):
            status = exc.status_code
            if status not in (408, 409, 429) and status < 500:
                return None
            headers = exc.response.headers
            for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
                try:
                    return float(headers[name]) * scale
                except (KeyError, TypeError, ValueError):
                    continue
        elif not isinstance(exc, sdk.APIConnectionError):
            return None
        return float(min(0.5 * 2**attempt, 8.0))

    def _one_line(self, exc: Any, routine: str, case: str | None) -> RoutineError:
        sdk = self._sdk
        hints = {
            sdk.AuthenticationError: "check ANTHROPIC_API_KEY",
            sdk.PermissionDeniedError: "the key may not use this model",
            sdk.NotFoundError: "the pinned snapshot may have retired; run 'routinec verify'",
            sdk.RateLimitError: "lower --jobs or retry later",
            sdk.BadRequestError: "the request was rejected; run 'routinec verify'",
        }
        if isinstance(exc, sdk.APIStatusError):
            body = exc.body if isinstance(exc.body, dict) else {}
            error = body.get("error")
            detail = error.get("message") if isinstance(error, dict) else None
            message = (str(detail or exc.message).splitlines() or [""])[0][:200]
            hint = next((h for t, h in hints.items() if isinstance(exc, t)), "retry later")
            return RoutineError(
                Code.API_ERROR, f"the API answered {exc.status_code}: {message}", hint=hint, routine=routine, case=case
            )
        if isinstance(exc, sdk.APITimeoutError):
            text = f"the API did not answer within {self.timeout:.0f}s"
        elif isinstance(exc, sdk.APIConnectionError):
            text = f"cannot reach the API at {self.base_url or 'api.anthropic.com'}"
        else:
            text = f"the SDK failed: {type(exc).__name__}: {str(exc).splitlines()[0][:200] if str(exc) else ''}"
        return RoutineError(Code.API_ERROR, text, hint="check the network and ANTHROPIC_BASE_URL", routine=routine, case=case)

    def exchange(self, call: Call) -> Exchange:
        return self.call(call.body, routine=call.routine.name, case=call.case)

    def keep(self, call: Call, exchange: Exchange) -> None:
        return None  # live mode writes nothing

    def call(self, body: dict[str, Any], *, routine: str, case: str | None) -> Exchange:
        kwargs = {k: v for k, v in body.items() if k not in _SAMPLING}
        extra = {k: body[k] for k in _SAMPLING if k in body}
        attempt = 0
        while True:
            if self.stop.is_set():
                raise KeyboardInterrupt
            try:
                raw = self._client.messages.with_raw_response.create(
                    **kwargs, extra_body=extra or None, timeout=self.timeout
                )
                break
            except self._sdk.APIError as exc:
                wait = self._wait_for(exc, attempt)
                if wait is None or attempt >= self.max_retries:
                    raise self._one_line(exc, routine, case) from None
                if wait > MAX_RETRY_AFTER:
                    raise RoutineError(
                        Code.API_ERROR,
                        f"the API asks to wait {wait:.0f}s before retrying (more than {MAX_RETRY_AFTER:.0f}s)",
                        hint="retry later",
                        routine=routine,
                        case=case,
                    ) from None
                attempt += 1
                if self.stop.wait(max(0.0, wait)):
                    raise KeyboardInterrupt from None
        http = raw.http_response
        try:
            response = loads(http.content)
        except ValueError:
            raise RoutineError(
                Code.API_ERROR, "the API answered with a body that is not JSON", routine=routine, case=case
            ) from None
        headers = {k.lower(): v for k, v in http.headers.items()}
        version = http.request.headers.get("anthropic-version")
        if version is not None:
            headers["anthropic-version"] = version
        return Exchange(
            response=response,
            headers=headers,
            request_id=headers.get("request-id"),
            anthropic_version=version,
            sdk_version=self.sdk_version,
            attempts=attempt + 1,
        )
