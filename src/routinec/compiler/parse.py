"""Compiler layer, first pass: .routine source text → AST (`compiler.ast.File`).

In: bytes or text of one spec file. Out: a `File`, or a DiagnosticError whose diagnostics
say, in words, what was expected where. Two routes, one grammar: a valid spec is read by
`compiler.lexer` and `compiler.lalr` from the prebuilt tables in `_lalr_tables.py`, without
importing Lark (~0.1 s); anything else is read again by Lark itself (from its own prebuilt
`_parse_tables.py`), so every error is Lark's. scripts/gen_parser_tables.py writes both.
"""

from __future__ import annotations

import json
import os
import re
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from routinec.codes import Code
from routinec.compiler import ast
from routinec.compiler.lalr import Reducer, Tables
from routinec.compiler.lexer import FastLexer, Token
from routinec.diagnostics import Diagnostic, DiagnosticError, Severity, Span, text_position
from routinec.params import BY_KEYWORD, PARAMS

if TYPE_CHECKING:
    from lark import Lark, Tree
    from lark.exceptions import UnexpectedInput

__all__ = ["MAX_DEPTH", "build_tables", "canonical_tables", "grammar_digest", "grammar_text", "parse_file", "parse_text"]

MAX_DEPTH = 64  # brackets and braces; deeper nesting is a diagnostic, never a RecursionError

_WORDS = {
    "NAME": "a name",
    "NUMBER": "a number",
    "STRING": "a string",
    "TRIPLE_STRING": 'a """string"""',
    "VERSION": "a version like v1",
    "OPTIONAL": "'?'",
    "$END": "the end of the file",
}


def grammar_text() -> str:
    """The grammar, read from beside this module; through importlib.resources only when the
    package is not files on disk (a zipped install): its readers import zipfile, ~6 ms of
    every process that parses (the build's forked workers each read the grammar)."""
    try:
        with open(os.path.join(os.path.dirname(__file__), "grammar", "routine.lark"), encoding="utf-8") as f:
            return f.read()
    except OSError:
        from importlib import resources

        return resources.files("routinec.compiler").joinpath("grammar/routine.lark").read_text("utf-8")


class _Depth:
    """Lexer callbacks that bound nesting depth while tokens stream (no tree walk needed)."""

    def __init__(self) -> None:
        self.depth = 0

    def open(self, token: Token) -> Token:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise _TooDeep(token)
        return token

    def close(self, token: Token) -> Token:
        self.depth -= 1
        return token


class _TooDeep(Exception):
    def __init__(self, token: Token) -> None:
        super().__init__("too deep")
        self.token = token


_DEPTH = _Depth()


class _Fused(Exception):
    def __init__(self, token: Token) -> None:
        super().__init__("fused keyword")
        self.token = token


class _Keywords:
    """Lark's lexer matches a keyword at the start of a longer word (`routiner0` lexes as
    `routine` `r0`); the callback refuses a keyword that runs into the next word."""

    def __init__(self) -> None:
        self.text = ""

    def check(self, token: Token) -> Token:
        end = token.end_pos
        if end is not None and end < len(self.text) and (self.text[end].isalnum() or self.text[end] == "_"):
            raise _Fused(token)
        return token


_KEYWORDS = _Keywords()


@lru_cache(maxsize=1)
def _keyword_terminals() -> tuple[str, ...]:
    """Lark names a keyword's terminal after the word (`"routine"` → ROUTINE)."""
    words = re.findall(r'"([a-z_][a-z0-9_]*)"', grammar_text())
    return tuple(sorted({w.upper() for w in words}))


class _Comments:
    """The COMMENT callback, bound once: Lark copies callbacks into its lexers when it
    builds them, so swapping the callback per parse only ever reached the first parse."""

    def __init__(self) -> None:
        self.tokens: list[Token] = []

    def keep(self, token: Token) -> Token:
        self.tokens.append(token)
        return token


_COMMENTS = _Comments()


def _cache_path() -> str | bool:
    """A parser built at run time (the grammar differs from the shipped tables) is cached in
    the user's own cache dir, never in shared /tmp: Lark's cache is a pickle, and a file
    planted there by another user would run as code."""
    import hashlib

    from routinec.compiler.cache import user_cache_folder

    folder = user_cache_folder()
    if folder is None:
        return False
    import lark

    key = hashlib.sha256((grammar_text() + lark.__version__).encode()).hexdigest()[:16]
    return str(folder / f"grammar-{key}.lark-cache")


