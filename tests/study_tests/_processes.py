"""Real `dataroi run` processes for the interruption tests: start one with piped output
and a unique marker in its environment, find every process of the run by that marker
(walking ``/proc``), and count what the SQLite ledger holds.

Example:
    >>> mark = new_mark()
    >>> marked_processes(mark)  # nothing runs with a fresh marker
    []
"""

from __future__ import annotations

import contextlib
import os
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]

#: The environment variable that marks every process of one test's run.
MARK = "DATAROI_TEST_MARK"


def new_mark() -> str:
    """A marker no other process carries."""
    return uuid.uuid4().hex


def slow_spec(delay: float, *, repeats: int = 4) -> dict[str, Any]:
    """20 trials (5 sizes × 4 repeats) of a logistic regression that sleeps ``delay`` s."""
    from tests.conftest import iris_spec

    return iris_spec(
        models={"slow": {"factory": "tests.study_tests.slow_models:make_slow",
                         "params": {"delay": delay}}},
        metrics=["accuracy"],
        schedule={"sizes": [20, 40, 60, 80, 100], "repeats": repeats, "seed": 0})


def spawn_run(spec_path: Path, ledger: str, mark: str, *args: str) -> subprocess.Popen:
    """``dataroi run SPEC --ledger LEDGER ARGS`` with piped stdout and stderr."""
    env = dict(os.environ, PYTHONPATH=str(REPO), **{MARK: mark})
    return subprocess.Popen(
        [sys.executable, "-m", "dataroi", "run", str(spec_path), "--ledger", ledger,
         "--no-progress", *args],
        env=env, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def marked_processes(mark: str) -> list[int]:
    """Pids of live (not zombie) processes whose environment carries ``mark``."""
    needle = f"{MARK}={mark}".encode()
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/environ", "rb") as fh:
                env = fh.read().split(b"\0")
            with open(f"/proc/{name}/stat", "rb") as fh:
                state = fh.read().rpartition(b")")[2].split()[0]
        except (OSError, IndexError):  # gone meanwhile, or not ours to read
            continue
        if needle in env and state not in (b"Z", b"X"):
            found.append(int(name))
    return found


def describe(pids: list[int]) -> dict[int, str]:
    """Each pid's command line (what a failure message should name), shortened."""
    out = {}
    for pid in pids:
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as fh:
                out[pid] = fh.read().replace(b"\0", b" ").decode(errors="replace")[:160]
        except OSError:  # gone meanwhile
            out[pid] = "(gone)"
    return out


def wait_gone(mark: str, timeout: float) -> list[int]:
    """Wait up to ``timeout`` s for the marked processes to end; return those left."""
    end = time.monotonic() + timeout
    while True:
        left = marked_processes(mark)
        if not left or time.monotonic() > end:
            return left
        time.sleep(0.1)


def kill_marked(mark: str) -> None:
    """SIGKILL whatever is left of a test's run (clean-up after a failed assertion)."""
    for pid in marked_processes(mark):
        with contextlib.suppress(OSError):  # gone meanwhile
            os.kill(pid, signal.SIGKILL)


def fork_server_started(mark: str) -> bool:
    """Whether the run's process pool has started its fork server (workers starting)."""
    for pid in marked_processes(mark):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as fh:
                if b"forkserver" in fh.read():
                    return True
        except OSError:  # gone meanwhile
            pass
    return False


def wait_for_fork_server(mark: str, proc: subprocess.Popen, timeout: float = 60) -> None:
    """Wait until the run's process pool has started its fork server."""
    end = time.monotonic() + timeout
    while not fork_server_started(mark):
        assert proc.poll() is None and time.monotonic() < end, "no fork server started"
        time.sleep(0.02)


def ledger_counts(ledger: str) -> dict[str, int]:
    """Rows of the ledger's trials table: all, by state, and distinct trial keys."""
    if not os.path.exists(ledger):
        return {}
    try:
        with sqlite3.connect(f"file:{ledger}?mode=ro", uri=True, timeout=5) as conn:
            rows = conn.execute(
                "SELECT model, n_train, repeat_index, state FROM trials").fetchall()
    except sqlite3.Error:  # the schema is being created
        return {}
    counts = {"rows": len(rows), "keys": len({r[:3] for r in rows})}
    for *_, state in rows:
        counts[state] = counts.get(state, 0) + 1
    return counts


def wait_until(ledger: str, *, complete: int, proc: subprocess.Popen,
               timeout: float = 90.0) -> None:
    """Wait until the ledger holds ``complete`` finished trials (the run still going)."""
    end = time.monotonic() + timeout
    while ledger_counts(ledger).get("complete", 0) < complete:
        assert proc.poll() is None, "the run ended before the kill"
        assert time.monotonic() < end, "the run made no progress"
        time.sleep(0.05)
