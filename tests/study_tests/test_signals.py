"""A run leaves the host process's signal handlers as it found them."""

from __future__ import annotations

import signal

import dataroi
from tests.value_tests.helpers import iris_two_models, write


def test_a_run_restores_the_hosts_signal_handlers(tmp_path):
    def mine(signum, frame):  # a host's own handler (pytest, a notebook, a server)
        raise AssertionError("not called")

    before = signal.signal(signal.SIGTERM, mine)
    before_int = signal.getsignal(signal.SIGINT)
    try:
        spec = iris_two_models(schedule={"sizes": [20, 40], "repeats": 1, "seed": 0})
        for jobs in (1, 2):
            study = dataroi.load_study(write(tmp_path / f"s{jobs}", spec))
            study.run(jobs=jobs, progress=False)
            assert signal.getsignal(signal.SIGTERM) is mine
            assert signal.getsignal(signal.SIGINT) is before_int
    finally:
        signal.signal(signal.SIGTERM, before)
