"""The executor protocol: a ``concurrent.futures``-shaped object.

An executor has ``submit(fn, *args) -> Future`` and ``shutdown(wait, cancel_futures)``;
the coordinator waits on its futures with :func:`concurrent.futures.wait`. Any
``concurrent.futures.Executor`` fits, and so does ``distributed.Client.get_executor()``.

Example:
    >>> ex = make_executor("serial", data_path=None)
    >>> ex.submit(pow, 2, 10).result()
    1024
    >>> ex.shutdown()
"""

from __future__ import annotations

import os
from concurrent.futures import Future
from typing import Any, Protocol, runtime_checkable

from dataroi.exceptions import UsageError

__all__ = ["Executor", "cpu_count", "make_executor", "threads_per_worker"]


@runtime_checkable
class Executor(Protocol):
    """What the coordinator needs from an executor."""

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Future[Any]: ...

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None: ...


def cpu_count() -> int:
    """Cores this process may use (respects CPU affinity where the OS reports it)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


def threads_per_worker(jobs: int) -> int:
    """BLAS/OpenMP threads per worker so that ``jobs`` workers do not oversubscribe."""
    return max(1, cpu_count() // max(1, jobs))


def make_executor(kind: str, *, data_path: str | None, jobs: int | None = None) -> Any:
    """Build an executor by name.

    ``serial``; ``process`` (a local pool of ``jobs`` processes); ``dask-local:N`` (start
    a ``distributed.LocalCluster`` of N worker processes); ``dask://HOST:PORT`` (connect
    to a running Dask scheduler).

    Raises:
        UsageError: unknown kind or a bad number of jobs.
    """
    from dataroi.executors._local import ProcessExecutor, SerialExecutor

    if kind == "serial":
        return SerialExecutor()
    if kind in ("process", "local"):
        n = jobs or cpu_count()
        if n < 1:
            raise UsageError(f"--jobs must be at least 1, got {n}")
        return ProcessExecutor(n, data_path=data_path)
    if kind.startswith(("dask://", "tcp://")):
        from dataroi.executors._dask import DaskExecutor

        address = "tcp://" + kind.split("://", 1)[1]
        return DaskExecutor.connect(address)
    if kind.startswith("dask-local"):
        from dataroi.executors._dask import DaskExecutor

        _, _, count = kind.partition(":")
        try:
            n = int(count) if count else (jobs or cpu_count())
        except ValueError:
            raise UsageError(f"dask-local takes a worker count, e.g. dask-local:2; got "
                             f"'{kind}'") from None
        if n < 1:
            raise UsageError(f"dask-local needs at least 1 worker, got {n}")
        return DaskExecutor.local(n)
    raise UsageError(f"unknown executor '{kind}'; use serial, process, dask-local:N or "
                     "dask://HOST:PORT")
