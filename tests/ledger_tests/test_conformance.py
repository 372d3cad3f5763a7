"""Run the ledger conformance suite against SQLite and PostgreSQL (see ``conftest.py``)."""

from .conformance import *  # noqa: F403
