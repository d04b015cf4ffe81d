"""Write src/routinec/compiler/_parse_tables.py: the LALR tables of grammar/routine.lark, prebuilt.

    python scripts/gen_parser_tables.py           # rewrite the module
    python scripts/gen_parser_tables.py --check   # exit 1 when it is stale

Run it after every grammar change (tests/compiler/test_parse_tables.py fails until you do).
Shipping the tables saves the first run after install ~0.6 s of LALR table construction.
Lark numbers states in hash order, so two builds differ in bytes; --check and the test
compare `canonical_tables` (states renumbered from the start state) instead.
"""

from __future__ import annotations

import pprint
import sys
from pathlib import Path

TARGET = Path(__file__).resolve().parent.parent / "src" / "routinec" / "compiler" / "_parse_tables.py"

HEADER = '''"""Compiler layer, generated data: the LALR tables of grammar/routine.lark (Lark's serialized form).

Written by scripts/gen_parser_tables.py; do not edit. compiler.parse uses them only when
GRAMMAR_SHA256 matches the grammar it loads, and builds from the grammar otherwise.
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


def main() -> int:
    if "--check" in sys.argv[1:]:
        from routinec.compiler import _parse_tables as shipped
        from routinec.compiler.parse import build_tables, canonical_tables

        if canonical_tables(shipped.DATA, shipped.MEMO) != canonical_tables(*build_tables()):
            print(f"{TARGET} is stale: run python scripts/gen_parser_tables.py", file=sys.stderr)
            return 1
        return 0
    TARGET.write_text(render(), "utf-8")
    print(f"wrote {TARGET}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
