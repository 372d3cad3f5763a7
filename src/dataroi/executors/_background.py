"""Start an executor in a background thread, so its start overlaps other work.

A ``dask-local`` cluster takes a couple of seconds to start (a fork server importing
scikit-learn, then the workers). ``dataroi run`` starts it before it reads the spec and
the data; :meth:`dataroi.study.Study.run` takes the started executor when trials are to
run, or closes it unused when nothing is left to do or the run fails first.

Example:
    >>> bg = BackgroundExecutor.start("serial", 1)
    >>> type(bg.take()).__name__
    'SerialExecutor'
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
from typing import Any

__all__ = ["BackgroundExecutor"]


class BackgroundExecutor:
    """An executor being made by ``make_executor(kind, jobs=...)`` in another thread."""

    def __init__(self, kind: str, future: cf.Future[Any]) -> None:
        self.kind = kind
        self.future = future
        self.taken = False

    @classmethod
    def start(cls, kind: str, jobs: int | None) -> BackgroundExecutor:
        """Begin making the executor now; :meth:`take` waits for it."""
        from dataroi.executors._base import make_executor

        starter = cf.ThreadPoolExecutor(1, thread_name_prefix="dataroi-executor-start")
        future = starter.submit(make_executor, kind, data_path=None, jobs=jobs)
        starter.shutdown(wait=False)
        return cls(kind, future)

    @classmethod
    def start_if_slow(cls, executor: Any, jobs: int | None) -> BackgroundExecutor | None:
        """Start ``executor`` in the background when it is one that takes seconds to
        start (``dask-local:N``); else None (the others start when needed)."""
        if isinstance(executor, str) and executor.startswith("dask-local"):
            return cls.start(executor, jobs)
        return None

    def take(self) -> Any:
        """The started executor (its start's exception, if it failed); the caller owns
        it from now on."""
        self.taken = True
        return self.future.result()

    def discard(self) -> None:
        """Close the executor if nobody took it (waits for its start to finish)."""
        if self.taken:
            return
        self.taken = True
        with contextlib.suppress(Exception):  # it failed to start: nothing to close
            self.future.result().shutdown(wait=False, cancel_futures=True)
