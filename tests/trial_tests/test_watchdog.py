"""The worker's watchdog sees through a zombie: a coordinator killed with ``kill -9`` stays
a zombie until its parent reaps it, and ``os.kill(pid, 0)`` succeeds on a zombie; the
watchdog reads the process state (and, when the coordinator is its parent, the parent
pid) instead, so the worker exits and frees the caller's pipes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from dataroi.trial._worker import _ended, _process_start

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc")


def test_a_zombie_counts_as_ended_though_signalling_it_succeeds():
    child = subprocess.Popen(["sleep", "60"])
    try:
        started = _process_start(child.pid)
        assert started is not None and not _ended(child.pid, started, watch_parent=False)
        os.kill(child.pid, signal.SIGKILL)  # not reaped: a zombie
        end = time.monotonic() + 5
        while _process_start(child.pid)[0] != "Z":
            assert time.monotonic() < end
            time.sleep(0.01)
        os.kill(child.pid, 0)  # what the watchdog used to rely on: no error
        assert _ended(child.pid, started, watch_parent=False)
    finally:
        child.kill()
        child.wait()
    assert _ended(child.pid, started, watch_parent=False)  # reaped: gone


def test_a_new_process_under_the_same_pid_counts_as_ended():
    me = os.getpid()
    state, start = _process_start(me)
    assert _ended(me, (state, str(int(start) - 1)), watch_parent=False)


#: A "coordinator" that starts a "worker" watching it (as ``warm_worker`` does), prints the
#: worker's pid, and waits; the worker says when it watches (on the inherited pipe).
_COORDINATOR = """
import os, subprocess, sys
worker = subprocess.Popen([sys.executable, "-c",
    "from dataroi.trial._worker import _exit_with; print('watching', flush=True); "
    f"_exit_with({os.getpid()}, every_seconds=0.05)"])
print(worker.pid, flush=True)
worker.wait()
"""


def test_the_worker_of_a_killed_coordinator_exits_and_frees_the_callers_pipes():
    coordinator = subprocess.Popen([sys.executable, "-c", _COORDINATOR],
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    worker = int(coordinator.stdout.readline())
    assert coordinator.stdout.readline() == "watching\n"
    try:
        coordinator.send_signal(signal.SIGKILL)  # a zombie until communicate() reaps it
        coordinator.communicate(timeout=5)  # the worker held the pipes: it has exited
    finally:
        coordinator.kill()
        if _process_start(worker) is not None:
            os.kill(worker, signal.SIGKILL)
    state = _process_start(worker)
    assert state is None or state[0] == "Z"  # gone, or exited and not yet reaped by init
