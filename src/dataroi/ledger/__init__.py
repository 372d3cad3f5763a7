"""The ledger: the single source of truth of a study (what was planned, ran, and scored).

:class:`BaseLedger` states the contract; :class:`SQLLedger` implements it on SQLite and
PostgreSQL. Open one with :func:`open_ledger`; migrate an old one with
:func:`upgrade_ledger`. SQLAlchemy is imported only when an SQL name is first used, so
``from dataroi.ledger import PlannedTrial`` stays cheap.

Example:
    >>> from dataroi.ledger import open_ledger
    >>> with open_ledger("sqlite://") as ledger:
    ...     ledger.upsert_study("demo", spec_hash="abc", spec_text="name: demo")
    1
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dataroi._lazy import lazy_exports
from dataroi.ledger._base import BaseLedger, DocumentStore, PlannedTrial

if TYPE_CHECKING:
    from dataroi.ledger._open import head_revision, open_ledger, upgrade_ledger
    from dataroi.ledger._sql import SQLLedger
    from dataroi.ledger._tables import STUDY_TABLES, read_study_tables, write_study_tables

__all__ = ["STUDY_TABLES", "BaseLedger", "DocumentStore", "PlannedTrial", "SQLLedger",
           "head_revision", "open_ledger", "read_study_tables", "upgrade_ledger",
           "write_study_tables"]

__getattr__, __dir__ = lazy_exports(__name__, {
    "SQLLedger": "_sql", "open_ledger": "_open", "upgrade_ledger": "_open",
    "head_revision": "_open", "STUDY_TABLES": "_tables", "read_study_tables": "_tables",
    "write_study_tables": "_tables"}, globals())
