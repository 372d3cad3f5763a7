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
    """Build an executor by name: ``serial`` or ``process`` (local pool of ``jobs``).

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
    if kind.startswith(("dask://", "dask-local", "tcp://")):
        raise UsageError("the Dask executor is not available yet in this version; "
                         "use --jobs N for local processes")
    raise UsageError(f"unknown executor '{kind}'; use 'serial' or 'process'")
