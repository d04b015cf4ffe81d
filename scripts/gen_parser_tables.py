"""Write the parser tables of grammar/routine.lark, prebuilt, into src/routinec/compiler/:

  _lalr_tables.py   compact tables for compiler.lalr and the fast tokenizer (compiler.lexer):
                    how every valid spec is read, without importing Lark
  _parse_tables.py  Lark's own serialized parser: how Lark re-reads a spec to word an error

    python scripts/gen_parser_tables.py           # rewrite both modules
    python scripts/gen_parser_tables.py --check   # exit 1 when either is stale

Run it after every grammar change (tests/compiler/test_parse_tables.py fails until you do).
Shipping the tables saves the first run after install ~0.6 s of LALR table construction.
Lark numbers states in hash order, so two builds differ in bytes; _lalr_tables numbers them
breadth-first from the start state (same grammar, same bytes), and --check compares Lark's
tables through `canonical_tables`.
"""

from __future__ import annotations

import pprint
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent / "src" / "routinec" / "compiler"
TARGET = HERE / "_parse_tables.py"
COMPACT = HERE / "_lalr_tables.py"

HEADER = '''"""Compiler layer, generated data: the LALR tables of grammar/routine.lark (Lark's serialized form).

Written by scripts/gen_parser_tables.py; do not edit. compiler.parse uses them only when
GRAMMAR_SHA256 matches the grammar it loads, and builds from the grammar otherwise.
"""

# ruff: noqa
# fmt: off
from typing import Any

'''

COMPACT_HEADER = '''"""Compiler layer, generated data: the LALR tables of grammar/routine.lark as plain data.

Written by scripts/gen_parser_tables.py; do not edit. KEYWORDS and PUNCT are the fast
tokenizer's terminals (compiler.lexer); TABLES is a compiler.lalr.Tables (start, end, states,
rules). compiler.parse uses them only when GRAMMAR_SHA256 matches the grammar it loads.
"""

# ruff: noqa
# fmt: off
from typing import Any

'''


def render() -> str:
    import lark

    from routinec.compiler.parse import build_tables, grammar_digest

    data, memo = build_tables()
    return (
        HEADER
        + f"GRAMMAR_SHA256 = {grammar_digest()!r}\n"
        + f"LARK_VERSION = {lark.__version__!r}\n\n"
        + f"DATA: dict[str, Any] = {pprint.pformat(data, width=100, sort_dicts=True)}\n\n"
        + f"MEMO: dict[Any, Any] = {pprint.pformat(memo, width=100, sort_dicts=True)}\n"
    )


def render_compact() -> str:
    from lark import Lark

    from routinec.compiler.lalr import tables_from_lark
    from routinec.compiler.lexer import fast_lexer_for
    from routinec.compiler.parse import _OPTIONS, grammar_digest, grammar_text

    parser = Lark(grammar_text(), **_OPTIONS)
    lexer = fast_lexer_for(list(parser.terminals))
    if lexer is None:
        raise SystemExit("the grammar's terminals are not the ones compiler/lexer.py was written for")
    tables = tables_from_lark(parser.parser.parser.parser.parse_table, parser.rules)
    return (
        COMPACT_HEADER
        + f"GRAMMAR_SHA256 = {grammar_digest()!r}\n\n"
        + f"KEYWORDS: dict[str, str] = {pprint.pformat(lexer.keywords, width=100, sort_dicts=True)}\n\n"
        + f"PUNCT: dict[str, str] = {pprint.pformat(lexer.punct, width=100, sort_dicts=True)}\n\n"
        + f"TABLES: Any = {pprint.pformat(tuple(tables), width=100, sort_dicts=True)}\n"
    )


def main() -> int:
    if "--check" in sys.argv[1:]:
        from routinec.compiler import _parse_tables as shipped
        from routinec.compiler.parse import build_tables, canonical_tables

        stale = canonical_tables(shipped.DATA, shipped.MEMO) != canonical_tables(*build_tables())
        stale = stale or COMPACT.read_text("utf-8") != render_compact()
        if stale:
            print("the parser tables are stale: run python scripts/gen_parser_tables.py", file=sys.stderr)
            return 1
        return 0
    TARGET.write_text(render(), "utf-8")
    COMPACT.write_text(render_compact(), "utf-8")
    print(f"wrote {TARGET} and {COMPACT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