def _callbacks() -> dict[str, Any]:
    return {
        "LBRACE": _DEPTH.open,
        "LSQB": _DEPTH.open,
        "LPAR": _DEPTH.open,
        "RBRACE": _DEPTH.close,
        "RSQB": _DEPTH.close,
        "RPAR": _DEPTH.close,
        "COMMENT": _COMMENTS.keep,
        **{name: _KEYWORDS.check for name in _keyword_terminals()},
    }


_OPTIONS: dict[str, Any] = {"parser": "lalr", "propagate_positions": True, "maybe_placeholders": True}


def grammar_digest() -> str:
    import hashlib

    return hashlib.sha256(grammar_text().encode("utf-8")).hexdigest()


def build_tables() -> tuple[dict[str, Any], dict[Any, Any]]:
    """Build the LALR tables from the grammar (slow, ~0.6 s): Lark's serialized (data, memo)."""
    from lark import Lark
    from lark.grammar import Rule
    from lark.lexer import TerminalDef

    data, memo = Lark(grammar_text(), **_OPTIONS).memo_serialize([TerminalDef, Rule])
    return data, memo


def canonical_tables(data: dict[str, Any], memo: dict[Any, Any]) -> Any:
    """Lark's serialized tables with hash-order noise removed, for comparing two builds:
    memo references inlined, LALR states renumbered breadth-first from the start state."""

    def inline(value: Any) -> Any:
        if isinstance(value, dict):
            if set(value) == {"@"}:
                return inline(memo[value["@"]])
            return tuple(sorted((str(k), inline(v)) for k, v in value.items()))
        if isinstance(value, list | tuple):
            return tuple(inline(v) for v in value)
        return value

    table = data["parser"]["parser"]
    tokens, states = table["tokens"], table["states"]
    order: dict[Any, int] = {}
    queue = [table["start_states"]["start"]]
    while queue:
        state = queue.pop(0)
        if state in order:
            continue
        order[state] = len(order)
        for _tok, (action, arg) in sorted(states[state].items(), key=lambda kv: tokens[kv[0]]):
            if action == 0 and arg not in order:
                queue.append(arg)
    rows = tuple(
        tuple(sorted(
            (tokens[tok], ("shift", order[arg]) if action == 0 else ("reduce", inline(arg)))
            for tok, (action, arg) in states[state].items()
        ))
        for state in sorted(order, key=order.__getitem__)
    )
    rest = {k: v for k, v in data.items() if k != "parser"}
    parser_rest = {k: v for k, v in data["parser"].items() if k != "parser"}
    ends = tuple(sorted((k, order.get(v, -1)) for k, v in table["end_states"].items()))
    return (rows, ends, len(states), inline(rest), inline(parser_rest))


def _shipped() -> Lark | None:
    from lark import Lark

    """The parser from the tables generated at release time (scripts/gen_parser_tables.py),
    or None when they do not belong to this grammar or this Lark cannot read them."""
    try:
        from routinec.compiler import _parse_tables as shipped
    except ImportError:
        return None
    import lark

    # Serialized tables are a Lark internal: only the release that wrote them reads them.
    if grammar_digest() != shipped.GRAMMAR_SHA256 or lark.__version__ != shipped.LARK_VERSION:
        return None
    try:
        loaded: Lark = Lark._load_from_dict(  # type: ignore[no-untyped-call]
            shipped.DATA, shipped.MEMO, lexer_callbacks=_callbacks()
        )
    except Exception:  # another Lark's serialization: build instead
        return None
    return loaded


@lru_cache(maxsize=1)
def _parser() -> Lark:
    from lark import Lark

    loaded = _shipped()
    if loaded is not None:
        return loaded
    return Lark(grammar_text(), **_OPTIONS, lexer_callbacks=_callbacks(), cache=_cache_path())


@lru_cache(maxsize=1)
def _fast() -> tuple[FastLexer, Reducer] | None:
    """The tokenizer and LALR loop over the shipped tables; None when the tables are not this
    grammar's (a grammar edited without rerunning scripts/gen_parser_tables.py)."""
    try:
        from routinec.compiler import _lalr_tables as shipped
    except ImportError:
        return None
    if grammar_digest() != shipped.GRAMMAR_SHA256:
        return None
    try:
        reducer = Reducer(Tables(*shipped.TABLES))
    except ValueError:  # tables of a shape the loop does not run: Lark's parser reads every spec
        return None
    return FastLexer(shipped.KEYWORDS, shipped.PUNCT), reducer


