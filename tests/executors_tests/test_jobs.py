"""Worker counts are bounded: an absurd ``--jobs`` (or ``--threads``, or ``dask-local:N``)
is refused with one line, exit 2, before anything starts or is written; a run starts no
more worker processes than it has trials to run."""

from __future__ import annotations

import multiprocessing as mp
import time

import pytest
import yaml

from dataroi.cli import main
from dataroi.exceptions import UsageError
from dataroi.executors import check_executor, make_executor, max_jobs
from tests.conftest import iris_spec
from tests.study_tests._processes import (
    kill_marked,
    ledger_counts,
    marked_processes,
    new_mark,
    spawn_run,
)


def test_the_bound_is_64_or_4_per_core_whichever_is_more():
    import os

    assert max_jobs() == max(64, 4 * len(os.sched_getaffinity(0)))


def test_make_executor_refuses_an_absurd_pool_without_starting_a_process():
    before = len(mp.active_children())
    with pytest.raises(UsageError, match=r"--jobs 100,000 is more than this machine can use: "
                       r"at most \d+ \(64 or 4 per core, whichever is more\)"):
        make_executor("process", data_path=None, jobs=100_000)
    with pytest.raises(UsageError, match="the dask-local worker count 100,000"):
        make_executor("dask-local", data_path=None, jobs=100_000)
    with pytest.raises(UsageError, match="the dask-local worker count 5,000"):
        check_executor("dask-local:5000")
    assert len(mp.active_children()) == before


def _folder(tmp_path):
    (tmp_path / "study.yaml").write_text(yaml.safe_dump(iris_spec(), sort_keys=False))
    return sorted(p.name for p in tmp_path.rglob("*"))


@pytest.mark.parametrize("argv, message", [
    (["run", "study.yaml", "--jobs", "100000"], "--jobs 100,000 is more than"),
    (["run", "study.yaml", "--jobs", "0"], "--jobs must be at least 1, got 0"),
    (["run", "study.yaml", "--threads", "100000"], "--threads 100,000 is more than"),
    (["run", "study.yaml", "--executor", "dask-local:100000"],
     "the dask-local worker count 100,000 is more than"),
    (["run", "study.yaml", "--executor", "dask-local", "--jobs", "100000"],
     "--jobs 100,000 is more than"),
    (["demo", "--dir", "demo", "--jobs", "100000"], "--jobs 100,000 is more than"),
])
def test_the_cli_refuses_absurd_counts_with_one_line_and_writes_nothing(
        tmp_path, capsys, monkeypatch, argv, message):
    before = _folder(tmp_path)
    monkeypatch.chdir(tmp_path)
    t0 = time.perf_counter()
    code = main(argv)
    _, err = capsys.readouterr()
    assert code == 2, err
    assert err.startswith("error: ") and len(err.strip().splitlines()) == 1, err
    assert message in err
    assert time.perf_counter() - t0 < 5  # refused at once, nothing started
    assert sorted(p.name for p in tmp_path.rglob("*")) == before


@pytest.mark.slow
def test_a_run_starts_no_more_workers_than_trials(tmp_path):
    # 4 trials, --jobs 32: 4 workers, besides the coordinator, its fork server and the
    # resource tracker (32 would be 35 processes)
    spec = iris_spec(
        models={"slow": {"factory": "tests.study_tests.slow_models:make_slow",
                         "params": {"delay": 1.0}}},
        metrics=["accuracy"], schedule={"sizes": [20, 40], "repeats": 2, "seed": 0})
    spec_path = tmp_path / "study.yaml"
    spec_path.write_text(yaml.safe_dump(spec, sort_keys=False))
    ledger = str(tmp_path / "ledger.db")
    mark = new_mark()
    proc = spawn_run(spec_path, ledger, mark, "--jobs", "32")
    most = 0
    try:
        while proc.poll() is None:
            most = max(most, len(marked_processes(mark)))
            time.sleep(0.02)
        _, err = proc.communicate(timeout=60)
    finally:
        kill_marked(mark)
    assert proc.returncode == 0, err
    assert 4 <= most <= 3 + 4, most
    assert ledger_counts(ledger)["complete"] == 4
