"""The local process pool (``dataroi.executors._local``) on an interrupt: its workers
are killed and, before the interpreter exits, its management thread has ended — so the
standard library's exit handler, which wakes the thread of every live pool through a
pipe the thread closes as it ends, cannot race that close (an ``EBADF`` traceback printed
after "interrupted", seen once under load in the SIGTERM test)."""

from __future__ import annotations

from dataroi.executors._local import ProcessExecutor
from dataroi.study._coordinator import _stop
from dataroi.trial import ping


def test_a_stopped_pool_leaves_no_thread_for_the_exit_handler_to_wake() -> None:
    ex = ProcessExecutor(2)
    ex.submit(ping).result(timeout=120)  # the workers and the management thread run
    thread = ex._executor_manager_thread
    wakeup = ex._executor_manager_thread_wakeup
    assert thread is not None and thread.is_alive()
    _stop(ex)  # what the coordinator does on Ctrl-C or SIGTERM
    assert not thread.is_alive()
    assert wakeup._closed  # the exit handler's wakeup() is now a no-op
    assert all(not p.is_alive() for p in (ex._processes or {}).values())
