"""The secret rule table: every planted shape is redacted with its kind, ordinary transcript
text is left alone, and detect-secrets (the maintained rule set the table mirrors) is the oracle."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from routinec.redact import NOT_MIRRORED, RULES, Redactor, find_secret, redact_value
from tests.support.secrets import escaped, label, leaks, secret_part, shapes

# detect-secrets secret_type -> the routinec kind that mirrors its denylist.
MIRRORED = {
    "AWS Access Key": "aws-access-key",
    "Artifactory Credentials": "artifactory-token",
    "Azure Storage Account access key": "azure-storage-key",
    "Basic Auth Credentials": "basic-auth",
    "Cloudant Credentials": "cloudant-password",
    "Discord Bot Token": "discord-bot-token",
    "GitHub Token": "github-token",
    "GitLab Token": "gitlab-token",
    "JSON Web Token": "jwt",
    "Mailchimp Access Key": "mailchimp-key",
    "NPM tokens": "npm-token",
    "OpenAI Token": "openai-api-key",
    "Private Key": "private-key",
    "PyPI Token": "pypi-token",
    "SendGrid API Key": "sendgrid-key",
    "Slack Token": "slack-token",
    "SoftLayer Credentials": "softlayer-key",
    "Square OAuth Secret": "square-oauth-secret",
    "Stripe Access Key": "stripe-key",
    "Telegram Bot Token": "telegram-bot-token",
    "Twilio API Key": "twilio-key",
}


# Shapes detect-secrets 1.5 has no plugin for; the table takes them from gitleaks.
ORACLE_BLIND = {"github-fine-grained", "google-api-key", "anthropic-api-key", "bearer-token", "generic-secret"}


@pytest.mark.parametrize("kind", sorted(shapes()))
def test_each_shape_is_redacted_with_its_kind(kind: str) -> None:
    value = shapes()[kind]
    out = Redactor().text(f"before {value} after")
    assert secret_part(value) not in out
    assert f"[REDACTED:{label(kind)}]" in out
    assert out.startswith("before ") and out.endswith(" after")


@pytest.mark.parametrize("kind", sorted(shapes()))
def test_json_escaped_spellings_are_caught_on_the_decoded_value(kind: str) -> None:
    text = json.dumps({"summary": shapes()[kind]}).replace("-", "\\u002d")
    text = escaped(text) if kind != "private-key" else text
    out = Redactor().text(text)
    assert leaks(out) == [], out
    assert find_secret({"content": [{"text": text}]}) is not None


def test_ordinary_transcript_text_is_left_alone() -> None:
    keep = {
        "request_hash": "sha256:" + "0123456789abcdef" * 4,
        "usage": {"input_tokens": 12, "output_tokens": 7, "cache_read_input_tokens": 0},
        "id": "msg_01XFDUDYJgAACzvnptvVoYEL",
        "request_id": "req_fake_0001",
        "text": "Rotate the token = see the docs; bearer tokens are explained here.",
        "model": "claude-haiku-4-5-20251001",
        "path": "src/routinec/runtime/transcript.py",
    }
    redactor = Redactor()
    assert redactor.value(keep) == keep and redactor.count == 0


def test_a_secret_named_by_its_key_is_redacted() -> None:
    # A tool's input arrives as an object: the keyword is the key, the secret the value.
    value = shapes()["generic-secret"].split(" = ")[1]
    out = Redactor().value({"input": {"api_key": value, "max_tokens": 512, "title": value}})
    assert out == {"input": {"api_key": "[REDACTED:generic-secret]", "max_tokens": 512, "title": value}}
    # ... so the writer's last look at the serialized text finds nothing to refuse.
    assert Redactor().find(json.dumps(out)) is None


def test_redaction_is_idempotent_and_counts() -> None:
    redactor = Redactor(["acct-[0-9]{6}"], ["live-key-value-123"])
    value = {"a": [shapes()["aws-access-key"], "acct-123456 live-key-value-123"]}
    once = redactor.value(value)
    assert redactor.count == 3
    assert redact_value(once) == once


def test_table_mirrors_every_detect_secrets_plugin() -> None:
    util = pytest.importorskip("detect_secrets.core.plugins.util")
    kinds = {rule.kind for rule in RULES}
    for secret_type in sorted(util.get_mapping_from_secret_type_to_class()):
        if secret_type in NOT_MIRRORED:
            continue
        assert secret_type in MIRRORED, f"detect-secrets has a new plugin: {secret_type}"
        assert MIRRORED[secret_type] in kinds


def test_detect_secrets_finds_nothing_after_redaction() -> None:
    pytest.importorskip("detect_secrets")
    from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class
    from detect_secrets.core.scan import scan_line
    from detect_secrets.settings import transient_settings

    plugins = [
        {"name": cls.__name__}
        for secret_type, cls in sorted(get_mapping_from_secret_type_to_class().items())
        if secret_type in MIRRORED
    ]
    with transient_settings({"plugins_used": plugins}):
        for kind, value in sorted(shapes().items()):
            planted = " ".join(value.splitlines())
            if kind not in ORACLE_BLIND:
                assert list(scan_line(planted)), f"the oracle misses {kind}; the planted shape is wrong"
            assert list(scan_line(Redactor().text(planted))) == [], kind


_FOLD_ALPHABET = "aApPiIkKeEyYsScCrRtToOnNwWdDhHuU\u0130\u0131\u212a\u017f_-=:\"' .\n0123456789xyzXYZ+/~"


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from([
    "api_key", "API-KEY", "apikey", "Secret", "TOKEN", "passwd", "PassWord", "pwd", "access_key",
    "client-secret", "AUTH", "\u0130", "\u0131", "\u212a", "\u017f", "ſecret", "to\u212aen", "=", ": ", '"', "'",
    " ", "\n", "=>", ":=", "abcdefghij0123456789XYZ", "a1B2c3D4e5F6g7H8", "\u212a\u017f" * 9,
]) | st.text(alphabet=_FOLD_ALPHABET, max_size=8), max_size=14).map("".join))
def test_generic_secret_rule_matches_exactly_what_the_case_blind_original_did(text: str) -> None:
    # The rule spells its keywords out case by case instead of a global (?i) (20x faster on a
    # lock); it must match the same spans and groups as the (?i) pattern it replaced.
    import re

    original = re.compile(
        r"(?i)(?:api[_-]?key|apikey|secret|token|passw(?:or)?d|pwd|access[_-]?key|client[_-]?secret|auth)"
        r"[\w.-]{0,20}[\"']?\s*(?:[:=]|=>|:=)\s*[\"']?([A-Za-z0-9_\-+/=.~]{16,200})"
    )
    rule = next(r for r in RULES if r.kind == "generic-secret")
    assert rule.nocase
    assert [(m.span(), m.group(1)) for m in rule.regex.finditer(text)] == [
        (m.span(), m.group(1)) for m in original.finditer(text)
    ]


def test_caseless_covers_every_letter_re_folds() -> None:
    import re

    from routinec.redact import _FOLDS

    for letter in "abcdefghijklmnopqrstuvwxyz":
        folded = re.compile("(?i)" + letter)
        others = {chr(c) for c in range(0x3000) if folded.fullmatch(chr(c))}
        assert others == set(_FOLDS.get(letter, letter + letter.upper())), letter
