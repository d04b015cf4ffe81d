"""Fuzz driver: generated and mutated specs, and corrupted lock/transcript/golden files, run
through the CLI in a worker process with a hang guard; figures per category.

Specs come from the grammar strategies of `tests/compiler/test_grammar_properties.py`
(`SPECS`, `_mutated`) and from `strategies.SEMANTIC` (well-formed routines with random types,
constraints, defaults and numbers, plain or mutated), so cases reach `check`'s semantics and
`lock`'s compat gates, not only the parser.
"""

from __future__ import annotations

import base64
import json
import os
import random
import selectors
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.fuzz import corrupt

ROOT = Path(__file__).resolve().parents[2]
HANG_SECONDS = 5.0  # a case slower than this is reported as a hang
GUARD_SECONDS = 60.0  # the worker is killed and restarted past this


@dataclass
class Figures:
    name: str
    cases: int = 0
    problems: list[str] = field(default_factory=list)  # internal errors, uncaught exceptions
    hangs: list[str] = field(default_factory=list)  # the guard fired: no answer at all
    slow: list[str] = field(default_factory=list)  # answered, but one command took over 5 s
    max_seconds: float = 0.0
    slowest: str = ""
    exits: Counter[str] = field(default_factory=Counter)
    accepted: Counter[str] = field(default_factory=Counter)  # corruptions that still exit 0
    must_fail_accepted: list[str] = field(default_factory=list)
    per_kind: Counter[str] = field(default_factory=Counter)

    def report(self) -> str:
        lines = [
            f"== {self.name}: {self.cases} cases, {len(self.problems)} internal errors, "
            f"{len(self.hangs)} hangs (no answer in {GUARD_SECONDS:g} s), {len(self.slow)} over {HANG_SECONDS:g} s, "
            f"max {self.max_seconds:.2f} s ({self.slowest})",
            "   exit codes: " + ", ".join(f"{k}: {v}" for k, v in sorted(self.exits.items())),
        ]
        if self.per_kind:
            lines.append("   cases per kind: " + ", ".join(f"{k}: {v}" for k, v in sorted(self.per_kind.items())))
        if self.accepted:
            lines.append("   still valid (exit 0): " + ", ".join(f"{k}: {v}" for k, v in sorted(self.accepted.items())))
        lines += [f"   PROBLEM {p}" for p in self.problems[:20]]
        lines += [f"   HANG {h}" for h in self.hangs[:20]]
        lines += [f"   SLOW {h}" for h in self.slow[:20]]
        lines += [f"   ACCEPTED (must fail) {m}" for m in self.must_fail_accepted[:20]]
        return "\n".join(lines)

    @property
    def ok(self) -> bool:
        """No internal error, hang or accepted corruption. (Slow cases are figures for the nox
        session to judge; a test on a shared machine must not fail on wall time.)"""
        return not (self.problems or self.hangs or self.must_fail_accepted)


class Worker:
    """`python -m tests.fuzz.worker`, restarted after a hang."""

    def __init__(self) -> None:
        self.proc: subprocess.Popen[str] | None = None

    def _start(self) -> subprocess.Popen[str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC_", "ROUTINEC_"))}
        env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
        return subprocess.Popen(
            [sys.executable, "-m", "tests.fuzz.worker"],
            cwd=ROOT, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, encoding="utf-8",
        )

    def ask(self, request: dict[str, Any]) -> dict[str, Any] | None:
        """The answer, or None when the guard fired (the worker is then replaced)."""
        if self.proc is None or self.proc.poll() is not None:
            self.proc = self._start()
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(json.dumps(request) + "\n")
        self.proc.stdin.flush()
        with selectors.DefaultSelector() as sel:
            sel.register(self.proc.stdout, selectors.EVENT_READ)
            ready = sel.select(GUARD_SECONDS)
        line = self.proc.stdout.readline() if ready else ""
        if not line:
            self.close()
            return None
        answer: dict[str, Any] = json.loads(line)
        return answer

    def close(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            self.proc = None


def _account(fig: Figures, label: str, answer: dict[str, Any] | None) -> list[list[Any]]:
    fig.cases += 1
    if answer is None:
        fig.hangs.append(f"{label}: no answer within {GUARD_SECONDS:g} s")
        return []
    runs: list[list[Any]] = answer["runs"]
    for cmd, code, seconds, problem, _out in runs:
        fig.exits[f"{cmd}={code}"] += 1
        if seconds > fig.max_seconds:
            fig.max_seconds, fig.slowest = seconds, f"{label}, {cmd}"
        if seconds > HANG_SECONDS:
            fig.slow.append(f"{label}: {cmd} took {seconds:.1f} s")
        if problem:
            fig.problems.append(f"{label}: {cmd}: {problem}")
    return runs


def run_specs(n: int, seed: int, worker: Worker, *, keep: Path | None = None) -> Figures:
    """`n` generated specs through check, lock and fmt --check."""
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import seed as hseed

    from tests.fuzz.strategies import ALL_SPECS

    fig = Figures("specs (check, lock, fmt --check)")
    # Chunks of at most 1,000 examples, each with its own seed: one huge @given run keeps every
    # example's choices in memory and generates ever more slowly.
    for chunk, start in enumerate(range(0, n, 1000)):

        @hseed(seed * 1_000_003 + chunk)
        @settings(
            max_examples=min(1000, n - start), database=None, deadline=None, phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(ALL_SPECS)
        def case(spec: tuple[str, str]) -> None:
            kind, text = spec
            fig.per_kind[kind] += 1
            before = len(fig.problems) + len(fig.hangs) + len(fig.slow)
            _account(fig, f"spec #{fig.cases} ({kind})", worker.ask({"spec": text}))
            if fig.cases % 5000 == 0:  # progress for long runs
                print(f"   ... {fig.cases} specs, {len(fig.problems)} internal errors, max {fig.max_seconds:.2f} s",
                      file=sys.stderr, flush=True)
            if keep is not None and len(fig.problems) + len(fig.hangs) + len(fig.slow) > before:
                keep.mkdir(parents=True, exist_ok=True)
                (keep / f"spec-{fig.cases:06d}.routine").write_text(text, "utf-8", newline="")

        case()
    return fig


def run_corruptions(n: int, seed: int, worker: Worker) -> list[Figures]:
    """`n` corruptions of each file kind, each through the commands that read that file."""
    rng = random.Random(seed)
    out = []
    for kind, (rel, cmds) in corrupt.TARGETS.items():
        fig = Figures(f"corrupt {kind} ({rel}; {', '.join(' '.join(c) for c in cmds)})")
        original = (ROOT / rel).read_bytes()
        for i in range(n):
            how, data = corrupt.corrupt(original, rng, kind)
            fig.per_kind[how] += 1
            label = f"{kind} #{i} ({how})"
            runs = _account(fig, label, worker.ask({"file": rel, "data": base64.b64encode(data).decode(), "cmds": cmds}))
            codes = [r[1] for r in runs]
            if runs and all(c == 0 for c in codes):
                fig.accepted[how] += 1
                if how in corrupt.MUST_FAIL:
                    fig.must_fail_accepted.append(label)
        out.append(fig)
    return out


def run_all(specs: int, corruptions: int, seed: int, keep: Path | None = None) -> list[Figures]:
    worker = Worker()
    try:
        figures = []
        if specs:
            start = time.monotonic()
            figures.append(run_specs(specs, seed, worker, keep=keep))
            print(f"   ({time.monotonic() - start:.0f} s)", file=sys.stderr)
        if corruptions:
            figures.extend(run_corruptions(corruptions, seed, worker))
        return figures
    finally:
        worker.close()
