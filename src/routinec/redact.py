"""Bottom layer: secret detection and redaction over text and JSON values.

In: a string or a JSON value (plus the live API key and `[tool.routinec] redact` patterns).
Out: the same value with every secret replaced by `[REDACTED:<kind>]`, or the first secret's
kind and location. Pure, stdlib only (no import cost on paths that never meet a secret).

The rule table is data: the regexes of detect-secrets 1.5.0's plugins (Apache-2.0,
https://github.com/Yelp/detect-secrets, `detect_secrets/plugins/*.py` `denylist`), rewritten
with look-arounds where the original consumed its delimiters, plus rules for shapes that set
lacks, after gitleaks (MIT, https://github.com/gitleaks/gitleaks `config/gitleaks.toml`):
fine-grained GitHub tokens, Google API keys, Anthropic keys, bearer tokens, whole private-key
blocks and keyword-scoped high-entropy assignments. `tests/test_redact.py` checks the table
against the installed detect-secrets so it cannot silently fall behind.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any

__all__ = ["RULES", "Redactor", "Rule", "find_secret", "redact_text", "redact_value"]


class Rule:
    """One secret shape. With `group`, only that group is the secret (the keyword stays).

    `needles` are substrings one of which every match contains (lowercase for case-blind
    rules): a rule whose needles are all absent is skipped, so ordinary text costs a few `in`
    tests. `starts`, for a rule whose needle ordinary text holds (`.`, `:`, `token`), names
    the places a match could start (see `matches`). A plain class, not a dataclass: this
    module is imported by every diagnostic renderer, and generating dataclass methods cost
    more than the whole table.
    """

    __slots__ = ("_nocase", "_regex", "flags", "group", "kind", "min_entropy", "needles", "origin", "pattern", "starts")

    def __init__(
        self, kind: str, pattern: str, group: int = 0, min_entropy: float = 0.0, origin: str = "gitleaks",
        flags: int = 0, needles: tuple[str, ...] = (), nocase: bool = False, starts: _Starts | None = None,
    ) -> None:
        self.kind, self.pattern, self.group, self.min_entropy = kind, pattern, group, min_entropy
        self.origin, self.flags, self.needles, self.starts = origin, flags, needles, starts
        self._nocase = nocase  # case-blind without (?i): see _caseless
        self._regex: re.Pattern[str] | None = None

    def __repr__(self) -> str:
        return f"Rule({self.kind!r}, {self.pattern!r})"

    @property
    def nocase(self) -> bool:
        return self._nocase or bool(self.flags & re.IGNORECASE) or self.pattern.startswith("(?i")

    @property
    def regex(self) -> re.Pattern[str]:
        # Compiled on first use: compiling the whole table costs ~10 ms.
        if self._regex is None:
            self._regex = re.compile(self.pattern, self.flags)
        return self._regex

    def matches(self, text: str) -> Iterator[re.Match[str]]:
        """What `regex.finditer(text)` yields, trying the regex only where `starts` says a match
        could begin. Exact when those places include every position the regex matches at (in
        ascending order; extra ones cost a failed match) and the regex never matches empty:
        finditer yields the match at the first position, from where the last match ended, at
        which the regex matches, and `match(text, pos)` sees the text before `pos` as
        finditer does (look-behinds, \\b)."""
        starts = self.starts(text) if self.starts is not None else None
        if starts is None:
            yield from self.regex.finditer(text)
            return
        match, end = self.regex.match, 0
        for start in starts:
            if start >= end:
                m = match(text, start)
                if m is not None:
                    yield m
                    end = m.end()


_Starts = Callable[[str], "list[int] | None"]


def _r(kind: str, pattern: str, *, group: int = 0, entropy: float = 0.0, origin: str = "detect-secrets",
       flags: int = 0, needles: tuple[str, ...] = (), nocase: bool = False, starts: _Starts | None = None) -> Rule:
    return Rule(kind, pattern, group, entropy, origin, flags, needles, nocase, starts)


_GENERIC_ENTROPY = 3.5  # bits per character; `token = "see the docs"` stays below it
_B = r"(?<![A-Za-z0-9_])"   # a token starts at a boundary (not mid-identifier)
_E = r"(?![A-Za-z0-9_])"

# Ordered: specific shapes first, so a key inside `api_key = "sk-ant-…"` is named for what it is.

# What (?i) lets an ASCII letter match in Python's `re`: its other case, and for i, k and s
# the Unicode letters that fold to them (checked against `re` itself in tests/test_redact.py).
_FOLDS = {"i": "iI\u0130\u0131", "k": "kK\u212a", "s": "sS\u017f"}


def _caseless(pattern: str) -> str:
    """`pattern` with each ASCII letter outside [...] as a class of its case-blind matches.
    Only for patterns of literals, groups, ?, | and classes (no escapes)."""
    out: list[str] = []
    in_class = False
    for ch in pattern:
        if ch == "\\":
            raise ValueError("_caseless takes no escapes")
        if ch == "[":
            in_class = True
        elif ch == "]":
            in_class = False
        elif not in_class and ch.isascii() and ch.isalpha():
            low = ch.lower()
            out.append("[" + _FOLDS.get(low, low + low.upper()) + "]")
            continue
        out.append(ch)
    return "".join(out)


# Where a match can start, for the rules whose needle ordinary text is full of. Each returns,
# ascending, every position its rule's regex matches at (and some where it does not).

_GENERIC_KEYWORDS = r"api[_-]?key|apikey|secret|token|passw(?:or)?d|pwd|access[_-]?key|client[_-]?secret|auth"


def _heads(keywords: str) -> tuple[str, ...]:
    """Each keyword's leading letters, `api` for `api[_-]?key` and `apikey`, `passw` for
    `passw(?:or)?d`: a match starts at one of them."""
    heads = {word.split("[")[0].split("(")[0] for word in keywords.split("|")}
    return tuple(sorted(h for h in heads if not any(h != o and h.startswith(o) for o in heads)))


_KEYWORD_HEADS = _heads(_GENERIC_KEYWORDS)
# The non-ASCII letters `_caseless` lets stand for an ASCII one, mapped to it; `str.lower`
# then folds ASCII case. (It would turn U+0130 into two characters; mapped first, it cannot.)
_FOLD_TABLE = str.maketrans({ch: letter for letter, chars in _FOLDS.items() for ch in chars if not ch.isascii()})


def _keyword_starts(text: str) -> list[int] | None:
    """generic-secret: where a keyword's head is, case-blind as `_caseless` spells it."""
    folded = text.lower() if text.isascii() else text.translate(_FOLD_TABLE).lower()
    if len(folded) != len(text):  # positions would not line up: scan the whole text
        return None
    starts: list[int] = []
    for head in _KEYWORD_HEADS:
        at = folded.find(head)
        while at >= 0:
            starts.append(at)
            at = folded.find(head, at + 1)
    return sorted(set(starts))


