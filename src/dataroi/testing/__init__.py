"""Conformance suites for dataroi's back ends, shipped with the package (as
``optuna.testing`` ships its storage tests): a new ledger or executor is right when it
passes the suite every built-in one passes.

* :mod:`dataroi.testing.ledgers` — the :class:`~dataroi.ledger.BaseLedger` contract
  (fixtures ``ledger`` and ``ledger_url``).
* :mod:`dataroi.testing.executors` — the executor protocol the coordinator relies on
  (fixture ``executor``).

Use them in a test module that defines the fixtures::

    from dataroi.testing.executors import *  # noqa: F403

Both need pytest (``pip install 'dataroi[dev]'``).
"""
