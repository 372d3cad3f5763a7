"""``kill -9`` of a `dataroi run` whose caller pipes its output: the caller's
``communicate()`` returns at once (the coordinator is a zombie until the caller reaps it,
and no worker, fork server or resource tracker may keep the pipes open), no process of
the run is left, and running again finishes every trial exactly once."""

from __future__ import annotations

import signal
import subprocess
import time

import pytest

from tests.study_tests._processes import (
    describe,
    kill_marked,
    ledger_counts,
    marked_processes,
    new_mark,
    slow_spec,
    spawn_run,
    wait_for_fork_server,
    wait_gone,
    wait_until,
)

N_TRIALS = 20


def kill_and_check(proc: subprocess.Popen, mark: str) -> None:
    """SIGKILL the coordinator; its piped output ends within 5 s; nothing is left."""
    proc.send_signal(signal.SIGKILL)
    t0 = time.monotonic()
    try:
        proc.communicate(timeout=5)
    except subprocess.TimeoutExpired:
        left = describe(marked_processes(mark))
        kill_marked(mark)
        proc.communicate()
        pytest.fail(f"communicate() still waiting 5 s after kill -9; processes holding the "
                    f"pipes: {left}")
    assert time.monotonic() - t0 < 5
    assert proc.returncode == -signal.SIGKILL
    left = wait_gone(mark, timeout=5)
    kill_marked(mark)
    assert not left, f"processes of the killed run still alive: {left}"


def rerun_and_check(spec_path, ledger: str, *args: str) -> None:
    """Run again to the end: every planned trial finished, each exactly once."""
    mark = new_mark()
    proc = spawn_run(spec_path, ledger, mark, *args)
    try:
        _, err = proc.communicate(timeout=120)
    finally:
        kill_marked(mark)
    assert proc.returncode == 0, err
    counts = ledger_counts(ledger)
    assert counts["rows"] == counts["keys"] == counts.get("complete") == N_TRIALS, counts


@pytest.mark.slow
@pytest.mark.parametrize("when", ["start-up", "workers-starting", "mid-run", "near-end"])
def test_kill_9_with_piped_output_never_hangs_the_caller(write_spec, tmp_path, when):
    spec_path = write_spec(slow_spec(0.4))
    ledger = str(tmp_path / "ledger.db")
    mark = new_mark()
    proc = spawn_run(spec_path, ledger, mark, "--jobs", "2")
    try:
        if when == "start-up":
            time.sleep(0.3)
        elif when == "workers-starting":
            wait_for_fork_server(mark, proc)
        else:
            wait_until(ledger, complete=5 if when == "mid-run" else N_TRIALS - 3, proc=proc)
        kill_and_check(proc, mark)
    finally:
        kill_marked(mark)
    rerun_and_check(spec_path, ledger, "--jobs", "2")