def _fast_parse(text: str, path: str) -> ast.File | None:
    """Tokenize with FastLexer and reduce straight into AST nodes (compiler.lalr); None when
    either does not accept the text, and Lark's own lexer and parser then read it again, so
    every error and every accepted text is Lark's own."""
    fast = _fast()
    if fast is None:
        return None
    lexer, reducer = fast
    comments: list[Token] = []
    try:
        items = reducer.parse(lambda accepts: lexer.tokens(text, accepts, comments, MAX_DEPTH), _Build(path))
    except Exception:
        return None
    if items is None:
        return None
    return ast.File(path, items, _comments(comments, text))


@lru_cache(maxsize=1)
def _terminal_words() -> dict[str, str]:
    words = dict(_WORDS)
    for term in _parser().terminals:
        if term.name not in words and term.pattern.type == "str":
            words[term.name] = repr(term.pattern.value).replace('"', "'")
    return words


def _describe(names: set[str] | frozenset[str]) -> str:
    words = sorted({_terminal_words().get(n, n) for n in names})
    if len(words) > 20:
        return ", ".join(words[:20]) + ", …"
    if len(words) == 1:
        return words[0]
    return ", ".join(words[:-1]) + " or " + words[-1]


def _unquote(token: Token | str) -> str:
    text = str(token)
    if text.startswith('"""'):
        body = text[3:-3].replace("\r\n", "\n")
        # Triple strings are raw apart from \" and \\ so templates keep their backslashes.
        return body.replace('\\"', '"').replace("\\\\", "\\")
    if "\\" not in text:
        return text[1:-1]  # no escapes: JSON would give the text between the quotes as it is
    try:
        value = json.loads(text, strict=False)
    except ValueError:
        raise ValueError("bad escape") from None
    if not isinstance(value, str):
        raise ValueError("bad string")
    return value


_ESCAPE = re.compile(r'\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4})|\\(.?)', re.DOTALL)


def _bad_escape(tok: Token, path: str) -> _Located:
    """A string with an escape JSON does not know (`"^\\d{5}$"`): point at the escape and say
    how to write a backslash, which is what a regex or a path meant."""
    text = str(tok)
    for found in _ESCAPE.finditer(text):
        if found.group(1) is None:
            continue
        char = found.group(1)
        before = text[: found.start()]
        line = (tok.line or 0) + before.count("\n")
        column = (tok.column or 0) + found.start() if "\n" not in before else found.start() - before.rindex("\n")
        shown = "\\" + char if char.isprintable() and char else "\\"
        return _Located(
            f"invalid escape sequence '{shown}' in string",
            Span(path, line, column, line, column + len(shown)),
            f"write `\\{shown}` for a backslash and {char!r} (a regex's `\\d` is written `\\\\d`; "
            "strings take JSON escapes: \\n \\t \\\" \\\\ \\uXXXX)",
        )
    return _Located("invalid escape sequence in string", Span(path, tok.line or 0, tok.column or 0, tok.end_line or 0, tok.end_column or 0))


def _own_token(tok: Any) -> Token:
    """A `lark.Token` (Lark's route) as the fast route's `Token`, so the builder reads every
    token's positions the same way; Lark's missing positions (None) are 0, as spans have them."""
    return Token(
        tok.type, str(tok), tok.start_pos or 0, tok.line or 0, tok.column or 0,
        tok.end_line or 0, tok.end_column or 0, tok.end_pos or 0,
    )


