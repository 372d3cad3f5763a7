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


@pytest.mark.slow
def test_dask_gives_identical_scores_to_the_local_executor(write_spec, tmp_path):
    path = write_spec(_spec())
    local = dataroi.load_study(path, ledger=str(tmp_path / "local.db"))
    local.run(jobs=2, progress=False)
    dask = dataroi.load_study(path, ledger=str(tmp_path / "dask.db"))
    summary = dask.run(executor="dask-local:2", progress=False)
    assert summary.completed == 24 and summary.failed == 0
    pd.testing.assert_frame_equal(_sorted(local.trials()), _sorted(dask.trials()))


@pytest.mark.slow
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


@pytest.mark.slow
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


def _cluster_workers() -> list:
    """Processes below this one that are not its direct children (the fork server and
    the resource tracker are; a LocalCluster's workers are forked from the server)."""
    import psutil

    me = psutil.Process()
    out = []
    for p in me.children(recursive=True):
        try:
            if p.ppid() != me.pid and p.status() != psutil.STATUS_ZOMBIE:
                out.append(p)
        except psutil.NoSuchProcess:
            pass
    return out


def _wait_no_workers(before: frozenset = frozenset(), seconds: float = 20.0) -> list:
    """Worker processes started since ``before`` (pids) that are still alive after
    waiting up to ``seconds`` for them to exit."""
    def new() -> list:
        return [p for p in _cluster_workers() if p.pid not in before]

    deadline = time.monotonic() + seconds
    while new() and time.monotonic() < deadline:
        time.sleep(0.2)
    return new()


@pytest.mark.slow
def test_a_cluster_started_early_is_closed_when_nothing_is_left_to_run(write_spec, tmp_path):
    # dask-local starts its cluster while the data loads; a run with nothing to do must
    # not leave it behind
    path = write_spec(_spec())
    study = dataroi.load_study(path, ledger=str(tmp_path / "ledger.db"))
    study.run(jobs=1, progress=False)
    before = frozenset(p.pid for p in _cluster_workers())
    summary = study.run(executor="dask-local:2", progress=False)
    assert (summary.completed, summary.already_done) == (0, 24)
    assert not _wait_no_workers(before)


def test_a_cluster_started_early_is_closed_when_the_data_is_bad(write_spec, tmp_path):
    from dataroi.exceptions import DataroiError

    spec = _spec()
    spec["data"] = dict(spec["data"], features=["no such column"])
    path = write_spec(spec)
    study = dataroi.load_study(path, ledger=str(tmp_path / "ledger.db"))
    before = frozenset(p.pid for p in _cluster_workers())
    with pytest.raises(DataroiError, match="no such column"):
        study.run(executor="dask-local:2", progress=False)
    assert not _wait_no_workers(before)


@pytest.mark.slow
def test_the_run_command_starts_the_cluster_early_and_leaves_nothing_behind(write_spec,
                                                                            tmp_path):
    from dataroi.cli import main

    path = write_spec(_spec())
    before = frozenset(p.pid for p in _cluster_workers())
    assert main(["run", str(path), "--executor", "dask-local:2", "--no-progress",
                 "--ledger", str(tmp_path / "a.db")]) == 0
    assert len(dataroi.load_study(path, ledger=str(tmp_path / "a.db")).trials()) == 48
    assert not _wait_no_workers(before)
    # a spec that fails to load: the cluster started for it is closed too
    bad = tmp_path / "bad.yaml"
    bad.write_text("models: {}\n")
    assert main(["run", str(bad), "--executor", "dask-local:2", "--no-progress"]) == 2
    assert not _wait_no_workers(before)


def test_dask_workers_import_a_factory_beside_the_spec(write_spec, tmp_path, monkeypatch):
    # no PYTHONPATH: the payload carries the spec's folder to the Dask workers
    monkeypatch.delenv("PYTHONPATH", raising=False)
    (tmp_path / "dask_side_models.py").write_text(
        "from sklearn.linear_model import LogisticRegression\n\n\n"
        "def make(C=1.0):\n    return LogisticRegression(C=C, max_iter=500)\n")
    path = write_spec(iris_spec(models={"mine": {"factory": "dask_side_models:make",
                                                 "params": {"C": 0.5}}},
                                schedule={"sizes": [20, 50], "repeats": 1, "seed": 3}))
    # the workers start before this process puts the spec's folder on its sys.path
    executor = DaskExecutor.local(1)
    try:
        assert str(tmp_path) not in executor.client.run(lambda: __import__("sys").path
                                                        ).popitem()[1]
        study = dataroi.load_study(path, ledger=str(tmp_path / "ledger.db"))
        summary = study.run(executor=executor, progress=False)
    finally:
        executor.shutdown()
    assert (summary.completed, summary.failed) == (2, 0), summary.error_groups


@pytest.mark.slow
def test_an_adaptive_run_uses_one_local_cluster_for_every_look(tmp_path, capsys,
                                                                 monkeypatch):
    """``dataroi run --until-decided --executor dask-local:2``: was refused; now every
    look's trials run on the one cluster started for the run, which is closed after."""
    from dataroi.cli import main
    from tests.study_tests.test_adaptive import ADAPTIVE_SPEC

    started: list[DaskExecutor] = []
    real_local = DaskExecutor.local.__func__

    def counted(cls, n_workers, **kw):
        started.append(real_local(cls, n_workers, **kw))
        return started[-1]

    monkeypatch.setattr(DaskExecutor, "local", classmethod(counted))
    path = tmp_path / "study.yaml"
    path.write_text(ADAPTIVE_SPEC, encoding="utf-8")
    assert main(["run", str(path), "--until-decided", "--executor", "dask-local:2",
                 "--no-progress"]) == 0
    out, err = capsys.readouterr()
    assert "adaptive run stopped after" in out and "recommendation:" in out
    assert "look 2 (" in err and len(started) == 1  # several looks, one cluster
    assert started[0].client.status == "closed"
    frame = dataroi.load_study(path).trials()
    assert set(frame["state"]) == {"complete"} and 0 < len(frame) < 32
