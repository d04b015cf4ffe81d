"""Alembic environment for the ledger: migrates the connection `Store` hands over.

`Store` puts its open connection (already inside the transaction that holds the migration
lock) in `config.attributes["connection"]`; nothing here opens, commits or reads a file. A
developer generating a new revision can point Alembic at a scratch ledger instead:
`alembic -c /dev/null -x url=sqlite:///scratch.db revision --autogenerate …` with
`script_location` set to this folder.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context

from routinec.ledger.store import metadata, record_step


def _migrate(connection: sa.Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite's ALTER TABLE is limited
        on_version_apply=record_step,
        compare_type=True,
    )
    with context.begin_transaction():  # joins the caller's transaction when there is one
        context.run_migrations()


given = context.config.attributes.get("connection")
if given is not None:
    _migrate(given)
else:
    engine = sa.create_engine(context.get_x_argument(as_dictionary=True)["url"])
    with engine.begin() as conn:
        _migrate(conn)
