"""The scan's shortcuts find exactly what the plain scan found: every rule's regex run over the
whole text when one of the rule's needles is in it. The compiler scans every spec file and
template with it, so it was made cheaper (gated needles, rules tried only where a match can
start); a secret it stopped finding would go into routines.lock."""

from __future__ import annotations

import re

from hypothesis import example, given, settings
from hypothesis import strategies as st

from routinec.redact import RULES, Redactor, Rule
from tests.support.secrets import shapes


def plain_finditer(text: str, redactor: Redactor) -> list[tuple[str, int, int]]:
    """`Redactor.finditer` as it was before the shortcuts: each needle tested on its own,
    each selected rule's regex run over the whole text."""
    lower = text.lower()
    hit = {i for i, rule in enumerate(RULES) if not rule.needles or any(
        needle in (lower if rule.nocase else text) for needle in rule.needles)}
    found: list[tuple[str, int, int]] = []
    for rule in [*redactor._extra, *(RULES[i] for i in sorted(hit))]:
        for m in re.compile(rule.pattern, rule.flags).finditer(text):
            secret = m.group(rule.group)
            if secret is None or secret.startswith("[REDACTED"):
                continue
            if rule.min_entropy and _entropy(secret) < rule.min_entropy:
                continue
            found.append((rule.kind, m.start(rule.group), m.end(rule.group)))
    return found


def _entropy(text: str) -> float:
    import math

    n = len(text)
    return -sum(text.count(c) / n * math.log2(text.count(c) / n) for c in set(text))


_TOKEN = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"
_HEX = "0123456789abcdef" * 4


def _every_kind() -> dict[str, str]:
    """One sample per rule kind: `shapes()` and the kinds it lacks, built at run time so no
    file in the repository trips a scanner."""
    alnum = "aB3dE5fG7hJ9kL2mN4pQ6rS8tU1vW0xY"
    return {
        **{kind: value for kind, value in shapes().items() if kind != "github-fine-grained"},
        "openai-api-key": "sk-" + alnum[:20] + "T3Blbk" + "FJ" + alnum[5:25],
        "aws-secret-key": "aws_secret" + '_key = "' + (alnum + "/+" + alnum)[:40] + '"',
        "gitlab-token": "gl" + "pat-" + alnum[:20],
        "slack-webhook": "https://hooks." + "slack.com/services/T01ABC/B02DEF/" + alnum,
        "sendgrid-key": "SG" + "." + alnum[:22] + "." + (alnum + alnum)[:43],
        "pypi-token": "pypi-" + "AgEIcHlwaS5vcmc" + (alnum * 3)[:70],
        "npm-token": "//registry.npmjs.org/:" + "_authToken=npm_" + alnum,
        "azure-storage-key": "Account" + "Key=" + (alnum * 3)[:88],
        "artifactory-token": 'x="AKC' + alnum[:12] + '"',
        "discord-bot-token": "M" + alnum[:23] + "." + alnum[:6] + "." + alnum[:27],
        "mailchimp-key": _HEX[:32] + "-us" + "12",
        "square-oauth-secret": "sq0" + "csp-" + (alnum * 2)[:43],
        "telegram-bot-token": "123456789" + ":" + (alnum * 2)[:35],
        "twilio-key": "SK" + _HEX[:32],
        "basic-auth": "https://deploy:" + "hunter2pass@example.com",
        "cloudant-password": "https://acct:" + _HEX + "@acct.cloudant.com",
        "softlayer-key": "https://api.softlayer.com" + "/soap/v3/" + _HEX,
    }
_DIGITS = "0123456789\u0663\uff17"  # \d also takes Arabic-Indic and fullwidth digits


def _run(alphabet: str, low: int, high: int) -> st.SearchStrategy[str]:
    """A run of `alphabet`, its length drawn evenly from low..high."""
    return st.integers(low, high).flatmap(lambda n: st.text(alphabet=alphabet, min_size=n, max_size=n))


_END = st.sampled_from(["", " ", "\n", "."])  # a token ends where the text goes on without a token character


def _discord() -> st.SearchStrategy[str]:
    # Lengths around the rule's 23-25 / 6 / 27, so near misses on every side are tried.
    return st.tuples(
        st.sampled_from("MNO_"), _run(_TOKEN, 22, 26), _run(_TOKEN, 5, 7), _run(_TOKEN, 26, 28), _END,
    ).map(lambda p: f"{p[0]}{p[1]}.{p[2]}.{p[3]}{p[4]}")


def _telegram() -> st.SearchStrategy[str]:
    return st.tuples(_run(_DIGITS, 7, 11), st.sampled_from("::;"), _run(_TOKEN, 34, 36), _END).map("".join)


