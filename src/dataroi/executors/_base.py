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

from dataroi._names import did_you_mean
from dataroi.exceptions import UsageError

__all__ = ["Executor", "check_executor", "check_jobs", "cpu_count", "make_executor",
           "max_jobs", "threads_per_worker"]


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


def max_jobs() -> int:
    """The most worker processes (or threads per trial) a run may ask for on this machine:
    64, or 4 per core where that is more.

    Each worker is a Python process holding scikit-learn and the data (hundreds of MB);
    more workers than 4 per core only queue for the CPU, while an absurd count (a typo,
    ``--jobs 100000``) would fork until memory runs out. 64 leaves room for I/O-bound
    models on a small machine.

    Example:
        >>> max_jobs() >= 64
        True
    """
    return max(64, 4 * cpu_count())


def check_jobs(jobs: int | None, *, name: str = "--jobs") -> None:
    """Refuse a worker count below 1 or above :func:`max_jobs`, before anything starts.

    Raises:
        UsageError: the count is out of range (its message names ``name``).

    Example:
        >>> check_jobs(None); check_jobs(4)
        >>> try:
        ...     check_jobs(0)
        ... except UsageError as exc:
        ...     print(exc)
        --jobs must be at least 1, got 0
    """
    if jobs is None:
        return
    if jobs < 1:
        raise UsageError(f"{name} must be at least 1, got {jobs}")
    if jobs > max_jobs():
        raise UsageError(f"{name} {jobs:,} is more than this machine can use: at most "
                         f"{max_jobs()} (64 or 4 per core, whichever is more); leave it out "
                         "for the default (one per core)")


def check_executor(kind: Any) -> None:
    """Refuse an executor name :func:`make_executor` would refuse, without starting
    anything: called before a run writes its study to the ledger.

    Raises:
        UsageError: unknown kind or a bad worker count.

    Example:
        >>> check_executor("dask-local:2")
        >>> try:
        ...     check_executor("dask-local:abc")
        ... except UsageError as exc:
        ...     print(exc)
        dask-local takes a worker count, e.g. dask-local:2; got 'dask-local:abc'
    """
    if not isinstance(kind, str):  # an executor object: the caller's own
        return
    if kind in ("auto", "serial", "process", "local") or kind.startswith(("dask://", "tcp://")):
        if kind.startswith(("dask://", "tcp://")) and not kind.split("://", 1)[1]:
            raise UsageError(f"give the scheduler's address, e.g. dask://HOST:8786; got "
                             f"'{kind}'")
        return
    if kind.startswith("dask-local") and kind[len("dask-local"):][:1] in ("", ":"):
        _, _, count = kind.partition(":")
        if count and not count.strip().isdigit():
            raise UsageError(f"dask-local takes a worker count, e.g. dask-local:2; got "
                             f"'{kind}'")
        if count and int(count) < 1:
            raise UsageError(f"dask-local needs at least 1 worker, got {int(count)}")
        if count:
            check_jobs(int(count), name="the dask-local worker count")
        return
    hint = did_you_mean(kind, ["serial", "process", "dask-local"])
    raise UsageError(f"unknown executor '{kind}'{hint}; use serial, process, dask-local:N or "
                     "dask://HOST:PORT")


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
        check_jobs(n)
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
        check_jobs(n, name="the dask-local worker count")
        return DaskExecutor.local(n)
    raise UsageError(f"unknown executor '{kind}'; use serial, process, dask-local:N or "
                     "dask://HOST:PORT")
