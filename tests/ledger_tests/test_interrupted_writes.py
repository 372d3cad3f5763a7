"""A Ctrl-C or SIGTERM during a write transaction: the write ends, then the interrupt.

Python raises ``KeyboardInterrupt`` at whichever bytecode runs when a signal arrives.
Between ``BEGIN`` and the caller's block (in ``contextlib``'s ``__enter__``) it left the
transaction open on a connection nobody would close while the interrupt was handled, so
the coordinator's next write (returning its trials to waiting) waited out the busy
timeout: "database is locked" (seen once in CI). The tests deliver the signal at exactly
that point, with a trace function on the ledger's ``_write``.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
import sqlalchemy as sa

from dataroi.ledger import BaseLedger
from dataroi.testing.ledgers import grid, make_context
from dataroi.trial import TrialState


@contextmanager
def _signal_when_the_transaction_is_open(sig: int) -> Iterator[list[int]]:
    """Send ``sig`` to this process when ``_write`` hands its open transaction out."""
    sent: list[int] = []

    def in_write(frame, event, arg):
        if event == "return" and arg is not None and not sent:  # the yield of the conn
            sent.append(sig)
            os.kill(os.getpid(), sig)
        return in_write

    def calls(frame, event, arg):
        return in_write if frame.f_code.co_name == "_write" else None

    previous = sys.gettrace()
    sys.settrace(calls)
    try:
        yield sent
    finally:
        sys.settrace(previous)


def _lock_is_free(url: str) -> Callable[[], bool]:
    def sqlite_free() -> bool:
        raw = sqlite3.connect(sa.make_url(url).database, timeout=0)
        try:
            raw.execute("BEGIN IMMEDIATE")
            raw.execute("ROLLBACK")
            return True
        except sqlite3.OperationalError:
            return False
        finally:
            raw.close()

    def postgres_free() -> bool:
        engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1),
                                  poolclass=sa.NullPool)
        try:
            with engine.begin() as conn:
                conn.exec_driver_sql("SELECT id FROM trials FOR UPDATE NOWAIT").fetchall()
            return True
        except sa.exc.OperationalError:
            return False
        finally:
            engine.dispose()

    return sqlite_free if url.startswith("sqlite") else postgres_free


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_an_interrupt_inside_a_write_comes_after_its_commit(ledger: BaseLedger,
                                                           ledger_url: str, sig: int) -> None:
    ctx = make_context(ledger)
    ledger.plan_trials(ctx, grid())
    held = [s.trial_id for s in ledger.claim_trials(ctx, owner="me", limit=3)]
    previous = signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        with pytest.raises(KeyboardInterrupt), \
                _signal_when_the_transaction_is_open(sig) as sent:
            ledger.release_trials(held, owner="me")
        assert sent == [sig]
        # what the coordinator does next: the lock is free, and the release committed
        assert _lock_is_free(ledger_url)()
        running = ledger.get_trials(ctx, states=[TrialState.RUNNING])
        assert running == []
        again = ledger.claim_trials(ctx, owner="next", limit=8)
        assert len(again) == 8
    finally:
        signal.signal(signal.SIGTERM, previous)
