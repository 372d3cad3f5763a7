"""Executors: serial, local process pool and Dask, behind one protocol."""

from dataroi.executors._background import BackgroundExecutor
from dataroi.executors._base import (
    Executor,
    check_executor,
    check_jobs,
    cpu_count,
    make_executor,
    max_jobs,
    threads_per_worker,
)
from dataroi.executors._dask import DaskExecutor
from dataroi.executors._local import ProcessExecutor, SerialExecutor

__all__ = [
    "BackgroundExecutor",
    "DaskExecutor",
    "Executor",
    "ProcessExecutor",
    "SerialExecutor",
    "check_executor",
    "check_jobs",
    "cpu_count",
    "make_executor",
    "max_jobs",
    "threads_per_worker",
]