class _Build:
    """Builds AST nodes only; every check lives in compiler.check.

    Its own bottom-up walk calls `rule(at, children)` directly: Lark's Transformer
    re-wraps `v_args` methods on every call, which was a tenth of a large lock's time.
    Depth is bounded by MAX_DEPTH, so the recursion cannot run away.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self._handlers: dict[str, Any] = {}
        self.tree_type: type = type(None)  # lark.Tree, set by _to_ast (Lark's route only)

    def transform(self, tree: Any) -> Any:
        handler = self._handlers.get(tree.data)
        if handler is None:
            handler = self._handlers[tree.data] = getattr(self, str(tree.data))
        tree_type = self.tree_type
        children = [
            self.transform(c) if type(c) is tree_type else None if c is None else _own_token(c)
            for c in tree.children
        ]
        meta = tree.meta
        at = () if meta.empty else (
            meta.line, meta.column, meta.start_pos, meta.end_line, meta.end_column, meta.end_pos
        )
        return handler(at, children)

    def unq(self, tok: Token) -> str:
        try:
            return _unquote(tok)
        except ValueError:
            raise _bad_escape(tok, self.path) from None

    def span(self, at: tuple[int, ...]) -> Span:
        """The span of a node whose range is `at`: (line, column, start_pos, end_line,
        end_column, end_pos), or () when nothing in it has a position."""
        if not at:
            return Span(self.path)
        return Span(self.path, at[0], at[1], at[3], at[4])

    def tspan(self, tok: Token) -> Span:
        at = tok.pos
        return Span(self.path, at[0], at[1], at[3], at[4])

    # ---- literals
    def string(self, at: Any, children: list[Token]) -> tuple[str, Token, bool, int]:
        """(text, token, triple-quoted, line): the statement that reads it makes the span."""
        tok = children[0]
        return (self.unq(tok), tok, tok.type == "TRIPLE_STRING", tok.pos[0])

    def value_string(self, at: Any, children: list[Token]) -> str:
        return self.unq(children[0])

    def number(self, at: Any, children: list[Token]) -> Decimal:
        return _decimal(children[0], self)

    def true(self, at: Any, _: list[Any]) -> bool:
        return True

    def false(self, at: Any, _: list[Any]) -> bool:
        return False

    def null(self, at: Any, _: list[Any]) -> None:
        return None

    def array(self, at: Any, children: list[Any]) -> list[Any]:
        return [_plain(c) for c in children]

    def object(self, at: Any, children: list[Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in children:
            out[key] = value
        return out

    stmt_object = object

    def pair(self, at: Any, children: list[Any]) -> tuple[str, Any]:
        key = children[0]
        name = self.unq(key) if key.type == "STRING" else str(key)
        return (name, _plain(children[1]))

    # ---- types and fields
    def named_type(self, at: Any, children: list[Token]) -> ast.NamedType:
        return ast.NamedType(str(children[0]), self.span(at))

    def list_type(self, at: Any, children: list[Any]) -> ast.ListType:
        return ast.ListType(children[0], self.span(at))

    def literal_union(self, at: Any, children: list[Token]) -> ast.LiteralUnion:
        return ast.LiteralUnion(tuple(self.unq(c) for c in children), self.span(at))

    def constraint(self, at: Any, children: list[Any]) -> ast.Constraint:
        return ast.Constraint(str(children[0]), _plain(children[1]), self.span(at))

    def constraints(self, at: Any, children: list[Any]) -> tuple[ast.Constraint, ...]:
        return tuple(c for c in children if c is not None)

    def default(self, at: Any, children: list[Any]) -> tuple[Any, Span]:
        return (_plain(children[0]), self.span(at))

    def field(self, at: Any, children: list[Any]) -> ast.Field:
        name, optional, type_, constraints, default = children
        return ast.Field(
            name=str(name),
            optional=optional is not None,
            type=type_,
            constraints=constraints or (),
            default=default[0] if default is not None else None,
            has_default=default is not None,
            span=self.tspan(name),
            default_span=default[1] if default is not None else None,
        )

    def type_def(self, at: Any, children: list[Any]) -> ast.TypeDef:
        name = children[0]
        return ast.TypeDef(str(name), tuple(children[1:]), self.tspan(name))

    # ---- routine statements: each becomes (keyword, payload, at), the statement's range
    # made a span only where one is kept (a repeated statement, a test's input)
    def _setting(self, key: str, at: Any, value: Any, vspan: Span) -> tuple[str, Any, Any]:
        return (key, ast.Setting(key, value, self.span(at), vspan), at)

    def description_stmt(self, at: Any, children: list[Any]) -> tuple[str, Any, Any]:
        return ("description", children[0][0], at)

    def model_stmt(self, at: Any, children: list[Any]) -> tuple[str, Any, Any]:
        text, tok, _, _ = children[0]
        return self._setting("model", at, text, self.tspan(tok))

    def _param_stmt(self, key: str, at: Any, c: list[Any]) -> tuple[str, Any, Any]:
        """A parameter statement; its value's shape comes from the parameter table."""
        kind = BY_KEYWORD[key].kind
        if kind == "strings":
            return self._setting(key, at, tuple(s[0] for s in c if s is not None), self.span(at))
        value = str(c[0]) if kind == "enum" else _decimal(c[0], self)
        return self._setting(key, at, value, self.tspan(c[0]))

    def state_stmt(self, at: Any, c: list[Token]) -> tuple[str, Any, Any]:
        return self._setting("state", at, str(c[0]), self.tspan(c[0]))

    def inline_template(self, at: Any, c: list[Any]) -> ast.Template:
        text, _, triple, line = c[0]
        return ast.Template(text, None, self.span(at), text_line=line, triple=triple)

    def file_template(self, at: Any, c: list[Token]) -> ast.Template:
        return ast.Template(None, self.unq(c[0]), self.tspan(c[0]))

    def system_stmt(self, at: Any, c: list[Any]) -> tuple[str, Any, Any]:
        return ("system", c[0], at)

    def prompt_stmt(self, at: Any, c: list[Any]) -> tuple[str, Any, Any]:
        return ("prompt", c[0], at)

    def input_block(self, at: Any, c: list[Any]) -> tuple[str, Any, Any]:
        return ("input", tuple(c), at)

    def output_block(self, at: Any, c: list[Any]) -> tuple[str, Any, Any]:
        return ("output", tuple(c), at)

    def consumer_name(self, at: Any, c: list[Token]) -> ast.ConsumerRef:
        return ast.ConsumerRef(str(c[0]), False, self.tspan(c[0]))

    def consumer_file(self, at: Any, c: list[Token]) -> ast.ConsumerRef:
        return ast.ConsumerRef(self.unq(c[0]), True, self.tspan(c[0]))

    def consumers_stmt(self, at: Any, c: list[Any]) -> tuple[str, Any, Any]:
        return ("consumers", tuple(x for x in c if x is not None), at)

    # ---- tools, limits and triggers
    def option_word(self, at: Any, c: list[Token]) -> str:
        return str(c[0])

    # an option's values build as `_value`'s do (their own rules only for the grammar's sake)
    option_string = string
    option_number = number
    option_true = true
    option_false = false
    option_null = null
    option_array = array
    option_object = object

    def tool_option(self, at: Any, c: list[Any]) -> ast.ToolOption:
        return ast.ToolOption(str(c[0]), _plain(c[1]), self.span(at))

    def _tool(self, kind: str, at: Any, c: list[Any]) -> tuple[str, Any, Any]:
        name, target = c[0], c[1]
        options: list[ast.ToolOption] = []
        inputs: tuple[ast.Field, ...] | None = None
        count = 0
        for item in c[2:]:
            if isinstance(item, ast.ToolOption):
                options.append(item)
            else:  # ("input", fields, span) from input_block
                count += 1
                inputs = (inputs or ()) + item[1]
        tool = ast.ToolDef(
            str(name), kind, self.unq(target), tuple(options), inputs, self.span(at),
            self.tspan(name), self.tspan(target), count,
        )
        return ("tool", tool, at)

    def tool_def(self, at: Any, c: list[Any]) -> tuple[str, Any, Any]:
        return self._tool("python", at, c)

    def server_tool_def(self, at: Any, c: list[Any]) -> tuple[str, Any, Any]:
        return self._tool("server", at, c)

    def max_turns_stmt(self, at: Any, c: list[Token]) -> tuple[str, Any, Any]:
        return self._setting("max_turns", at, _decimal(c[0], self), self.tspan(c[0]))

    def max_tool_calls_stmt(self, at: Any, c: list[Token]) -> tuple[str, Any, Any]:
        return self._setting("max_tool_calls", at, _decimal(c[0], self), self.tspan(c[0]))

    def parallel_tools_stmt(self, at: Any, c: list[Any]) -> tuple[str, Any, Any]:
        return self._setting("parallel_tools", at, bool(c[0]), self.span(at))

    def tool_choice_stmt(self, at: Any, c: list[Token]) -> tuple[str, Any, Any]:
        return self._setting("tool_choice", at, str(c[0]), self.tspan(c[0]))

    def on_string(self, at: Any, c: list[Token]) -> str:
        return self.unq(c[0])

    def on_names(self, at: Any, c: list[Any]) -> tuple[str, ...]:
        return tuple(str(x) for x in c if x is not None)

    def on_stmt(self, at: Any, c: list[Any]) -> tuple[str, Any, Any]:
        return ("on", ast.Trigger(str(c[0]), c[1], self.span(at)), at)

    def expect_tools(self, at: Any, c: list[Any]) -> tuple[str, Any, Any]:
        names = tuple(str(x) for x in c if x is not None)
        return ("expect", ast.ToolExpect("tools", names, self.span(at)), at)

    def expect_tool(self, at: Any, c: list[Any]) -> tuple[str, Any, Any]:
        return ("expect", ast.ToolExpect("tool", (str(c[0]), c[1]), self.span(at)), at)

    def expect_turns(self, at: Any, c: list[Token]) -> tuple[str, Any, Any]:
        return ("expect", ast.ToolExpect("turns", _decimal(c[-1], self), self.span(at)), at)

    # ---- tests
    def test_input_file(self, at: Any, c: list[Token]) -> tuple[str, Any, Any]:
        return ("input_file", self.unq(c[0]), at)

    def test_input_inline(self, at: Any, c: list[Any]) -> tuple[str, Any, Any]:
        return ("input_value", c[0], at)

    def compare_args(self, at: Any, c: list[Token]) -> tuple[str, Decimal]:
        return (str(c[0]), _decimal(c[1], self))

    def compare_item(self, at: Any, c: list[Any]) -> ast.CompareItem:
        field, rule, args = c
        return ast.CompareItem(
            str(field),
            str(rule),
            args[0] if args else None,
            args[1] if args else None,
            self.span(at),
        )

    def compare_block(self, at: Any, c: list[Any]) -> tuple[str, Any, Any]:
        return ("compare", tuple(x for x in c if x is not None), at)

    def test_block(self, at: Any, c: list[Any]) -> tuple[str, Any, Any]:
        name = c[0]
        input_file = input_value = None
        input_span = None
        compare: tuple[ast.CompareItem, ...] = ()
        n_input = n_compare = 0
        trajectory: list[ast.ToolExpect] = []
        for kind, payload, stmt_at in c[1:]:
            if kind == "expect":
                trajectory.append(payload)
            elif kind == "compare":
                n_compare += 1
                compare = compare + payload
            else:
                n_input += 1
                input_span = self.span(stmt_at)
                if kind == "input_file":
                    input_file = payload
                else:
                    input_value = payload
        test = ast.TestDef(
            str(name), input_file, input_value, compare, self.tspan(name),
            input_span, n_input, n_compare, tuple(trajectory),
        )
        return ("test", test, at)

    def routine_def(self, at: Any, c: list[Any]) -> ast.RoutineDef:
        name, version = c[0], c[1]
        settings: list[ast.Setting] = []
        single: dict[str, Any] = {}
        repeats: list[tuple[str, Span]] = []
        consumers: list[ast.ConsumerRef] = []
        tests: list[ast.TestDef] = []
        tools: list[ast.ToolDef] = []
        triggers: list[ast.Trigger] = []
        for kind, payload, stmt_at in c[2:]:
            if kind == "test":
                tests.append(payload)
                continue
            if kind == "tool":
                tools.append(payload)
                continue
            if kind == "on":
                triggers.append(payload)
                continue
            if kind in single or (kind == "consumers" and consumers):
                repeats.append((kind, self.span(stmt_at)))
                continue
            if kind == "consumers":
                consumers.extend(payload)
                single[kind] = payload
            elif isinstance(payload, ast.Setting):
                settings.append(payload)
                single[kind] = payload
            else:
                single[kind] = payload
        return ast.RoutineDef(
            name=str(name),
            version=int(str(version)[1:]),
            settings=ast.Settings(tuple(settings)),
            system=single.get("system"),
            prompt=single.get("prompt"),
            inputs=single.get("input"),
            outputs=single.get("output"),
            consumers=tuple(consumers),
            tests=tuple(tests),
            span=self.span(at),
            name_span=self.tspan(name),
            repeats=tuple(repeats),
            description=single.get("description"),
            tools=tuple(tools),
            triggers=tuple(triggers),
        )

    def expects_block(self, at: Any, c: list[Any]) -> tuple[str, Any, Any]:
        return ("expects", tuple(c), at)

    def consumer_def(self, at: Any, c: list[Any]) -> ast.ConsumerDef:
        name = c[0]
        description = None
        expects: tuple[ast.Field, ...] = ()
        count = 0
        for kind, payload, _ in c[1:]:
            if kind == "description":
                description = payload
            else:
                count += 1
                expects = expects + payload
        return ast.ConsumerDef(
            str(name), description, expects, self.span(at), self.tspan(name), count
        )

    def start(self, at: Any, children: list[Any]) -> tuple[Any, ...]:
        return tuple(children)


