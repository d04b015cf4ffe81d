"""Secret shapes for tests, built at run time so no file in the repository trips a scanner.

Each value is a well-formed fake: it matches the provider's published shape and grants nothing.
"""

from __future__ import annotations

import re

_B64 = "MIIEowIBAAKCAQEA7x" + "Qm9vZ1Rlc3RLZXk" * 4


def shapes() -> dict[str, str]:
    """kind (as routinec.redact labels it) -> one secret of that shape."""
    return {
        "aws-access-key": "AKIA" + "QX7" * 5 + "Z",
        "github-token": "ghp_" + "aB3dE5fG7h" * 3 + "J9kL2m",
        "github-fine-grained": "github_" + "pat_11ABCDEFG0" + "aZ9y" * 18,
        "private-key": "-----BEGIN RSA " + "PRIVATE KEY-----\n" + _B64 + "\n" + _B64[::-1] + "\n-----END RSA " + "PRIVATE KEY-----",
        "slack-token": "xo" + "xb-" + "1234567890" + "12-" + "1234567890123-" + "AbCdEfGhIjKlMnOpQrStUvWx",
        "stripe-key": "sk" + "_live_" + "4eC39HqLyjWDarjtT1zdp7dc",
        "google-api-key": "AI" + "za" + "SyD8v1Qx2Lm3Nb4Vc5Xz6As7Df8Gh9Jk0Lq",
        "anthropic-api-key": "sk-" + "ant-api03-" + "Xy7Wv6Ut5Sr4Qp3On2Ml1Kj0Ih9Gf8Ed7Cb6Aa",
        "bearer-token": "Bearer " + "kT93xVb7Qw2Lz8Np4Rm6Hy1Jc5",
        "jwt": "ey" + "JhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9." + "eyJzdWIiOiIxMjM0NTY3ODkwIn0." + "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
        "generic-secret": "api" + "_key = " + "q8Zr2LmX7vT1nB4kW9cYp0Hs",
    }


def label(kind: str) -> str:
    return {"github-fine-grained": "github-token"}.get(kind, kind)


def secret_part(value: str) -> str:
    """The part of a planted value that must never be written (keywords may stay)."""
    if value.startswith("Bearer "):
        return value.split(" ", 1)[1]
    if " = " in value:
        return value.split(" = ", 1)[1]
    return value


def escaped(value: str) -> str:
    """`value` as a model might spell it inside JSON: '-', '_' and 'A' as \\u00XX escapes."""
    return value.replace("-", "\\u002d").replace("_", "\\u005f").replace("A", "\\u0041")


def decode_escapes(text: str) -> str:
    """Undo \\u00XX escapes (also doubled backslashes), as any reader of a file would."""
    return re.sub(r"\\+u00([0-9a-fA-F]{2})", lambda m: chr(int(m.group(1), 16)), text)


def leaks(text: str) -> list[str]:
    """Kinds whose secret appears in `text`, raw or escaped."""
    plain = decode_escapes(text).replace("\\n", "\n")
    return sorted(k for k, v in shapes().items() if secret_part(v) in text or secret_part(v) in plain)
