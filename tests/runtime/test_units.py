"""Small pure pieces: compare rules, redaction and the secret guard, and the loopback
server speaking to the real SDK (JSON, streaming, models, errors)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from routinec.runtime.golden import compare_output
from routinec.runtime.transcript import Redactor, make_transcript, write_json_guarded
from tests.support.fake_api import TEST_KEY, FakeAnthropic, error_reply


def test_compare_rules() -> None:
    expected = {"s": "a  b\n", "n": Decimal("1.0"), "x": [1, {"k": "v"}], "skip": 1, "any": "q"}
    actual = {"s": "a b", "n": 1.04, "x": [1, {"k": "w"}], "skip": 2, "any": "z"}
    rules = {
        "s": {"rule": "text"},
        "n": {"rule": "number", "tolerance": Decimal("0.05")},
        "skip": {"rule": "ignore"},
        "any": {"rule": "schema"},
    }
    diffs = compare_output(expected, actual, rules)
    assert [d.render() for d in diffs] == ['x[1].k: expected "v", got "w"  [exact]']
    tight = compare_output(expected, actual, {**rules, "n": {"rule": "number", "tolerance": Decimal("0.01")}})
    assert [d.path for d in tight] == ["n", "x[1].k"]
    assert "off by 0.04" in tight[0].detail
    assert compare_output({"a": 1}, {"a": 1.0}, {}) == []  # numbers compare by value
    assert compare_output({"a": 1}, {"a": 1}, {"opt": {"rule": "exact"}, "t": {"rule": "text"}}) == []
    assert [d.path for d in compare_output({"a": 1}, {"a": 1, "opt": 2}, {"opt": {"rule": "exact"}})] == ["opt"]
    assert compare_output({"a": True}, {"a": 1}, {})  # a bool is not a number
    missing = compare_output({"a": 1, "b": 2}, {"a": 1, "c": 3}, {})
    assert [(d.path, d.expected, d.actual) for d in missing] == [("b", "2", "(absent)"), ("c", "(absent)", "3")]


def test_redactor_scrubs_key_and_patterns_everywhere() -> None:
    redactor = Redactor([r"acct-\d{6}"], [TEST_KEY])
    value = {"k": f"x {TEST_KEY} y", "list": ["acct-123456", {"acct-654321": 1}]}
    assert redactor.value(value) == {
        "k": "x [REDACTED:api-key] y",
        "list": ["[REDACTED:pattern]", {"[REDACTED:pattern]": 1}],
    }
    assert redactor.count == 3


def test_transcript_keeps_allowlisted_headers_only() -> None:
    data = make_transcript(
        routine="r",
        case="c",
        entry_hash="sha256:0",
        request={"model": "m"},
        responses=[{"content": []}],
        origin="fixture",
        provenance={},
        headers={"Request-Id": "req_1", "Set-Cookie": "s=1", "anthropic-organization-id": "org", "x-api-key": "k"},
    )
    assert data["response_headers"] == {"request-id": "req_1"}


@pytest.mark.parametrize(
    "secret", ["sk-ant-api03-abcdef", "Authorization: Bearer abcdefghijklmnop1234", "bearer ABCDEFGHIJKLMNOPQRSTU"]
)
def test_guard_redacts_secrets(tmp_path: Path, secret: str) -> None:
    target = tmp_path / "t.json"
    write_json_guarded(target, {"deep": [{"text": secret}]}, routine="r", case="c")
    written = target.read_text()
    assert secret.split()[-1] not in written and "[REDACTED:" in written
    write_json_guarded(target, {"text": "bearer tokens are explained here"}, routine="r", case="c")
    assert target.read_text().endswith("}\n")


def test_fake_server_with_real_sdk() -> None:
    import anthropic

    with FakeAnthropic() as api:
        client = anthropic.Anthropic(api_key=TEST_KEY, base_url=api.base_url, max_retries=0)
        body = {
            "model": "claude-haiku-4-5-20251001",
            "max_tokens": 64,
            "messages": [{"role": "user", "content": "hi"}],
            "output_config": {"format": {"type": "json_schema", "schema": {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]}}},
        }
        message = client.messages.create(**body)  # type: ignore[call-overload]
        assert message.content[0].text == '{"a": "x"}'
        with client.messages.stream(**body) as stream:  # type: ignore[arg-type]
            final = stream.get_final_message()
        assert final.content[0].text == '{"a": "x"}' and final.stop_reason == "end_turn"
        info = client.models.retrieve("claude-haiku-4-5-20251001")
        assert info.id == "claude-haiku-4-5-20251001" and info.type == "model"
        api.push(error_reply(401, "bad key"))
        with pytest.raises(anthropic.AuthenticationError):
            client.messages.create(**body)  # type: ignore[call-overload]
        api.push(error_reply(529, "busy"))
        with pytest.raises(anthropic.InternalServerError) as info_529:
            client.messages.create(**body)  # type: ignore[call-overload]
        assert info_529.value.status_code == 529
        paths = [(r.method, r.path) for r in api.requests]
        assert paths[0] == ("POST", "/v1/messages") and ("GET", "/v1/models/claude-haiku-4-5-20251001") in paths
        assert api.requests[0].body == body


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(["a", "b", " ", "\t", "\n", "\r", "\x0b", "\x1c", "\x85", "\u00a0", "\u2003", "\u3000", "\u200b"])))
def test_text_rule_normalises_whitespace_as_the_regex_did(text: str) -> None:
    # `text` compares after folding whitespace runs; the str.split() form must agree with the
    # regex it replaced (r"\s+" → " ", stripped) on every Unicode space, and on \u200b (not one).
    import re

    from routinec.runtime.golden import _norm

    assert _norm(text) == re.sub(r"\s+", " ", text).strip()
    folded = {"t": "a " + text}
    assert compare_output({"t": "a " + " ".join(text.split())}, folded, {"t": {"rule": "text"}}) == []