def _near(finder: Rule, before: int, text: str) -> list[int]:
    """`before` down to `before - 2` characters before each place `finder` matches."""
    starts: list[int] = []
    for m in finder.regex.finditer(text):
        starts.extend(range(max(m.start() - before, 0), m.start() - before + 3))
    return sorted(set(starts)) if len(starts) > 3 else starts


# Each holds at its start what every match of its rule holds 8-10 (24-26) characters in.
_TELEGRAM_COLON = Rule("telegram-bot-token", r":(?<=\d:)(?=[0-9A-Za-z_-]{35})")
_DISCORD_DOTS = Rule("discord-bot-token", r"\.(?=[a-zA-Z\d_-]{6}\.)")


def _telegram_starts(text: str) -> list[int]:
    """telegram-bot-token, `\\d{8,10}:[0-9A-Za-z_-]{35}`: 8 to 10 before a `:` with a digit
    before it and 35 token characters after."""
    return _near(_TELEGRAM_COLON, 10, text)


def _discord_starts(text: str) -> list[int]:
    """discord-bot-token, `[MNO][a-zA-Z\\d_-]{23,25}\\.[a-zA-Z\\d_-]{6}\\.`: 24 to 26 before a `.`
    that six token characters and a `.` follow."""
    return _near(_DISCORD_DOTS, 26, text)


