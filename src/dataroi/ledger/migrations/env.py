"""Alembic environment of the ledger migrations (driven programmatically, no alembic.ini).

:func:`dataroi.ledger.upgrade_ledger` builds an alembic ``Config`` whose
``script_location`` is this directory and passes an open connection in
``config.attributes["connection"]``; the migration then runs inside the caller's
transaction. ``render_as_batch`` is on for SQLite, whose ``ALTER TABLE`` is limited.

Example:
    >>> from dataroi.ledger._open import MIGRATIONS_DIR
    >>> (MIGRATIONS_DIR / "env.py").is_file()
    True
"""

from __future__ import annotations

from typing import Any

from alembic import context

from dataroi.ledger._schema import VERSION_TABLE, metadata


def _run_online(config: Any) -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        raise RuntimeError(
            "dataroi ledger migrations run through dataroi.ledger.upgrade_ledger(url) "
            "(or `dataroi ledger upgrade <url>`), not through the alembic command line"
        )
    context.configure(
        connection=connection,
        target_metadata=metadata,
        version_table=VERSION_TABLE,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def _run_offline(config: Any) -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=metadata,
        version_table=VERSION_TABLE,
        literal_binds=True,
    )
    with context.begin_transaction():
        context.run_migrations()


# ``context.config`` exists only while alembic runs this file; importing it elsewhere
# (e.g. doctest collection) must do nothing.
_config = getattr(context, "config", None)
if _config is not None:
    if context.is_offline_mode():
        _run_offline(_config)
    else:
        _run_online(_config)
