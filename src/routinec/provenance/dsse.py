"""Provenance layer: DSSE envelopes around statements, signed with securesystemslib.

In: statement bytes and a PEM private key file (PKCS#8: Ed25519, ECDSA or RSA), or an
envelope and a PEM public key. Out: the envelope as JSON (`payloadType`
application/vnd.in-toto+json), or the statement bytes it carries and whether its signature
verifies. securesystemslib (the in-toto and TUF projects' signing library, with pyca/
cryptography underneath) is imported here only, lazily, when a signature is made or checked:
the `sign` extra. Without it: `missing-extra`, exit 2.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from routinec.codes import Code, extra_hint
from routinec.diagnostics import Diagnostic, DiagnosticError, Severity, Span
from routinec.provenance.statement import PAYLOAD_TYPE

__all__ = ["Envelope", "is_envelope", "read_envelope", "sign_statement", "verify_envelope"]


@dataclass(frozen=True, slots=True)
class Envelope:
    payload: bytes
    payload_type: str
    signatures: tuple[dict[str, str], ...]  # {"keyid", "sig"} as in the file (sig base64)


def _error(code: Code, message: str, path: Path | None, hint: str | None) -> DiagnosticError:
    return DiagnosticError([Diagnostic(code, Severity.ERROR, message, Span(str(path)) if path else None, hint)])


def _sslib() -> Any:
    try:
        import securesystemslib.signer as signer
        from cryptography.hazmat.primitives import serialization
    except ImportError:
        raise _error(Code.MISSING_EXTRA, "signing and checking DSSE signatures needs securesystemslib, which is not installed",
                     None, extra_hint("sign")) from None
    return signer, serialization


def _read_key(path: Path, private: bool) -> Any:
    signer, serialization = _sslib()
    what = "private" if private else "public"
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise _error(Code.INVALID_KEY, f"cannot read the {what} key: {exc.strerror}", path, None) from None
    try:
        if private:
            key = serialization.load_pem_private_key(data, password=None)
            return signer.CryptoSigner(key)
        return signer.SSlibKey.from_crypto(serialization.load_pem_public_key(data))
    except (ValueError, TypeError) as exc:
        reason = str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__
        raise _error(Code.INVALID_KEY, f"not a usable PEM {what} key ({reason})", path,
                     "use an unencrypted PKCS#8 PEM key (Ed25519, ECDSA or RSA), e.g. "
                     "'openssl genpkey -algorithm ed25519 -out key.pem'; the public half: "
                     "'openssl pkey -in key.pem -pubout -out key.pub'") from None


def sign_statement(payload: bytes, key_path: Path) -> dict[str, Any]:
    """A DSSE envelope over `payload`, signed with the PEM private key at `key_path`."""
    signer = _read_key(key_path, private=True)
    from securesystemslib.dsse import Envelope as SslibEnvelope

    envelope = SslibEnvelope(payload, PAYLOAD_TYPE, {})
    envelope.sign(signer)
    data: dict[str, Any] = envelope.to_dict()
    return data


def is_envelope(data: Any) -> bool:
    return isinstance(data, dict) and "payloadType" in data and "payload" in data


def read_envelope(data: dict[str, Any]) -> Envelope:
    """The envelope's parts; ValueError names what is wrong (the caller reports `attest-invalid`)."""
    if data.get("payloadType") != PAYLOAD_TYPE:
        raise ValueError(f"payloadType is {data.get('payloadType')!r}, not {PAYLOAD_TYPE}")
    payload, signatures = data.get("payload"), data.get("signatures")
    if not isinstance(payload, str):
        raise ValueError("payload must be a base64 string")
    try:
        raw = base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("payload is not base64") from None
    if not isinstance(signatures, list) or not all(
        isinstance(s, dict) and isinstance(s.get("keyid"), str) and isinstance(s.get("sig"), str) for s in signatures
    ):
        raise ValueError("signatures must be a list of {keyid, sig} objects")
    return Envelope(raw, PAYLOAD_TYPE, tuple({"keyid": s["keyid"], "sig": s["sig"]} for s in signatures))


def verify_envelope(envelope: Envelope, key_path: Path) -> str | None:
    """None when a signature verifies with the public key at `key_path`; else why not."""
    key = _read_key(key_path, private=False)
    from securesystemslib.dsse import Envelope as SslibEnvelope
    from securesystemslib.exceptions import UnverifiedSignatureError

    if not envelope.signatures:
        return "the envelope carries no signature"
    try:
        sslib = SslibEnvelope.from_dict({
            "payload": base64.b64encode(envelope.payload).decode("ascii"),
            "payloadType": envelope.payload_type,
            "signatures": [dict(s) for s in envelope.signatures],
        })
    except (ValueError, KeyError, binascii.Error) as exc:
        return f"a signature is malformed ({str(exc)[:80]})"
    if not any(s.keyid == key.keyid for s in sslib.signatures.values()):
        return f"no signature by key {key.keyid[:16]}… (signed by {', '.join(k[:16] + '…' for k in sslib.signatures)})"
    try:
        sslib.verify([key], 1)
    except UnverifiedSignatureError:
        return f"the signature by key {key.keyid[:16]}… does not match the payload"
    return None