RULES: tuple[Rule, ...] = (
    _r("private-key",
       r"-----BEGIN[ A-Z0-9_-]{0,40}PRIVATE KEY(?: BLOCK)?-----[\s\S]{0,20000}?"
       r"(?:-----END[ A-Z0-9_-]{0,40}PRIVATE KEY(?: BLOCK)?-----|$)", origin="gitleaks", needles=("PRIVATE KEY",)),
    _r("private-key", r"BEGIN (?:DSA|EC|OPENSSH|PGP|RSA|ENCRYPTED|SSH2 ENCRYPTED)? ?PRIVATE KEY(?: BLOCK)?", needles=("PRIVATE KEY",)),
    _r("anthropic-api-key", _B + r"sk-ant-[A-Za-z0-9_-]{8,}", origin="gitleaks", needles=("sk-ant-",)),
    _r("openai-api-key", r"sk-[A-Za-z0-9-_]*[A-Za-z0-9]{20}T3BlbkFJ[A-Za-z0-9]{20}", needles=("T3BlbkFJ",)),
    _r("aws-access-key", _B + r"(?:A3T[A-Z0-9]|ABIA|ACCA|AKIA|ASIA)[0-9A-Z]{16}" + _E, needles=("AKIA", "ASIA", "ABIA", "ACCA", "A3T")),
    _r("aws-secret-key",
       r"aws.{0,20}?(?:key|pwd|pw|password|pass|token).{0,20}?['\"]([0-9a-zA-Z/+]{40})['\"]",
       group=1, flags=re.IGNORECASE, needles=("aws",)),
    _r("github-token", _B + r"(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9_]{36,255}", needles=("ghp_", "gho_", "ghu_", "ghs_", "ghr_")),
    _r("github-token", _B + r"github_pat_[A-Za-z0-9_]{22,255}", origin="gitleaks", needles=("github_pat_",)),
    _r("gitlab-token", _B + r"(?:glpat|gldt|glft|glsoat|glrt)-[A-Za-z0-9_\-]{20,50}" + _E, needles=("glpat-", "gldt-", "glft-", "glsoat-", "glrt-")),
    _r("gitlab-token", r"GR1348941[A-Za-z0-9_\-]{20,50}" + _E, needles=("GR1348941",)),
    _r("gitlab-token", r"glcbt-(?:[0-9a-fA-F]{2}_)?[A-Za-z0-9_\-]{20,50}" + _E, needles=("glcbt-",)),
    _r("gitlab-token", r"glimt-[A-Za-z0-9_\-]{25}" + _E, needles=("glimt-",)),
    _r("slack-token", _B + r"xox(?:a|b|p|o|s|r)-(?:\d+-)+[a-zA-Z0-9]+(?:-[a-zA-Z0-9]+)*", needles=("xox",)),
    _r("slack-webhook", r"https://hooks\.slack\.com/services/T[a-zA-Z0-9_]+/B[a-zA-Z0-9_]+/[a-zA-Z0-9_]+", needles=("hooks.slack.com",)),
    _r("stripe-key", _B + r"(?:r|s)k_(?:live|test)_[0-9a-zA-Z]{24,99}", needles=("k_live_", "k_test_")),
    _r("google-api-key", _B + r"AIza[0-9A-Za-z_\-]{35}" + _E, origin="gitleaks", needles=("AIza",)),
    _r("jwt", _B + r"eyJ[A-Za-z0-9\-_=]+\.[A-Za-z0-9\-_=]+\.?[A-Za-z0-9\-_.+/=]*", needles=("eyJ",)),
    _r("sendgrid-key", r"SG\.[a-zA-Z0-9_-]{22}\.[a-zA-Z0-9_-]{43}", needles=("SG.",)),
    _r("pypi-token", r"pypi-AgEIcHlwaS5vcmc[A-Za-z0-9\-_]{70,}", needles=("pypi-",)),
    _r("pypi-token", r"pypi-AgENdGVzdC5weXBpLm9yZw[A-Za-z0-9\-_]{70,}", needles=("pypi-",)),
    _r("npm-token", r"//.+/:_authToken=\s*((?:npm_[^\s\"']+)|(?:[A-Fa-f0-9-]{36}))", group=1, needles=("_authToken",)),
    _r("npm-token", _B + r"npm_[A-Za-z0-9]{36}" + _E, origin="gitleaks", needles=("npm_",)),
    _r("azure-storage-key", r"AccountKey=[a-zA-Z0-9+/=]{88}", needles=("AccountKey=",)),
    _r("artifactory-token", r"(?<![^\s=:\"])AKC[a-zA-Z0-9]{10,}(?![^\s\"])", needles=("AKC",)),
    _r("artifactory-token", r"(?<![^\s=:\"])AP[\dABCDEF][a-zA-Z0-9]{8,}(?![^\s\"])", needles=("AP",)),
    _r("discord-bot-token", _B + r"[MNO][a-zA-Z\d_-]{23,25}\.[a-zA-Z\d_-]{6}\.[a-zA-Z\d_-]{27}" + _E, needles=(".",),
       starts=_discord_starts),
    _r("mailchimp-key", _B + r"[0-9a-z]{32}-us[0-9]{1,2}" + _E, needles=("-us",)),
    _r("square-oauth-secret", r"sq0csp-[0-9A-Za-z\\\-_]{43}", needles=("sq0csp-",)),
    _r("telegram-bot-token", _B + r"\d{8,10}:[0-9A-Za-z_-]{35}" + _E, needles=(":",), starts=_telegram_starts),
    _r("twilio-key", _B + r"(?:AC|SK)[a-f0-9]{32}" + _E, needles=("AC", "SK")),
    _r("basic-auth", r"://[^:/?#\[\]@!$&'()*+,;=\s]+:([^:/?#\[\]@!$&'()*+,;=\s]+)@", group=1, needles=("://",)),
    _r("cloudant-password", r"https?://[\w\-]+:([0-9a-f]{64}|[a-z]{24})@[\w\-]+\.cloudant\.com", group=1, needles=("cloudant.com",)),
    _r("softlayer-key", r"https?://api\.softlayer\.com/soap/(?:v3|v3\.1)/([a-z0-9]{64})", group=1, needles=("softlayer.com",)),
    _r("bearer-token", r"(?i:\bbearer\s+)([A-Za-z0-9._~+/-]{16,}=*)", group=1, origin="gitleaks", needles=("bearer",)),
    # KeywordDetector's idea, scoped like gitleaks' generic-api-key: a secret-ish name assigned a
    # long, high-entropy value. The entropy floor keeps `token = "see the docs"` out.
    _r("generic-secret",
       # Case-blind like (?i), spelled out for the keywords: under a global (?i) Python's `re`
       # tried the alternation at every position of the text (20x slower on a lock).
       _caseless("(?:" + _GENERIC_KEYWORDS + ")")
       + r"(?i:[\w.-]{0,20}[\"']?\s*(?:[:=]|=>|:=)\s*[\"']?([A-Za-z0-9_\-+/=.~]{16,200}))",
       group=1, entropy=_GENERIC_ENTROPY, origin="gitleaks", needles=("key", "secret", "token", "passw", "pwd", "auth"),
       nocase=True, starts=_keyword_starts),
)

