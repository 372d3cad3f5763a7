"""SIGTERM at any moment of `dataroi run` ends it as Ctrl-C does: exit 130, "interrupted"
and no traceback (not -15 in the first seconds, before the coordinator's loop), the ledger
whole, no process left, and a run again finishes every trial exactly once.

Before ``main`` runs, the interpreter itself is starting and nothing of dataroi can catch
a signal; the early cases therefore wait, past their moment if need be, until the process
has its SIGTERM handler (``SigCgt`` in ``/proc/PID/status``; ~0.1 s after start on an idle
machine), and check that the run was still starting then (no fork server yet, ~2 s): the
coordinator's own handler, the only one before, came only with the trials.
"""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from tests.study_tests._processes import (
    fork_server_started,
    kill_marked,
    ledger_counts,
    new_mark,
    slow_spec,
    spawn_run,
    wait_for_fork_server,
    wait_gone,
    wait_until,
)

N_TRIALS = 20


def _catches_sigterm(pid: int) -> bool:
    with open(f"/proc/{pid}/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("SigCgt:"):
                return bool(int(line.split()[1], 16) & (1 << (signal.SIGTERM - 1)))
    return False


def _wait_for_handler(proc: subprocess.Popen, timeout: float = 30) -> None:
    end = time.monotonic() + timeout
    while not _catches_sigterm(proc.pid):
        assert proc.poll() is None and time.monotonic() < end, "no SIGTERM handler"
        time.sleep(0.005)


def _assert_whole(ledger: Path) -> None:
    """No half-created file beside it; if it exists, SQLite finds it whole and no trial is
    left claimed."""
    assert not list(ledger.parent.glob(f".{ledger.name}.*")), "a half-created ledger"
    if not ledger.exists():
        return
    with sqlite3.connect(ledger) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()
    assert ledger_counts(str(ledger)).get("running", 0) == 0


@pytest.mark.slow
@pytest.mark.parametrize("signals", [(signal.SIGTERM, signal.SIGTERM),
                                     (signal.SIGINT, signal.SIGINT)],
                         ids=["sigterm-twice", "ctrl-c-twice"])
def test_a_second_signal_during_the_clean_up_loses_nothing(write_spec, tmp_path, signals):
    """GNU timeout sends SIGTERM to the run and again to its process group; a user
    presses Ctrl-C twice: the second one must not cut short the first one's clean-up
    (it left the trials claimed and the summary unsaid: a bare "interrupted")."""
    spec_path = write_spec(slow_spec(0.4))
    ledger = tmp_path / "ledger.db"
    mark = new_mark()
    proc = spawn_run(spec_path, str(ledger), mark, "--jobs", "2")
    try:
        wait_until(str(ledger), complete=5, proc=proc)
        proc.send_signal(signals[0])
        time.sleep(0.03)  # the first one's clean-up under way
        proc.send_signal(signals[1])
        _, err = proc.communicate(timeout=60)
        # 130; or, when the second came after the clean-up, as the process exits: killed
        # by it, as any process is
        assert proc.returncode in (130, -signals[1]), err
        said = "unfinished trials returned to waiting; run again to continue"
        assert said in err, err
        # no traceback up to the summary (a second signal that lands while the worker
        # pool's finalizers run can still make Python print "Exception ignored" after it)
        assert "Traceback" not in err.split(said)[0], err
        assert not wait_gone(mark, timeout=10), "processes of the run still alive"
    finally:
        kill_marked(mark)
    _assert_whole(ledger)  # nothing left claimed: what the second signal used to undo


@pytest.mark.slow
@pytest.mark.parametrize("when", ["0.2 s", "1 s", "workers-starting", "mid-run"])
def test_sigterm_at_any_moment_is_exit_130_and_the_ledger_stays_whole(write_spec, tmp_path,
                                                                      when):
    spec_path = write_spec(slow_spec(0.4))
    ledger = tmp_path / "ledger.db"
    mark = new_mark()
    proc = spawn_run(spec_path, str(ledger), mark, "--jobs", "2")
    t0 = time.monotonic()
    try:
        if when in ("0.2 s", "1 s"):
            time.sleep(max(0.0, float(when.split()[0]) - (time.monotonic() - t0)))
            _wait_for_handler(proc)
            assert not fork_server_started(mark), "the handler came only with the trials"
        elif when == "workers-starting":
            wait_for_fork_server(mark, proc)
        else:
            wait_until(str(ledger), complete=5, proc=proc)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 130, err
        assert "Traceback" not in err, err
        last = [ln for ln in err.splitlines() if ln.strip()][-1]
        assert last.startswith("interrupted"), err
        assert not wait_gone(mark, timeout=10), "processes of the run still alive"
    finally:
        kill_marked(mark)
    _assert_whole(ledger)
    mark = new_mark()
    again = spawn_run(spec_path, str(ledger), mark, "--jobs", "2")
    try:
        _, err = again.communicate(timeout=120)
    finally:
        kill_marked(mark)
    assert again.returncode == 0, err
    counts = ledger_counts(str(ledger))
    assert counts["rows"] == counts["keys"] == counts.get("complete") == N_TRIALS, counts
