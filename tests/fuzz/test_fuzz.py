"""Short, seeded versions of `nox -s fuzz`: generated and mutated specs through check, lock and
fmt (in-process, in a guarded worker), and corruptions of each file kind the CLI reads."""

from __future__ import annotations

import pytest

from tests.fuzz.driver import Figures, Worker, run_corruptions, run_specs


@pytest.fixture(scope="module")
def worker() -> object:
    w = Worker()
    yield w
    w.close()


def _assert_clean(fig: Figures) -> None:
    assert fig.ok, fig.report()
    assert set(k.split("=")[1] for k in fig.exits) <= {"0", "1", "2"}, fig.report()


def test_generated_and_mutated_specs_only_diagnose(worker: Worker) -> None:
    fig = run_specs(300, seed=13, worker=worker)
    _assert_clean(fig)
    assert fig.cases == 300
    # The semantic generator reaches past `check`: some cases lock.
    assert fig.exits["lock=0"] > 0, fig.report()


def test_corrupted_files_are_diagnosed(worker: Worker) -> None:
    figures = run_corruptions(30, seed=13, worker=worker)
    for fig in figures:
        _assert_clean(fig)
        assert fig.cases == 30
        # A corrupted lock, transcript or golden fails the commands that read it (a few
        # corruptions leave a valid file: a huge but well-formed value, a flipped space).
        assert sum(fig.accepted.values()) <= 6, fig.report()