# Characters by how rarely ordinary text (prose, specs, templates) holds them, rarest first.
_RARITY = "QZJXKVWYBFGPMUCLDHRSNIOATEqjzxkvbywgpfmucldhrsnioate0123456789=/-_.:"

# (needle, the rules it selects); needles under a common prefix; those under a character.
_Needles = tuple[tuple[str, tuple[int, ...]], ...]
_Gate = tuple[str, tuple[tuple[str, _Needles], ...]]


def _gates(nocase: bool) -> tuple[_Gate, ...]:
    """The (case-blind or not) rules' needles grouped under their rarest character, and under
    that by their first two characters: a text without a group's character or prefix holds
    none of its needles. A character's `in` test is memchr-fast; a needle's scans slower."""

    def rarity(ch: str) -> int:
        rank = _RARITY.find(ch)
        return len(_RARITY) if rank < 0 else rank

    groups: dict[str, dict[str, list[int]]] = {}
    for i, rule in enumerate(RULES):
        if rule.nocase is nocase:
            for needle in rule.needles:
                groups.setdefault(min(needle, key=rarity), {}).setdefault(needle, []).append(i)
    gates: list[_Gate] = []
    for gate, needles in groups.items():
        heads: dict[str, list[str]] = {}
        for needle in needles:
            heads.setdefault(needle[:2], []).append(needle)
        gates.append((gate, tuple(
            (head if len(group) > 1 else group[0], tuple((needle, tuple(needles[needle])) for needle in group))
            for head, group in heads.items()
        )))
    return tuple(gates)


