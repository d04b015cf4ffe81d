"""Runtime layer: record (or drift-check) many test cases concurrently, interruptibly.

In: a record- or live-mode `Runtime`, the (routine, case) pairs and a job count. Out: one
`CaseOutcome` per finished case. Ctrl-C stops cleanly: transcripts already written stay,
no write is left half done (writes are atomic and the write lock is held on the way out).
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable

from routinec.codes import Code
from routinec.runtime.core import Runtime
from routinec.runtime.errors import RoutineError
from routinec.runtime.suite import CaseOutcome, compare_with_golden, project_relative, run_case

__all__ = ["Progress", "RunSummary", "record_case", "run_many"]

Progress = Callable[[int, int, int], None]  # (done, total, tokens so far)


class RunSummary:
    def __init__(
        self, outcomes: list[CaseOutcome], interrupted: bool, total: int, written: int = 0
    ) -> None:
        self.outcomes = sorted(outcomes, key=lambda o: (o.routine, o.case))
        self.interrupted = interrupted
        self.total = total
        # Counted by the runtime under its write lock, so an interrupt that lands between a
        # worker's write and its outcome reaching this thread still counts that transcript.
        self.written = written


def record_case(runtime: Runtime, routine: str, case: str) -> CaseOutcome:
    """Call the model for one case and write its transcript (record mode); the outcome
    carries the output and how it compares with the case's golden."""
    start = time.perf_counter()
    try:
        result = runtime.run_case(routine, case)
    except RoutineError as exc:
        status = "fail" if exc.exit_code == 1 else "error"
        return CaseOutcome(routine, case, status, error=exc, seconds=time.perf_counter() - start, path=exc.path)
    usage = result.usage
    tokens = sum(int(usage.get(k) or 0) for k in ("input_tokens", "output_tokens"))
    # What was recorded, against the golden `routinec test` will compare it with (read only).
    checked = compare_with_golden(runtime, routine, case, result.output)
    return CaseOutcome(
        routine,
        case,
        "recorded",
        diffs=checked.diffs,
        seconds=time.perf_counter() - start,
        path=project_relative(runtime, result.transcript) if result.transcript else None,
        tokens=tokens,
        output=result.output,
        golden=checked,
    )


def check_case(runtime: Runtime, routine: str, case: str) -> CaseOutcome:
    """Call the model live and compare with the golden; writes nothing (drift report)."""
    outcome = run_case(runtime, routine, case)
    if outcome.status == "fail" and outcome.error is None:
        outcome.status = "drift"
    return outcome


def run_many(
    runtime: Runtime,
    pairs: list[tuple[str, str]],
    work: Callable[[Runtime, str, str], CaseOutcome],
    *,
    jobs: int = 4,
    progress: Progress | None = None,
) -> RunSummary:
    """Run `work` over `pairs` on `jobs` daemon threads; KeyboardInterrupt ends it cleanly.

    Daemon threads (not a ThreadPoolExecutor, whose threads are joined at exit) let Ctrl-C
    return at once instead of waiting for calls already in flight.
    """
    todo: queue.Queue[tuple[str, str]] = queue.Queue()
    for pair in pairs:
        todo.put(pair)
    done: queue.Queue[CaseOutcome] = queue.Queue()

    def worker() -> None:
        while not runtime.stop.is_set():
            try:
                routine, case = todo.get_nowait()
            except queue.Empty:
                return
            try:
                outcome = work(runtime, routine, case)
            except KeyboardInterrupt:
                return
            except Exception as exc:  # a bug must not hang the pool; report it as one line
                error = RoutineError(Code.INTERNAL, f"{type(exc).__name__}: {exc}", routine=routine, case=case)
                outcome = CaseOutcome(routine, case, "error", error=error)
            done.put(outcome)

    threads = [
        threading.Thread(target=worker, name=f"routinec-record-{i}", daemon=True)
        for i in range(max(1, min(jobs, len(pairs))))
    ]
    for thread in threads:
        thread.start()
    outcomes: list[CaseOutcome] = []
    tokens = 0
    try:
        while len(outcomes) < len(pairs):
            try:
                outcome = done.get(timeout=0.05)
            except queue.Empty:
                if not any(t.is_alive() for t in threads) and done.empty():
                    break
                continue
            outcomes.append(outcome)
            tokens += outcome.tokens
            if progress is not None:
                progress(len(outcomes), len(pairs), tokens)
    except KeyboardInterrupt:
        runtime.stop.set()
        # Wait for a write in progress to finish, then keep the lock so no other write starts.
        runtime.write_lock.acquire()
        while True:
            try:
                outcomes.append(done.get_nowait())
            except queue.Empty:
                break
        return RunSummary(outcomes, True, len(pairs), len(runtime.written))
    return RunSummary(outcomes, False, len(pairs), len(runtime.written))
