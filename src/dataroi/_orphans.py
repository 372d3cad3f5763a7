"""Processes of a run that exit when their coordinator is gone, even after ``kill -9``.

A caller that reads a coordinator's piped output to the end before reaping it
(``subprocess.Popen.communicate()``) waits for every process that holds the pipes: the
pool's workers, its fork server and the resource tracker inherit the coordinator's
stdout and stderr. Each must therefore notice on its own that the coordinator has ended.

``os.kill(pid, 0)`` alone is not enough: after a ``kill -9`` the coordinator is a zombie
until its own parent reaps it, and signalling a zombie succeeds. So :func:`has_ended`
also reads what a zombie cannot fake: its state in ``/proc/PID/stat`` (Linux; a new
process under a reused pid has another start time), and, when the coordinator is the
watcher's parent, the parent pid, which changes when the coordinator exits (children are
reparented before it is reaped). ``PR_SET_PDEATHSIG`` would not do: it fires when the
*thread* that started the child ends, and the pool starts its processes from a
background thread.

Two watchers use it: each worker of the process pool (for as long as it lives, see
``dataroi.trial.warm_worker``), and the pool's fork server while it imports scikit-learn
and pandas (:func:`watch_while_preloading`): that takes seconds on a busy machine, and
only once it has finished does the fork server notice that its 'alive' pipe has closed.

Example:
    >>> import os
    >>> has_ended(os.getpid(), process_start(os.getpid()), watch_parent=False)
    False
"""

from __future__ import annotations

import os
import threading

__all__ = ["COORDINATOR_ENV", "exit_when_ended", "has_ended", "process_start",
           "stop_watching", "watch_while_preloading"]

#: The environment variable through which a coordinator tells the processes it starts
#: (its pool's fork server) which process to watch.
COORDINATOR_ENV = "DATAROI_COORDINATOR_PID"

_EXIT_CODE = 70
_watch: tuple[threading.Thread, threading.Event] | None = None


def process_start(pid: int) -> tuple[str, str] | None:
    """``(state, start time)`` of process ``pid`` from ``/proc/PID/stat`` (Linux); None
    when there is no such file (another OS, or the process is gone).

    Example:
        >>> import sys
        >>> sys.platform != "linux" or process_start(os.getpid())[0] in "RS"
        True
    """
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as fh:
            text = fh.read()
    except OSError:
        return None
    fields = text.rpartition(")")[2].split()  # the name in parentheses may hold spaces
    return (fields[0], fields[19]) if len(fields) > 19 else None


def has_ended(pid: int, started: tuple[str, str] | None, *, watch_parent: bool) -> bool:
    """Whether process ``pid``, seen as ``started`` at first, has exited (a zombie, or a
    new process under its pid, counts as exited); with ``watch_parent``, also when this
    process's parent is no longer ``pid``.

    Example:
        >>> has_ended(os.getpid(), process_start(os.getpid()), watch_parent=False)
        False
    """
    if watch_parent and os.getppid() != pid:
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # exists, owned by someone else (pid reused)
        return started is not None
    if started is None:
        return False
    now = process_start(pid)
    return now is None or now[0] in ("Z", "X") or now[1] != started[1]


def exit_when_ended(pid: int, every_seconds: float = 1.0,
                    stop: threading.Event | None = None) -> None:
    """Exit this process (``os._exit(70)``: no clean-up runs, nothing is flushed twice)
    once process ``pid`` has ended, checking every ``every_seconds``; return when
    ``stop`` is set first.

    Meant for a daemon thread; the parent pid is watched too when ``pid`` is the parent.
    """
    watch_parent = os.getppid() == pid
    started = process_start(pid)
    stop = stop or threading.Event()  # never set: watch for as long as the process lives
    while not stop.wait(every_seconds):
        if has_ended(pid, started, watch_parent=watch_parent):
            os._exit(_EXIT_CODE)


def watch_while_preloading(every_seconds: float = 0.05) -> bool:
    """In a fork server started by a dataroi coordinator, exit as soon as the coordinator
    has ended, until :func:`stop_watching`; return whether a watch started.

    The coordinator names itself in :data:`COORDINATOR_ENV`; elsewhere (the variable is
    unset, or names this very process) nothing starts. The watch must end before the
    fork server forks its first worker (a fork copies only the forking thread), hence
    the pair of preload modules around the slow imports.
    """
    global _watch
    value = os.environ.get(COORDINATOR_ENV, "")
    if _watch is not None or not value.isdigit() or int(value) == os.getpid():
        return False
    stop = threading.Event()
    thread = threading.Thread(target=exit_when_ended, args=(int(value), every_seconds, stop),
                              name="dataroi-watch-coordinator", daemon=True)
    thread.start()
    _watch = (thread, stop)
    return True


def stop_watching() -> None:
    """End the watch :func:`watch_while_preloading` started, and wait for its thread."""
    global _watch
    if _watch is not None:
        thread, stop = _watch
        stop.set()
        thread.join()
        _watch = None