def _assignment() -> st.SearchStrategy[str]:
    keyword = st.sampled_from([
        "api_key", "API-KEY", "apikey", "ApiKey", "Secret", "client_secret", "CLIENT-SECRET", "TOKEN", "max_tokens",
        "passwd", "PassWord", "pwd", "access_key", "AUTH", "oauth", "ſecret", "to\u212aen", "\u0130",
        "ap\u0130_key", "secrettoken", "accessecret", "clientoken",
    ])
    suffix = _run(_TOKEN + ".", 0, 23)
    gap = st.sampled_from(["", " ", "  ", "\t", "\n", " " * 40, "\n" * 3 + " " * 30, "\u00a0"])
    op = st.sampled_from(["=", ":", "=>", ":=", " ", "==", "->"])
    quote = st.sampled_from(["", '"', "'"])
    value = st.one_of(_run(_TOKEN + "+/=.~", 10, 60), st.sampled_from(["see the docs", "512", "q8Zr2LmX7vT1nB4kW9cYp0Hs"]))
    return st.tuples(keyword, suffix, quote, gap, op, gap, quote, value).map("".join)


# Every rule's needles (case-blind ones in both cases), each before a run a token could go on with.
_NEEDLES = sorted({n for rule in RULES for needle in rule.needles for n in {needle, needle.upper()}})

_PIECES = st.one_of(
    _assignment(),
    st.tuples(st.sampled_from(_NEEDLES), _run(_TOKEN, 0, 50)).map("".join),
    _discord(),
    _telegram(),
    st.sampled_from(sorted(_every_kind().values())),
    st.sampled_from([
        " ", "\n", ": ", ".", "..", "  max_tokens 512\n", "model \"claude-haiku-4-5\"\n", "https://", "{{ title }}",
        "token", "AKIA", "PRIVATE KEY", "eyJ", "xoxb-", "-us1", "İ", "ſ", "K", "Bearer ",
    ]),
    _run(_TOKEN + _DIGITS + " .:=\"'\n-", 0, 40),
)
# Pieces joined as-is or across a space, a newline or an `=`.
_TEXTS = st.lists(st.tuples(_PIECES, st.sampled_from(["", " ", "\n", "="])), max_size=10).map(
    lambda pieces: "".join(piece + sep for piece, sep in pieces)
)


@settings(max_examples=600, deadline=None)
@given(_TEXTS)
@example("max_tokens 512\n" * 3 + 'api_key = "q8Zr2LmX7vT1nB4kW9cYp0Hs"')
@example("secret" + " " * 5000 + '= "q8Zr2LmX7vT1nB4kW9cYp0Hs"')  # \s* has no bound: no window holds it
@example("ſecret = q8Zr2LmX7vT1nB4kW9cYp0Hs and token = q8Zr2LmX7vT1nB4kW9cYp0Hs")
@example("x\u0130 token: q8Zr2LmX7vT1nB4kW9cYp0Hs")  # U+0130 lowers to two characters
@example("1234567890:" + "A" * 35 + " 123456789:" + "b" * 35 + " M" + "a" * 23 + "." + "b" * 6 + "." + "c" * 27)
def test_finditer_finds_what_the_plain_scan_found(text: str) -> None:
    assert list(Redactor().finditer(text)) == plain_finditer(text, Redactor())


@settings(max_examples=300, deadline=None)
@given(_TEXTS)
def test_a_rule_tried_where_it_can_start_matches_as_over_the_whole_text(text: str) -> None:
    shortcut = [rule for rule in RULES if rule.starts is not None]
    assert {rule.kind for rule in shortcut} == {"discord-bot-token", "telegram-bot-token", "generic-secret"}
    for rule in shortcut:
        assert [m.span(rule.group) for m in rule.matches(text)] == [m.span(rule.group) for m in rule.regex.finditer(text)]


def test_the_generated_texts_can_hold_every_kind() -> None:
    samples = _every_kind()
    assert set(samples) == {rule.kind for rule in RULES}
    for kind, sample in sorted(samples.items()):
        assert kind in {found for found, _, _ in Redactor().finditer(sample)}, kind


def test_extra_rules_come_first_and_scan_the_whole_text() -> None:
    redactor = Redactor(["acct-[0-9]{6}"], ["live-key-value-123"])
    text = "acct-123456 max_tokens: 9 live-key-value-123 token = q8Zr2LmX7vT1nB4kW9cYp0Hs"
    found = list(redactor.finditer(text))
    assert found == plain_finditer(text, redactor)
    assert [kind for kind, _, _ in found] == ["api-key", "pattern", "generic-secret"]


def test_the_fold_table_covers_what_the_generic_rule_folds() -> None:
    # A keyword spelled with a letter `_caseless` lets stand for an ASCII one is still a start.
    rule = next(r for r in RULES if r.kind == "generic-secret")
    for spelling in ("to\u212aen", "ſecret", "AP\u0130_KEY", "ap\u0131key", "Pa\u017f\u017fword"):
        text = f"{spelling} = q8Zr2LmX7vT1nB4kW9cYp0Hs"
        assert [m.span(1) for m in rule.matches(text)] == [(len(spelling) + 3, len(text))], spelling


def test_rule_without_starts_scans_everything() -> None:
    rule = Rule("pattern", "b+")
    assert [m.span() for m in rule.matches("abbab")] == [(1, 3), (4, 5)]
