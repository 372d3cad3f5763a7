"""Local executors: serial (in this process) and a pool of worker processes.

Example:
    >>> ex = SerialExecutor()
    >>> ex.submit(sum, [1, 2, 3]).result()
    6
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import os
import sys
import threading
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any

from dataroi._orphans import COORDINATOR_ENV

__all__ = ["ProcessExecutor", "SerialExecutor"]

#: What the fork server imports once, so that every worker forks with it loaded. The
#: first and last entries watch the coordinator while the slow imports between them run
#: (a coordinator killed meanwhile would otherwise leave the fork server holding its
#: caller's pipes for seconds; see :mod:`dataroi._orphans`).
_PRELOAD = ["dataroi.executors._preload_start", "dataroi.trial._worker", "pandas",
            "sklearn.base", "sklearn.metrics", "threadpoolctl",
            "dataroi.executors._preload_end"]


def name_coordinator() -> None:
    """Name this process, in its environment, as the coordinator that the fork server it
    is about to start must watch (:data:`dataroi._orphans.COORDINATOR_ENV`)."""
    os.environ[COORDINATOR_ENV] = str(os.getpid())


class SerialExecutor:
    """Runs each submitted call at once in this process; returns a finished future."""

    max_workers = 1

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Future[Any]:
        fut: Future[Any] = Future()
        try:
            fut.set_result(fn(*args, **kwargs))
        except Exception as exc:
            fut.set_exception(exc)
        return fut

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        return None


class ProcessExecutor(ProcessPoolExecutor):
    """A process pool whose workers open the data set once, at start.

    Workers start with ``forkserver`` on Linux (no inherited threads or locks) and
    ``spawn`` elsewhere; they ignore Ctrl-C so that the coordinator decides what happens,
    and exit when the coordinator has ended, as does the fork server while it imports.
    """

    def __init__(self, max_workers: int, *, data_path: str | None = None) -> None:
        from dataroi.trial import warm_worker

        method = "forkserver" if sys.platform.startswith("linux") else "spawn"
        context = mp.get_context(method)
        if method == "forkserver":
            # the fork server imports these once; every worker forks with them loaded
            context.set_forkserver_preload(_PRELOAD)
            name_coordinator()
        super().__init__(max_workers=max_workers, mp_context=context,
                         initializer=warm_worker, initargs=(data_path, os.getpid()))
        self.max_workers = max_workers
        self._warming: threading.Thread | None = None
        self._manager: threading.Thread | None = None

    def warm_up(self) -> None:
        """Start the worker processes now, in a background thread, rather than at the first
        trial, so that their start overlaps the coordinator's preparation.

        The thread, not the main one, waits the seconds the fork server takes to import
        scikit-learn: a Ctrl-C or SIGTERM in those seconds then never interrupts the start
        of a worker half-way (the pool would release the worker's semaphores under it,
        and the worker would print a traceback after "interrupted").
        """
        from dataroi.trial import ping

        def start() -> None:
            with contextlib.suppress(RuntimeError):  # shut down or broken meanwhile
                for _ in range(self.max_workers):
                    self.submit(ping)

        self._warming = threading.Thread(target=start, name="dataroi-warm-up", daemon=True)
        self._warming.start()

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Shut the pool down once the workers being started have started (see
        :meth:`warm_up`)."""
        if self._warming is not None:
            self._warming.join()
        # the pool forgets its management thread on shutdown: keep it for join_manager
        self._manager = self._management_thread()
        super().shutdown(wait=wait, cancel_futures=cancel_futures)

    def kill_workers(self) -> None:
        """Stop the worker processes now (used on interrupt: their trials are released)."""
        for proc in list(getattr(self, "_processes", {}).values()):
            with contextlib.suppress(Exception):  # already gone
                proc.kill()

    def join_manager(self, timeout: float = 10.0) -> None:
        """Wait, at most ``timeout`` seconds, for the pool's management thread to end
        after ``shutdown(wait=False)``.

        The standard library's exit handler (``concurrent.futures.process._python_exit``)
        wakes every pool's management thread through a pipe that the thread closes as it
        ends; when both happen at once the write fails (``EBADF``) and Python prints
        "Exception ignored in: <module 'threading'> ... Traceback" after "interrupted"
        (seen on CPython 3.11 under load). A thread that has ended is not woken.
        """
        thread = self._management_thread()
        if thread is not None and thread.is_alive() and thread is not threading.current_thread():
            thread.join(timeout)

    def _management_thread(self) -> threading.Thread | None:
        """The pool's management thread: the standard library's attribute while the pool
        runs (CPython's ``_executor_manager_thread``), the one kept at shutdown after."""
        return getattr(self, "_executor_manager_thread", None) or self._manager
