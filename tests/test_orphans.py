"""The watchdog of a run's processes sees through a zombie: a coordinator killed with
``kill -9`` stays a zombie until its parent reaps it, and ``os.kill(pid, 0)`` succeeds on
a zombie; the watchdog reads the process state (and, when the coordinator is its parent,
the parent pid) instead, so the worker exits and frees the caller's pipes. The fork
server watches the same way while it imports, and stops watching before it forks."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from dataroi import _orphans
from dataroi._orphans import has_ended, process_start

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc")


def test_a_zombie_counts_as_ended_though_signalling_it_succeeds():
    child = subprocess.Popen(["sleep", "60"])
    try:
        started = process_start(child.pid)
        assert started is not None and not has_ended(child.pid, started, watch_parent=False)
        os.kill(child.pid, signal.SIGKILL)  # not reaped: a zombie
        end = time.monotonic() + 5
        while process_start(child.pid)[0] != "Z":
            assert time.monotonic() < end
            time.sleep(0.01)
        os.kill(child.pid, 0)  # what the watchdog used to rely on: no error
        assert has_ended(child.pid, started, watch_parent=False)
    finally:
        child.kill()
        child.wait()
    assert has_ended(child.pid, started, watch_parent=False)  # reaped: gone


def test_a_new_process_under_the_same_pid_counts_as_ended():
    me = os.getpid()
    state, start = process_start(me)
    assert has_ended(me, (state, str(int(start) - 1)), watch_parent=False)


#: A "coordinator" that starts a "worker" watching it (as ``warm_worker`` does), prints the
#: worker's pid, and waits; the worker says when it watches (on the inherited pipe).
_COORDINATOR = """
import os, subprocess, sys
worker = subprocess.Popen([sys.executable, "-c",
    "from dataroi._orphans import exit_when_ended; print('watching', flush=True); "
    f"exit_when_ended({os.getpid()}, every_seconds=0.05)"])
print(worker.pid, flush=True)
worker.wait()
"""


def _kill_coordinator(code: str, ready: str) -> float:
    """Start ``code`` (a coordinator that prints its child's pid), wait for the child to
    print ``ready``, ``kill -9`` the coordinator, and read its pipes to the end: the
    seconds that took. The child held the pipes, so it has exited: it is gone, or a
    zombie not yet reaped by init."""
    coordinator = subprocess.Popen([sys.executable, "-c", code],
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    child = int(coordinator.stdout.readline())
    assert coordinator.stdout.readline() == f"{ready}\n"
    t0 = time.monotonic()
    try:
        coordinator.send_signal(signal.SIGKILL)  # a zombie until communicate() reaps it
        _, err = coordinator.communicate(timeout=5)
        seconds = time.monotonic() - t0
        # its files close before it turns zombie: give the exit a moment to finish
        end = time.monotonic() + 2
        while (state := process_start(child)) is not None and state[0] != "Z" \
                and time.monotonic() < end:
            time.sleep(0.01)
    finally:
        coordinator.kill()
        state = process_start(child)
        if state is not None and state[0] != "Z":
            os.kill(child, signal.SIGKILL)
    assert state is None or state[0] == "Z"
    assert "Error" not in err, err  # the child ran what it was given
    return seconds


def test_the_worker_of_a_killed_coordinator_exits_and_frees_the_callers_pipes():
    seconds = _kill_coordinator(_COORDINATOR, "watching")
    assert seconds < 2  # the watch looks every 0.05 s


#: A "coordinator" that names itself and starts a "fork server" whose preload sleeps
#: between the two preload modules (as scikit-learn's import would), then waits.
_FORK_SERVER = """
import os, subprocess, sys
from dataroi.executors._local import name_coordinator
name_coordinator()
server = subprocess.Popen([sys.executable, "-c",
    "import time; import dataroi.executors._preload_start; print('importing', flush=True); "
    "time.sleep(60); import dataroi.executors._preload_end"])
print(server.pid, flush=True)
server.wait()
"""


def test_a_fork_server_still_importing_exits_with_its_killed_coordinator():
    seconds = _kill_coordinator(_FORK_SERVER, "importing")
    assert seconds < 2  # the watch looks every 0.05 s


#: The preload modules in a process that its coordinator variable names (or that has
#: none): no watch starts; in a named server the watch stops, thread and all, at the end.
_PRELOAD = """
import os, threading
from dataroi import _orphans
before = threading.active_count()
import dataroi.executors._preload_start
during = (_orphans._watch is not None, threading.active_count() - before)
import dataroi.executors._preload_end
print(during, (_orphans._watch is not None, threading.active_count() - before))
"""


@pytest.mark.parametrize(("coordinator", "expected"), [
    ("parent", "(True, 1) (False, 0)"),
    ("self", "(False, 0) (False, 0)"),
    ("unset", "(False, 0) (False, 0)"),
])
def test_the_preload_watch_starts_only_in_a_named_fork_server_and_ends(coordinator, expected):
    env = {k: v for k, v in os.environ.items() if k != _orphans.COORDINATOR_ENV}
    code = _PRELOAD
    if coordinator == "parent":
        env[_orphans.COORDINATOR_ENV] = str(os.getpid())
    elif coordinator == "self":
        code = f"import os; os.environ[{_orphans.COORDINATOR_ENV!r}] = str(os.getpid())\n" + code
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                         text=True, timeout=60, check=True).stdout
    assert out.strip() == expected
