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

from typing import TYPE_CHECKING, Any

from dataroi.ledger._base import BaseLedger, PlannedTrial

if TYPE_CHECKING:
    from dataroi.ledger._open import open_ledger, upgrade_ledger
    from dataroi.ledger._sql import SQLLedger

__all__ = ["BaseLedger", "PlannedTrial", "SQLLedger", "open_ledger", "upgrade_ledger"]

_LAZY = {
    "SQLLedger": "dataroi.ledger._sql",
    "open_ledger": "dataroi.ledger._open",
    "upgrade_ledger": "dataroi.ledger._open",
}


def __getattr__(name: str) -> Any:
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module_name), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
