"""The executor conformance suite: what the coordinator needs from an executor.

An executor is ``concurrent.futures``-shaped (:class:`dataroi.executors.Executor`):
``submit(fn, *args) -> Future``, ``shutdown(wait=..., cancel_futures=...)`` and a
positive ``max_workers``. The coordinator waits on its futures with
:func:`concurrent.futures.wait` (``FIRST_COMPLETED``), takes results and exceptions from
them, and submits functions of ``dataroi.trial`` by reference, so the executor must
pickle module-level functions to its workers. Every test takes an ``executor`` fixture:
a started executor (shut down by the fixture). Import the tests into a test module that
defines it::

    from dataroi.testing.executors import *  # noqa: F403

Example:
    >>> from dataroi.executors import SerialExecutor
    >>> square(3), SerialExecutor().submit(square, 4).result()
    (9, 16)
"""

from __future__ import annotations

import os
from concurrent.futures import FIRST_COMPLETED, Future, wait
from typing import Any

import pytest

from dataroi.exceptions import DataError

#: The tests in the order they must run (the last one shuts the executor down, so a
#: module-scoped fixture can serve them all).
__all__ = [  # noqa: RUF022 (the order the tests run in)
    "fail_with",
    "square",
    "test_submit_returns_a_future_with_the_result",
    "test_a_failing_call_puts_its_exception_in_the_future",
    "test_many_calls_in_flight_all_complete",
    "test_futures_work_with_concurrent_futures_wait",
    "test_it_runs_dataroi_worker_functions",
    "test_max_workers_is_positive",
    "test_shutdown_twice_is_harmless",
    "worker_pid",
]

TIMEOUT = 120.0


def square(x: int) -> int:
    """A call any executor can ship to its workers (a module-level function)."""
    return x * x


def fail_with(message: str) -> None:
    """A call that fails with a dataroi error (its type must survive the trip)."""
    raise DataError(message)


def worker_pid() -> int:
    """The process id of the worker that runs the call."""
    return os.getpid()


def test_submit_returns_a_future_with_the_result(executor: Any) -> None:
    fut = executor.submit(square, 12)
    assert isinstance(fut, Future)
    assert fut.result(timeout=TIMEOUT) == 144


def test_a_failing_call_puts_its_exception_in_the_future(executor: Any) -> None:
    fut = executor.submit(fail_with, "no rows")
    exc = fut.exception(timeout=TIMEOUT)
    assert isinstance(exc, DataError) and "no rows" in str(exc)
    with pytest.raises(DataError):
        fut.result(timeout=TIMEOUT)


def test_many_calls_in_flight_all_complete(executor: Any) -> None:
    futs = [executor.submit(square, i) for i in range(25)]
    assert [f.result(timeout=TIMEOUT) for f in futs] == [i * i for i in range(25)]


def test_futures_work_with_concurrent_futures_wait(executor: Any) -> None:
    pending = {executor.submit(square, i) for i in range(6)}
    done_values = []
    while pending:  # the coordinator's loop
        done, pending = wait(pending, timeout=TIMEOUT, return_when=FIRST_COMPLETED)
        assert done, "wait() returned nothing before the timeout"
        done_values += [f.result() for f in done]
    assert sorted(done_values) == [i * i for i in range(6)]


def test_it_runs_dataroi_worker_functions(executor: Any) -> None:
    from dataroi.trial import ping

    assert isinstance(executor.submit(ping).result(timeout=TIMEOUT), int)
    assert isinstance(executor.submit(worker_pid).result(timeout=TIMEOUT), int)


def test_max_workers_is_positive(executor: Any) -> None:
    assert int(getattr(executor, "max_workers", 1)) >= 1


def test_shutdown_twice_is_harmless(executor: Any) -> None:
    assert executor.submit(square, 2).result(timeout=TIMEOUT) == 4
    executor.shutdown(wait=True)
    executor.shutdown(wait=True)