# One `KEYWORD_stmt` rule per parameter in the grammar; one callback for them all.
for _param in PARAMS:
    setattr(
        _Build,
        f"{_param.keyword}_stmt",
        lambda self, at, c, _key=_param.keyword: self._param_stmt(_key, at, c),
    )


class _Located(Exception):
    def __init__(self, message: str, span: Span, help_: str | None = None) -> None:
        super().__init__(message)
        self.span = span
        self.help = help_


def _decimal(tok: Token, build: _Build) -> Decimal:
    try:
        value = Decimal(str(tok))
    except InvalidOperation:
        raise _Located(f"invalid number {tok}", build.tspan(tok)) from None
    if not value.is_finite() or abs(value.adjusted()) > 100:
        raise _Located(f"number {tok} is out of range", build.tspan(tok))
    return value


def _plain(value: Any) -> Any:
    """Strings arrive from the `string` rule as (text, token, triple, line); keep the text."""
    if type(value) is tuple and len(value) == 4 and type(value[1]) is Token:
        return value[0]
    return value


def _syntax(path: str, exc: UnexpectedInput, text: str) -> Diagnostic:
    from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedToken

    line = getattr(exc, "line", 0) or 0
    column = getattr(exc, "column", 0) or 0
    help_: str | None = None
    if isinstance(exc, UnexpectedCharacters):
        pos = exc.pos_in_stream or 0
        char = text[pos] if pos < len(text) else ""
        if char == '"':
            message = "unterminated string"
            help_ = 'close the string with " on the same line, or use """…""" for several lines'
        else:
            message = f"unexpected character {char!r}"
            allowed = exc.allowed or set()
            if allowed:
                help_ = f"expected {_describe(allowed)}"
        return Diagnostic(Code.SYNTAX, Severity.ERROR, message, Span(path, line, column, line, column + 1), help_)
    if isinstance(exc, UnexpectedEOF | UnexpectedToken):
        tok = getattr(exc, "token", None)
        stopped = len(text) if tok is None or tok.type == "$END" else (tok.start_pos or 0)
        said = _unclosed(path, text, stopped)
        if said is None and tok is not None and str(tok) == "[":
            said = _generic_list(path, text, tok.start_pos or 0)
        if said is not None:
            return said
    if isinstance(exc, UnexpectedEOF):
        lines = text.splitlines() or [""]
        line, column = len(lines), len(lines[-1]) + 1
        expected = _describe(set(exc.expected))
        return Diagnostic(
            Code.SYNTAX, Severity.ERROR, f"unexpected end of file, expected {expected}",
            Span(path, line, column, line, column + 1), "a '{' block may be missing its '}'",
        )
    assert isinstance(exc, UnexpectedToken)
    tok = exc.token
    expected_names = set(exc.expected)
    if tok.type == "$END":
        lines = text.splitlines() or [""]
        line, column = len(lines), len(lines[-1]) + 1
        found = "end of file"
        span = Span(path, line, column, line, column + 1)
        help_ = "a '{' block may be missing its '}'" if "RBRACE" in expected_names else None
    else:
        found = repr(str(tok)) if len(str(tok)) <= 40 else repr(str(tok)[:40] + "…")
        span = Span(path, tok.line or line, tok.column or column, tok.end_line or line,
                    tok.end_column or column + 1)
    if expected_names == {"VERSION"}:
        help_ = "a routine needs a version: `routine NAME v1 { … }`"
    elif "COLON" in expected_names and tok.type in ("NAME", "RBRACE"):
        help_ = "fields are written `name: type`, e.g. `title: string`"
    elif tok.type == "NAME" and "RBRACE" in expected_names and len(expected_names) > 3:
        help_ = f"{str(tok)!r} is not a statement here"
    return Diagnostic(
        Code.SYNTAX, Severity.ERROR,
        f"unexpected {found}, expected {_describe(expected_names)}", span, help_,
    )


