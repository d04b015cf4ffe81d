"""Provenance layer: in-toto / SLSA provenance for runs in the ledger (`routinec attest`).

In: a project's `Config` and a ledger `RunRecord` (or a statement file to check). Out: an
in-toto Statement v1 with a SLSA provenance v1 predicate (`statement`), built from the run
record and the lock entry it used (`build`, `entries`), optionally inside a signed DSSE
envelope (`dsse`, the `sign` extra), and field-by-field findings when a statement is checked
against the ledger and the lock (`verify`). Sits below the commands and above the runtime
(it reads transcripts by the runtime's path rule). Format: docs/provenance.md.
"""
