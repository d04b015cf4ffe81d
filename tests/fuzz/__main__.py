"""`python -m tests.fuzz --specs N --corruptions N --kills N [--seed S]`: print figures,
exit 1 if any case found an internal error, a hang, an accepted corruption or a torn file."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.fuzz")
    parser.add_argument("--specs", type=int, default=100_000, help="generated and mutated specs")
    parser.add_argument("--corruptions", type=int, default=200, help="corruptions per file kind")
    parser.add_argument("--kills", type=int, default=100, help="SIGKILLs per scenario")
    parser.add_argument("--kill-routines", type=int, default=1_000, help="routines in the killed lock's project")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--keep", type=Path, default=None, help="write failing specs here")
    args = parser.parse_args(argv)

    from tests.fuzz.driver import run_all
    from tests.fuzz.kill import run_kills

    figures = run_all(args.specs, args.corruptions, args.seed, keep=args.keep)
    ok = True
    for fig in figures:
        print(fig.report(), flush=True)
        ok &= fig.ok and not fig.slow
    if args.kills:
        for line, good in run_kills(args.kills, args.kill_routines, args.seed):
            print(line, flush=True)
            ok &= good
    print("fuzz: OK" if ok else "fuzz: FAILURES (see above)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