_CASED_GATES, _CASELESS_GATES = _gates(False), _gates(True)


def _selected(hay: str, gates: tuple[_Gate, ...], hit: set[int]) -> None:
    """Adds to `hit` the rules whose needles `hay` holds."""
    for gate, groups in gates:
        if gate in hay:
            for prefix, needles in groups:
                if prefix in hay:
                    for needle, rules in needles:
                        if needle == prefix or needle in hay:
                            hit.update(rules)


_ALWAYS = frozenset(i for i, r in enumerate(RULES) if not r.needles)

# Detect-secrets plugins deliberately not mirrored: unscoped high-entropy strings flag every
# hash in a transcript (request hashes, entry hashes); public IPs are not secrets; the keyword
# detector is the keyword-scoped `generic-secret` rule above; IBM's are covered by it too.
NOT_MIRRORED = {
    "Base64 High Entropy String": "unscoped: every sha256 in a transcript would be redacted",
    "Hex High Entropy String": "unscoped: every sha256 in a transcript would be redacted",
    "Public IP (ipv4)": "not a secret",
    "Secret Keyword": "replaced by the keyword-scoped, entropy-checked generic-secret rule",
    "IBM Cloud IAM Key": "keyword-scoped: covered by generic-secret",
    "IBM COS HMAC Credentials": "keyword-scoped: covered by generic-secret",
}

_ESCAPE = re.compile(r"\\u00([2-7][0-9a-fA-F])")


def _entropy(text: str) -> float:
    counts: dict[str, int] = {}
    for ch in text:
        counts[ch] = counts.get(ch, 0) + 1
    n = len(text)
    return -sum(c / n * math.log2(c / n) for c in counts.values())


def _label(kind: str) -> str:
    return f"[REDACTED:{kind}]"


def _unescape(text: str) -> str:
    """`\\u002d`-style escapes of printable ASCII (but not quote or backslash) decoded: a model
    writing JSON inside a string can spell a key that way, and a reader will decode it."""

    def one(m: re.Match[str]) -> str:
        ch = chr(int(m.group(1), 16))
        return m.group(0) if ch in "\"\\" else ch

    return _ESCAPE.sub(one, text)


