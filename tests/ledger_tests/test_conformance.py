"""Run the ledger conformance suite against SQLite and PostgreSQL (see ``conftest.py``)."""

from dataroi.testing.ledgers import *  # noqa: F403
