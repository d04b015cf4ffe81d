"""Ledger layer: the Alembic migrations of the ledger schema (env.py and versions/).

Run by `routinec.ledger.store.Store` on the connection it opened, inside its own transaction:
users need no alembic.ini. Revision ids are the schema version numbers, zero-padded ("0001",
"0002", …), and each applied step also adds its row to `schema_version`.
"""