def _unclosed(path: str, text: str, stopped: int) -> Diagnostic | None:
    """A missing `}`, said at the block it fails to close, not where the parser stopped."""
    from routinec.compiler.syntax_help import unclosed_block

    brace = unclosed_block(text, stopped)
    if brace is None:
        return None
    head = brace.head(text)
    line, column = brace.line, brace.indent + 1
    at_line, at_column = text_position(text, stopped)
    where = "the end of the file" if stopped >= len(text.rstrip()) else f"line {at_line}:{at_column}"
    return Diagnostic(
        Code.SYNTAX, Severity.ERROR, f"the `{head} {{` block is not closed: its '}}' is missing",
        Span(path, line, column, brace.line, brace.column + 1),
        f"add '}}' where the block ends (without it the parser read on to {where})",
    )


def _generic_list(path: str, text: str, bracket: int) -> Diagnostic | None:
    from routinec.compiler.syntax_help import generic_list

    found = generic_list(text, bracket)
    if found is None:
        return None
    word, start, end, instead = found
    line, column = text_position(text, start)
    end_line, end_column = text_position(text, end)
    return Diagnostic(
        Code.SYNTAX, Severity.ERROR, f"`{word}[…]` is not a type: types are written `list[T]`",
        Span(path, line, column, end_line, end_column), f"write `{instead}`",
    )


