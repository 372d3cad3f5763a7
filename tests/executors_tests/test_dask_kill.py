"""``kill -9`` of a `dataroi run --executor dask-local:2` whose caller pipes its output:
the local cluster's processes (fork server, nanny-started workers, resource tracker) do
not outlive the coordinator, so the caller's ``communicate()`` returns at once. Dask's
worker processes watch a pipe from their parent (``distributed.process.AsyncProcess``),
which closes when the coordinator dies, zombie or not."""

from __future__ import annotations

import pytest

from tests.study_tests._processes import (
    kill_marked,
    new_mark,
    slow_spec,
    spawn_run,
    wait_until,
)
from tests.study_tests.test_kill import kill_and_check, rerun_and_check

pytest.importorskip("distributed")


@pytest.mark.slow
def test_kill_9_of_a_dask_local_run_leaves_no_process_and_loses_no_trial(write_spec,
                                                                         tmp_path):
    spec_path = write_spec(slow_spec(0.4))
    ledger = str(tmp_path / "ledger.db")
    mark = new_mark()
    proc = spawn_run(spec_path, ledger, mark, "--executor", "dask-local:2")
    try:
        wait_until(ledger, complete=5, proc=proc)
        kill_and_check(proc, mark)
    finally:
        kill_marked(mark)
    rerun_and_check(spec_path, ledger, "--executor", "dask-local:2")