class Redactor:
    """Replaces secrets in strings and JSON values; counts what it replaced.

    `secrets` are exact values (the live API key); `patterns` are extra regexes from
    `[tool.routinec] redact`. Both come before the built-in rules.
    """

    def __init__(self, patterns: Iterable[str] = (), secrets: Iterable[str] = ()) -> None:
        extra: list[Rule] = [
            Rule("api-key", re.escape(s), origin="runtime")
            for s in sorted(set(secrets), key=len, reverse=True)
            if len(s) >= 8
        ]
        extra.extend(Rule("pattern", p, origin="config") for p in patterns)
        self._extra = tuple(extra)
        self.count = 0

    def _rules(self, text: str) -> list[Rule]:
        hit: set[int] = set()
        _selected(text, _CASED_GATES, hit)
        _selected(text.lower(), _CASELESS_GATES, hit)
        return [*self._extra, *(RULES[i] for i in sorted(hit | _ALWAYS))]

    def text(self, text: str) -> str:
        """The string with every secret replaced; escaped spellings are decoded first."""
        if "\\u00" in text:
            decoded = _unescape(text)
            if decoded != text and self.find(decoded) is not None:
                text = decoded
        for rule in self._rules(text):
            text = self._apply(rule, text)
        return text

    def _apply(self, rule: Rule, text: str) -> str:
        def sub(m: re.Match[str]) -> str:
            secret = m.group(rule.group)
            if secret is None or (rule.min_entropy and _entropy(secret) < rule.min_entropy):
                return m.group(0)
            if secret.startswith("[REDACTED"):
                return m.group(0)
            self.count += 1
            start, end = m.start(rule.group) - m.start(0), m.end(rule.group) - m.start(0)
            whole = m.group(0)
            return whole[:start] + _label(rule.kind) + whole[end:]

        return rule.regex.sub(sub, text)

    def find(self, text: str) -> str | None:
        """The kind of the first secret in `text`, or None."""
        return next((kind for kind, _, _ in self.finditer(text)), None)

    def finditer(self, text: str) -> Iterable[tuple[str, int, int]]:
        """(kind, start, end) of every secret in `text`, rule by rule."""
        for rule in self._rules(text):
            for m in rule.matches(text):
                secret = m.group(rule.group)
                if secret is None or secret.startswith("[REDACTED"):
                    continue
                if rule.min_entropy and _entropy(secret) < rule.min_entropy:
                    continue
                yield rule.kind, m.start(rule.group), m.end(rule.group)

    def value(self, value: Any) -> Any:
        """A JSON value with every string (keys too) redacted; other values unchanged."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {self.text(k) if isinstance(k, str) else k: self._member(k, v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self.value(v) for v in value]
        return value

    def _member(self, key: Any, value: Any) -> Any:
        # `{"api_key": "q8Zr…"}` split into key and value hides the assignment from the
        # keyword rule, which the serialized text would then show: judge the pair here.
        if isinstance(key, str) and isinstance(value, str) and value and "\n" not in value:
            probe = f'{key}: "{value}"'
            start = len(key) + 3
            for kind, lo, hi in self.finditer(probe):
                if kind == "generic-secret" and lo == start and hi == start + len(value):
                    self.count += 1
                    return _label(kind)
        return self.value(value)


def redact_text(text: str, redactor: Redactor | None = None) -> str:
    return (redactor or Redactor()).text(text)


def redact_value(value: Any, redactor: Redactor | None = None) -> Any:
    return (redactor or Redactor()).value(value)


def find_secret(value: Any, redactor: Redactor | None = None, where: str = "") -> tuple[str, str] | None:
    """(location, kind) of the first secret in a JSON value (decoded escapes included)."""
    r = redactor or Redactor()
    if isinstance(value, str):
        kind = r.find(value) or (r.find(_unescape(value)) if "\\u00" in value else None)
        return (where or "(root)", kind) if kind else None
    if isinstance(value, dict):
        for key in sorted(value, key=str):
            kind = r.find(str(key))
            if kind:
                return (f"{where}.{key}" if where else str(key), kind)
            found = find_secret(value[key], r, f"{where}.{key}" if where else str(key))
            if found:
                return found
    if isinstance(value, list | tuple):
        for i, item in enumerate(value):
            found = find_secret(item, r, f"{where}[{i}]")
            if found:
                return found
    return None