def _comments(tokens: list[Token], text: str) -> tuple[ast.Comment, ...]:
    out: list[ast.Comment] = []
    lines = text.split("\n")
    for tok in tokens:
        line = tok.line or 0
        col = tok.column or 0
        before = lines[line - 1][: col - 1] if 0 < line <= len(lines) else ""
        out.append(ast.Comment(str(tok).rstrip("\r"), line, col, bool(before.strip())))
    return tuple(out)


def parse_text(text: str, path: str) -> ast.File:
    """Parse one spec. Raises DiagnosticError (code `syntax`) on any malformed input."""
    if "\x00" in text:
        line, col = text_position(text, text.index("\x00"))
        raise DiagnosticError([Diagnostic(
            Code.ENCODING, Severity.ERROR, "the file contains NUL bytes; is it a binary file?",
            Span(path, line, col, line, col + 1), "a .routine spec is UTF-8 text",
        )])
    fast = _fast_parse(text, path)
    if fast is not None:
        return fast
    return _to_ast(*_lark_parse(text, path), text, path)


def _lark_parse(text: str, path: str) -> tuple[Tree[Any], list[Token]]:
    """Lark's own contextual lexer and parser: the reference, and every error's wording."""
    from lark.exceptions import UnexpectedInput

    parser = _parser()
    _DEPTH.depth = 0
    comments: list[Token] = []
    _COMMENTS.tokens = comments
    _KEYWORDS.text = text
    try:
        tree = parser.parse(text)
    except UnexpectedInput as exc:
        raise DiagnosticError([_syntax(path, exc, text)]) from None
    except _Fused as exc:
        tok = exc.token
        end = tok.end_pos or 0
        word = re.match(r"\w*", text[end:])
        rest = word.group(0) if word else ""
        raise DiagnosticError([Diagnostic(
            Code.SYNTAX, Severity.ERROR, f"unexpected name {str(tok) + rest!r}",
            Span(path, tok.line or 0, tok.column or 0, tok.line or 0, (tok.column or 0) + len(str(tok)) + len(rest)),
            f"did you mean `{tok} {rest}`? put a space after the keyword",
        )]) from None
    except _TooDeep as exc:
        tok = exc.token
        raise DiagnosticError([Diagnostic(
            Code.SYNTAX, Severity.ERROR, f"nesting deeper than {MAX_DEPTH} levels",
            Span(path, tok.line or 0, tok.column or 0, tok.end_line or 0, tok.end_column or 0),
            "flatten the structure with named `type` blocks",
        )]) from None
    finally:
        _COMMENTS.tokens = []
        _KEYWORDS.text = ""
    return tree, comments


def _to_ast(tree: Tree[Any], comments: list[Token], text: str, path: str) -> ast.File:
    from lark import Tree

    builder = _Build(path)
    builder.tree_type = Tree
    try:
        items = builder.transform(tree)
    except _Located as exc:
        raise DiagnosticError([Diagnostic(Code.SYNTAX, Severity.ERROR, str(exc), exc.span, exc.help)]) from None
    return ast.File(path, items, _comments(comments, text))


def parse_file(data: bytes, path: str) -> ast.File:
    """Decode (UTF-8, optional BOM) and parse; undecodable bytes are a located diagnostic."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        pos = exc.start
        line = data.count(b"\n", 0, pos) + 1
        col = pos - (data.rfind(b"\n", 0, pos) + 1) + 1
        raise DiagnosticError([Diagnostic(
            Code.ENCODING, Severity.ERROR, f"the file is not UTF-8 (byte 0x{data[pos]:02x})",
            Span(path, line, col, line, col + 1), "save the spec as UTF-8 text",
        )]) from None
    return parse_text(text, path)

