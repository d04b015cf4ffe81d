"""editors/routine.tmLanguage.json: well-formed, every regex compiles, every include resolves,
and a small TextMate tokenizer (match, begin/end, captures, contentName, includes) run over the
shipped specs gives the scopes an editor shows, Jinja regions marked as embedded."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
GRAMMAR = json.loads((REPO / "editors" / "routine.tmLanguage.json").read_text("utf-8"))
SPECS = sorted((REPO / "specs").glob("*.routine")) + sorted((REPO / "examples" / "app" / "specs").glob("*.routine"))

Token = tuple[int, str, tuple[str, ...]]  # line, text, scopes


def _patterns(owner: dict[str, Any]) -> list[dict[str, Any]]:
    """A rule's patterns with includes expanded (an included rule is itself a pattern; an
    included group contributes its patterns)."""
    out: list[dict[str, Any]] = []
    for p in owner.get("patterns", []):
        if "include" not in p:
            out.append(p)
            continue
        ref = p["include"]
        target = GRAMMAR if ref == "$self" else GRAMMAR["repository"][ref[1:]]
        out.extend([target] if "match" in target or "begin" in target else _patterns(target))
    return out


def tokenize(text: str) -> list[Token]:
    """Scopes per token, TextMate style: the earliest match wins (the open region's end first
    on a tie); a begin pushes a region until its end."""
    tokens: list[Token] = []
    stack: list[tuple[list[dict[str, Any]], re.Pattern[str] | None, tuple[str, ...], dict[str, Any] | None]] = [
        (_patterns(GRAMMAR), None, ("source.routine",), None)
    ]
    for number, line in enumerate(text.split("\n"), 1):
        pos = 0
        while pos <= len(line):
            patterns, end, scopes, rule = stack[-1]
            best: tuple[int, int, Any, re.Match[str]] | None = None
            if end is not None:
                m = end.search(line, pos)
                if m:
                    best = (m.start(), 0, "end", m)
            for order, p in enumerate(patterns, 1):
                regex = p.get("match") or p.get("begin")
                m = re.compile(regex).search(line, pos)
                if m and (best is None or (m.start(), order) < (best[0], best[1])):
                    best = (m.start(), order, p, m)
            if best is None:
                if pos < len(line):
                    tokens.append((number, line[pos:], scopes))
                break
            start, _, p, m = best
            if start > pos:
                tokens.append((number, line[pos:start], scopes))
            if p == "end":
                assert rule is not None
                tokens.append((number, m.group(0), scopes[: len(scopes) - (1 if "contentName" in rule else 0)]))
                stack.pop()
            elif "match" in p:
                own = (*scopes, p["name"]) if "name" in p else scopes
                captures = p.get("captures", {})
                if captures:
                    for index, cap in sorted(captures.items(), key=lambda kv: int(kv[0])):
                        if m.group(int(index)) is not None:
                            tokens.append((number, m.group(int(index)), (*own, cap["name"])))
                else:
                    tokens.append((number, m.group(0), own))
            else:
                own = (*scopes, p["name"]) if "name" in p else scopes
                tokens.append((number, m.group(0), own))
                inner = (*own, p["contentName"]) if "contentName" in p else own
                stack.append((_patterns(p), re.compile(p["end"]), inner, p))
            pos = m.end() if m.end() > pos else pos + 1
    return tokens


def scopes_of(tokens: list[Token], text: str, line: int | None = None) -> tuple[str, ...]:
    for number, tok, scopes in tokens:
        if tok == text and (line is None or number == line):
            return scopes
    raise AssertionError(f"no token {text!r}")


def test_well_formed() -> None:
    assert GRAMMAR["scopeName"] == "source.routine" and GRAMMAR["fileTypes"] == ["routine"]
    seen = 0

    def walk(node: Any) -> None:
        nonlocal seen
        if isinstance(node, dict):
            for key in ("match", "begin", "end"):
                if key in node:
                    re.compile(node[key])
                    seen += 1
            if "include" in node:
                ref = node["include"]
                assert ref == "$self" or ref[1:] in GRAMMAR["repository"], ref
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(GRAMMAR)
    assert seen > 30


@pytest.mark.parametrize("spec", SPECS, ids=lambda p: p.name)
def test_every_region_closes_in_the_shipped_specs(spec: Path) -> None:
    text = spec.read_text("utf-8")
    tokens = tokenize(text)
    assert tokens[-1][2] in (("source.routine",), ("source.routine", "punctuation.section.block.routine"))
    assert "".join(t for _, t, _ in tokens).replace(" ", "") != ""


def test_scopes_of_a_spec() -> None:
    tokens = tokenize((REPO / "specs" / "summarize_pr.routine").read_text("utf-8"))
    assert scopes_of(tokens, "routine")[-1] == "storage.type.routine.routine"
    assert scopes_of(tokens, "summarize_pr", 8)[-1] == "entity.name.function.routine"
    assert scopes_of(tokens, "v3")[-1] == "constant.numeric.version.routine"
    assert scopes_of(tokens, "FileChange", 2)[-1] == "entity.name.type.routine"
    assert scopes_of(tokens, "model")[-1] == "keyword.other.statement.routine"
    assert "string.quoted.double.routine" in scopes_of(tokens, "claude-haiku-4-5")
    assert scopes_of(tokens, "title")[-1] == "variable.other.property.routine"
    assert scopes_of(tokens, "string", 19)[-1] == "support.type.primitive.routine"
    assert scopes_of(tokens, "max_length")[-1] == "support.function.constraint.routine"
    assert scopes_of(tokens, "# optional field")[-1] == "comment.line.number-sign.routine"


def test_embedded_jinja_is_marked() -> None:
    text = '''routine r v1 {
  system """You answer {{ language | upper }} only.
{% include "specs/prompts/_house_rules.j2" %}{# a note #}"""
  prompt "Title: {{ title }}"
  input { title: string }
}
'''
    tokens = tokenize(text)
    language = scopes_of(tokens, "language")
    assert language[-3:] == ("meta.embedded.block.jinja", "meta.embedded.expression.jinja", "variable.other.jinja")
    assert "string.quoted.triple.routine" in language
    assert scopes_of(tokens, "upper")[-1] == "support.function.filter.jinja"
    include = scopes_of(tokens, "include")
    assert include[-2:] == ("meta.embedded.statement.jinja", "keyword.control.jinja")
    assert scopes_of(tokens, '"specs/prompts/_house_rules.j2"')[-1] == "string.quoted.double.jinja"
    assert scopes_of(tokens, " a note ")[-1] == "comment.block.jinja"
    title = scopes_of(tokens, "title", 4)
    assert title[-3:] == ("string.quoted.double.routine", "meta.embedded.expression.jinja", "variable.other.jinja")
    assert scopes_of(tokens, "title", 5)[-1] == "variable.other.property.routine"  # outside the template
    assert tokens[-1][2] == ("source.routine", "punctuation.section.block.routine")
