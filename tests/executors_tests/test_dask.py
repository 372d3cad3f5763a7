"""The Dask executor on a real LocalCluster (worker processes)."""

from __future__ import annotations

import os
import signal
import threading
import time

import pandas as pd
import pytest

import dataroi
from dataroi.exceptions import UsageError
from dataroi.executors import DaskExecutor, make_executor
from tests.conftest import iris_spec

pytest.importorskip("distributed")


def _spec(delay: float | None = None) -> dict:
    models = {
        "logreg": {"estimator": "sklearn.linear_model.LogisticRegression"},
        "forest": {"estimator": "sklearn.ensemble.RandomForestClassifier",
                   "params": {"n_estimators": 15}},
    }
    if delay is not None:
        models = {"slow": {"factory": "tests.study_tests.slow_models:make_slow",
                           "params": {"delay": delay}}}
    return iris_spec(models=models, metrics=["accuracy", "log_loss"],
                     schedule={"sizes": [20, 50, 90], "repeats": 4, "seed": 3})


COLS = ["model", "n_train", "repeat", "seed", "metric", "value", "predictions_digest"]


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[COLS].sort_values(COLS[:5]).reset_index(drop=True)


def test_dask_gives_identical_scores_to_the_local_executor(write_spec, tmp_path):
    path = write_spec(_spec())
    local = dataroi.load_study(path, ledger=str(tmp_path / "local.db"))
    local.run(jobs=2, progress=False)
    dask = dataroi.load_study(path, ledger=str(tmp_path / "dask.db"))
    summary = dask.run(executor="dask-local:2", progress=False)
    assert summary.completed == 24 and summary.failed == 0
    pd.testing.assert_frame_equal(_sorted(local.trials()), _sorted(dask.trials()))


def test_a_killed_dask_worker_loses_no_trial(write_spec, tmp_path, monkeypatch):
    monkeypatch.setenv("PYTHONPATH", os.getcwd())
    path = write_spec(_spec(delay=0.4))
    study = dataroi.load_study(path, ledger=str(tmp_path / "ledger.db"))
    executor = DaskExecutor.local(2)
    pids = list(executor.client.run(os.getpid).values())
    outcome: dict = {}

    def run() -> None:
        outcome["summary"] = study.run(executor=executor, progress=False)

    thread = threading.Thread(target=run)
    thread.start()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if study.status().counts["complete"] >= 2:
                break
        except dataroi.LedgerError:
            pass
        time.sleep(0.1)
    os.kill(pids[0], signal.SIGKILL)  # a worker dies mid-study (its trial with it)
    thread.join(timeout=120)
    assert not thread.is_alive()
    summary = outcome["summary"]
    assert summary.completed == 12 and summary.failed == 0
    frame = study.trials()
    keys = frame.loc[frame.metric == "accuracy", ["model", "n_train", "repeat"]]
    assert len(keys) == 12 and not keys.duplicated().any()


def test_bad_dask_addresses_are_usage_errors():
    with pytest.raises(UsageError, match="dask-local takes a worker count"):
        make_executor("dask-local:two", data_path=None)
    with pytest.raises(UsageError, match="cannot reach the Dask scheduler"):
        DaskExecutor.connect("tcp://127.0.0.1:1", timeout_seconds=1)


def test_resources_pass_through_to_the_scheduler(write_spec, tmp_path):
    """A trial that needs a resource no worker has waits; one that fits runs."""
    from distributed import Client, LocalCluster

    spec = iris_spec(schedule={"sizes": [30], "repeats": 1})
    spec["models"]["logreg"]["resources"] = {"GPU": 1}
    path = write_spec(spec)
    cluster = LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                           dashboard_address=None, resources={"GPU": 1})
    executor = DaskExecutor(Client(cluster), cluster=cluster)
    study = dataroi.load_study(path, ledger=str(tmp_path / "gpu.db"))
    summary = study.run(executor=executor, progress=False)
    assert summary.completed == 1
    assert study.spec.models[0].resources == {"GPU": 1.0}
