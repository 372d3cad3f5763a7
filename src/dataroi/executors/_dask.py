"""The Dask executor: trials run on a ``distributed`` cluster, results come back here.

A thin adapter over ``distributed.Client.get_executor(pure=False)`` — no home-made
scheduler. Workers need no ledger access. The data set reaches each worker once: workers
open the coordinator's materialized data folder by path (a shared or local file system)
and check its fingerprint; a worker that cannot see the folder fails the trial with a
clear error. Per-trial resources (``models.<name>.resources`` in the spec, e.g.
``{GPU: 1}``) pass through to the scheduler. If a worker dies mid-trial, Dask reschedules
the task elsewhere; the coordinator records every trial exactly once.

Example (from the command line, or in Python)::

    dataroi run study.yaml --executor dask-local:4
    dataroi run study.yaml --executor dask://scheduler-host:8786

    study.run(executor=DaskExecutor.local(4))
"""

from __future__ import annotations

from concurrent.futures import Future
from typing import Any

from dataroi.exceptions import UsageError

__all__ = ["DaskExecutor"]


class DaskExecutor:
    """``concurrent.futures``-shaped executor backed by a Dask ``distributed.Client``.

    Args:
        client: a connected ``distributed.Client``.
        cluster: a cluster this executor started (closed on shutdown), if any.
    """

    #: trials run on the cluster's workers, one thread each (not the coordinator's cores)
    remote = True

    def __init__(self, client: Any, *, cluster: Any = None) -> None:
        self.client = client
        self.cluster = cluster
        self._executors: dict[tuple[tuple[str, float], ...], Any] = {}

    @classmethod
    def connect(cls, address: str, *, timeout_seconds: float = 10.0) -> DaskExecutor:
        """Connect to a running scheduler at ``address`` (``tcp://host:8786``)."""
        distributed = _import_distributed()
        try:
            client = distributed.Client(address, timeout=timeout_seconds)
        except (OSError, TimeoutError) as exc:
            raise UsageError(f"cannot reach the Dask scheduler at {address}: {exc}") from None
        return cls(client)

    @classmethod
    def local(cls, n_workers: int, *, threads_per_worker: int = 1) -> DaskExecutor:
        """Start a ``distributed.LocalCluster`` of ``n_workers`` processes."""
        distributed = _import_distributed()
        import dask

        # workers fork from a server that imported dask, scikit-learn and our worker code
        # once, instead of each importing them anew (seconds per worker)
        with dask.config.set(_LOCAL_CONFIG | {
                "distributed.worker.multiprocessing-method": _start_method()}):
            _preload_worker_code()
            cluster = distributed.LocalCluster(
                n_workers=n_workers, threads_per_worker=threads_per_worker, processes=True,
                dashboard_address=None, silence_logs=50,
                # the scheduler's HTTP server (health routes) on a free port: 8787 taken
                # by another cluster must not print "Port 8787 is already in use"
                scheduler_kwargs={"dashboard": False, "dashboard_address": ":0"})
        return cls(distributed.Client(cluster), cluster=cluster)

    @property
    def max_workers(self) -> int:
        """Total worker threads of the cluster (how many trials can run at once)."""
        workers = self.client.scheduler_info(n_workers=-1).get("workers", {})
        return max(1, sum(int(w.get("nthreads", 1)) for w in workers.values()))

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Future[Any]:
        """Submit ``fn(*args)``; a payload's ``resources`` become Dask task resources."""
        resources = None
        if args and getattr(args[0], "resources", None):
            resources = dict(args[0].resources)
        key = tuple(sorted(resources.items())) if resources else ()
        ex = self._executors.get(key)
        if ex is None:
            opts: dict[str, Any] = {"pure": False}
            if resources:
                opts["resources"] = resources
            ex = self._executors[key] = self.client.get_executor(**opts)
        return ex.submit(fn, *args, **kwargs)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Wait for (or cancel) submitted trials, then close what this executor started."""
        for ex in self._executors.values():
            ex.shutdown(wait=wait and not cancel_futures)
        self._executors.clear()
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()


#: Settings of a cluster dataroi starts itself: trials are long, CPU-bound tasks on as many
#: workers as cores, so Dask's own periodic work (the statistical profiler sampling every
#: 10 ms, 20 ms ticks, system and memory monitors) would take CPU from the trials. Dask
#: also starts workers with ``MALLOC_TRIM_THRESHOLD_=65536`` (return freed memory to the
#: OS at once); measured on NYC flights with HGB, that made every fit and prediction
#: 10–20 % slower than in a plain process, so workers keep glibc's default (only the
#: thread-count variables of Dask's default remain).
_LOCAL_CONFIG: dict[str, Any] = {
    # a worker takes a new trial only when a thread is free (trials of very different
    # sizes: one queued behind a long one on a busy worker would idle the other)
    "distributed.scheduler.worker-saturation": 1.0,
    "distributed.worker.profile.enabled": False,
    "distributed.admin.tick.interval": "500ms",
    "distributed.admin.system-monitor.interval": "5s",
    "distributed.worker.memory.monitor-interval": "1s",
    "distributed.nanny.pre-spawn-environ": {"OMP_NUM_THREADS": 1, "MKL_NUM_THREADS": 1,
                                            "OPENBLAS_NUM_THREADS": 1},
}


def _start_method() -> str:
    import sys

    return "forkserver" if sys.platform.startswith("linux") else "spawn"


def _preload_worker_code() -> None:
    """Add dataroi's worker modules to the fork server's preload list (Linux)."""
    if _start_method() != "forkserver":
        return
    import multiprocessing.forkserver as forkserver

    from distributed.utils import get_mp_context

    from dataroi.executors._local import _PRELOAD, name_coordinator

    context = get_mp_context()  # dask sets its own preload list here
    current = list(getattr(forkserver._forkserver, "_preload_modules", None) or [])
    context.set_forkserver_preload(current + [m for m in _PRELOAD if m not in current])
    name_coordinator()


def _import_distributed() -> Any:
    try:
        import distributed
    except ImportError:
        raise UsageError('the Dask executor needs `pip install "dataroi[dask]"`') from None
    return distributed
