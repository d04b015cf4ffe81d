"""Fuzzing and crash tests for issue #13: generated/mutated specs, corrupted files, SIGKILL.

`python -m tests.fuzz --specs N --corruptions N --kills N` (the `nox -s fuzz` session) prints
figures; `test_fuzz.py` and `test_kill.py` run short, seeded versions inside the suite.
"""
