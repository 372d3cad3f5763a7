"""Running studies end to end on a real SQLite file (and the real PostgreSQL server)."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

import dataroi
from dataroi.exceptions import LedgerError
from tests.conftest import iris_spec

REPO = Path(__file__).resolve().parents[2]


def _study(write_spec, tmp_path, spec=None, ledger=None):
    path = write_spec(spec or iris_spec())
    return dataroi.load_study(path, ledger=ledger or str(tmp_path / "ledger.db"))


@pytest.mark.slow
def test_run_twice_runs_nothing_the_second_time(write_spec, tmp_path):
    study = _study(write_spec, tmp_path)
    first = study.run(jobs=1, progress=False)
    assert (first.planned_new, first.completed, first.failed) == (6, 6, 0)
    second = study.run(jobs=1, progress=False)
    assert (second.planned_new, second.completed, second.already_done) == (0, 0, 6)
    frame = study.trials()
    assert len(frame) == 6 * 2  # trials × metrics
    assert set(frame["metric"]) == {"accuracy", "log_loss"}
    assert frame["value"].notna().all()
    assert (frame.groupby(["model", "n_train", "repeat"]).size() == 2).all()
    assert frame.loc[frame.metric == "accuracy", "value"].between(0.5, 1).all()
    assert frame["predictions_digest"].str.len().eq(64).all()
    # each metric on the training rows too; logistic regression fits them at least as well
    assert frame["train_value"].notna().all()
    acc = frame[frame.metric == "accuracy"]
    assert (acc["train_value"] >= acc["value"] - 0.1).all()
    assert (frame.loc[frame.metric == "log_loss", "train_value"] > 0).all()


@pytest.mark.slow
def test_adding_sizes_or_models_runs_only_the_new_ones(write_spec, tmp_path):
    study = _study(write_spec, tmp_path)
    study.run(jobs=1, progress=False)
    bigger = iris_spec(schedule={"sizes": [15, 40, 90, 120], "repeats": 2, "seed": 0})
    bigger["models"]["tree"] = {"estimator": "sklearn.tree.DecisionTreeClassifier"}
    summary = _study(write_spec, tmp_path, bigger).run(jobs=1, progress=False)
    # 2 new sizes×models cells: logreg@120 (2 repeats) + tree@all 4 sizes (8)
    assert (summary.planned_new, summary.completed, summary.already_done) == (10, 10, 6)


def test_changing_params_replans_that_model(write_spec, tmp_path):
    study = _study(write_spec, tmp_path)
    study.run(jobs=1, progress=False)
    changed = iris_spec()
    changed["models"]["logreg"]["params"]["C"] = 0.1
    summary = _study(write_spec, tmp_path, changed).run(jobs=1, progress=False)
    assert summary.completed == 6 and summary.already_done == 0


def test_changed_data_is_a_new_version_and_nothing_is_reused(write_spec, tmp_path):
    from dataroi.data import read_table

    frame = read_table("sklearn:iris")
    frame.to_csv(tmp_path / "iris.csv", index=False)
    spec = iris_spec(data={"source": "iris.csv", "target": "target"})
    study = _study(write_spec, tmp_path, spec)
    study.run(jobs=1, progress=False)
    frame.loc[5, "sepal length (cm)"] += 0.1
    frame.to_csv(tmp_path / "iris.csv", index=False)
    summary = _study(write_spec, tmp_path, spec).run(jobs=1, progress=False)
    assert summary.completed == 6 and summary.already_done == 0
    assert any("the data changed" in n and "no earlier trial is reused" in n
               for n in summary.notes)


def test_failed_trials_are_recorded_and_grouped(write_spec, tmp_path):
    spec = iris_spec(schedule={"sizes": [1, 30], "repeats": 2, "seed": 0})
    summary = _study(write_spec, tmp_path, spec).run(jobs=1, progress=False)
    assert summary.completed == 2 and summary.failed == 2
    ((etype, message), count), = summary.error_groups.items()
    assert etype == "ValueError" and count == 2 and "class" in message
    trials = _study(write_spec, tmp_path, spec).trials()
    failed = trials[trials.state == "failed"]
    assert failed["value"].isna().all() and (failed["error_type"] == "ValueError").all()


def test_process_pool_gives_identical_scores_to_serial(write_spec, tmp_path):
    spec = iris_spec(models={
        "logreg": {"estimator": "sklearn.linear_model.LogisticRegression"},
        "forest": {"estimator": "sklearn.ensemble.RandomForestClassifier",
                   "params": {"n_estimators": 20}}})
    serial = _study(write_spec, tmp_path, spec, ledger=str(tmp_path / "a.db"))
    serial.run(jobs=1, progress=False)
    pooled = _study(write_spec, tmp_path, spec, ledger=str(tmp_path / "b.db"))
    pooled.run(jobs=2, progress=False)
    cols = ["model", "n_train", "repeat", "seed", "metric", "value", "train_value",
            "predictions_digest"]
    a = serial.trials()[cols].sort_values(cols[:5]).reset_index(drop=True)
    b = pooled.trials()[cols].sort_values(cols[:5]).reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b)


def test_reproduce_is_exact_and_detects_a_tampered_result(write_spec, tmp_path):
    study = _study(write_spec, tmp_path)
    study.run(jobs=1, progress=False)
    summary = study.reproduce(sample=3)
    assert summary["sample"] == 3 and summary["differing"] == 0
    assert all(t["predictions_match"] for t in summary["trials"])
    with sqlite3.connect(tmp_path / "ledger.db") as conn:
        conn.execute("UPDATE trial_metrics SET value = value - 0.25 WHERE name = 'accuracy'")
    summary = study.reproduce(sample=6)
    assert summary["differing"] == 6
    diff = summary["trials"][0]["metric_differences"][0]
    assert diff["metric"] == "accuracy" and diff["abs_diff"] == pytest.approx(0.25)


def test_a_second_coordinator_on_one_sqlite_file_gets_a_clear_error(write_spec, tmp_path):
    import fcntl

    study = _study(write_spec, tmp_path)
    study.run(jobs=1, progress=False)
    with open(f"{tmp_path / 'ledger.db'}.lock", "a+") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        with pytest.raises(LedgerError, match="one coordinator at a time"):
            study.run(jobs=1, progress=False)
    # readers work while a run holds the lock
    assert study.status().counts["complete"] == 6


def _slow_spec(delay: float, repeats: int = 4) -> dict:
    return iris_spec(
        models={"slow": {"factory": "tests.study_tests.slow_models:make_slow",
                         "params": {"delay": delay}}},
        metrics=["accuracy"],
        schedule={"sizes": [20, 40, 60, 80, 100], "repeats": repeats, "seed": 0})


def _spawn_run(spec_path: Path, ledger: str, jobs: int) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    return subprocess.Popen(
        [sys.executable, "-m", "dataroi", "run", str(spec_path), "--ledger", ledger,
         "--jobs", str(jobs), "--no-progress"],
        env=env, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _complete_count(study) -> int:
    try:
        return study.status().counts["complete"]
    except Exception:  # the ledger may not exist yet
        return 0


def _wait_for(study, at_least: int, timeout: float = 60.0) -> None:
    end = time.monotonic() + timeout
    while _complete_count(study) < at_least:
        assert time.monotonic() < end, "the run made no progress"
        time.sleep(0.1)


@pytest.mark.parametrize("sig, jobs", [(signal.SIGINT, 1), (signal.SIGTERM, 2)])
@pytest.mark.slow
def test_interrupt_releases_claimed_trials_and_a_rerun_finishes(write_spec, tmp_path, sig,
                                                                jobs):
    # 0.5 s per trial: on a loaded machine a 0.25 s run could finish before the signal
    spec_path = write_spec(_slow_spec(0.5))
    ledger = str(tmp_path / "ledger.db")
    study = dataroi.load_study(spec_path, ledger=ledger)
    proc = _spawn_run(spec_path, ledger, jobs)
    _wait_for(study, 3)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "returned to waiting" in err and "Traceback" not in err
    counts = study.status().counts
    assert counts["running"] == 0 and 3 <= counts["complete"] < 20
    summary = study.run(jobs=1, progress=False)
    assert summary.completed + summary.already_done == 20
    keys = study.trials()[["model", "n_train", "repeat"]]
    assert len(keys) == 20 and not keys.duplicated().any()


@pytest.mark.slow
def test_kill_9_loses_only_trials_in_flight(write_spec, tmp_path):
    spec_path = write_spec(_slow_spec(0.25))
    ledger = str(tmp_path / "ledger.db")
    study = dataroi.load_study(spec_path, ledger=ledger)
    proc = _spawn_run(spec_path, ledger, 2)
    _wait_for(study, 4)
    import psutil

    workers = psutil.Process(proc.pid).children(recursive=True)
    assert workers  # the fork server and its worker processes
    proc.kill()  # SIGKILL: no handler runs, claimed trials stay "running"
    proc.wait(timeout=30)
    # the orphaned workers notice and exit, so they hold no memory
    _, alive = psutil.wait_procs(workers, timeout=15)
    assert not alive, [p.cmdline()[:3] for p in alive]
    done_before = study.status().counts["complete"]
    assert done_before >= 4
    summary = study.run(jobs=2, progress=False)
    assert summary.already_done == done_before
    assert summary.completed == 20 - done_before
    with sqlite3.connect(ledger) as conn:
        n_rows = conn.execute("SELECT COUNT(*) FROM trials").fetchone()[0]
        n_complete = conn.execute("SELECT COUNT(*) FROM trials WHERE state='complete'"
                                  ).fetchone()[0]
    assert n_rows == 20 and n_complete == 20


@pytest.mark.postgres
@pytest.mark.slow
def test_postgres_ledger_end_to_end(write_spec, tmp_path, postgres_url):
    study = _study(write_spec, tmp_path, ledger=postgres_url)
    first = study.run(jobs=2, progress=False)
    assert first.completed == 6
    assert study.run(jobs=1, progress=False).completed == 0
    sqlite_study = _study(write_spec, tmp_path, ledger=str(tmp_path / "same.db"))
    sqlite_study.run(jobs=1, progress=False)
    cols = ["model", "n_train", "repeat", "metric", "value"]
    a = study.trials()[cols].sort_values(cols[:4]).reset_index(drop=True)
    b = sqlite_study.trials()[cols].sort_values(cols[:4]).reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b)
    assert study.reproduce(sample=2)["differing"] == 0


def test_spec_file_round_trip_through_yaml(write_spec, tmp_path):
    path = write_spec(iris_spec())
    assert yaml.safe_load(path.read_text())["name"] == "iris"
    study = dataroi.load_study(path)
    assert study.ledger_url == str(tmp_path / ".dataroi" / "ledger.db")
    plan = study.plan()
    assert plan.sizes == [15, 40, 90] and plan.n_trials == len(plan.trials) == 6


@pytest.mark.slow
def test_a_new_metric_is_scored_from_stored_predictions_without_retraining(write_spec,
                                                                          tmp_path):
    study = _study(write_spec, tmp_path)
    study.run(jobs=1, progress=False)
    before = study.trials()
    more = iris_spec(metrics=["accuracy", "log_loss", "brier", "f1_macro"])
    study2 = _study(write_spec, tmp_path, more)
    summary = study2.run(jobs=1, progress=False)
    assert summary.completed == 0 and summary.already_done == 6
    assert any("no retraining" in n for n in summary.notes)
    after = study2.trials()
    assert set(after["metric"]) == {"accuracy", "log_loss", "brier", "f1_macro"}
    assert after["value"].notna().all()
    # the recorded values did not change
    merged = before.merge(after, on=["trial_id", "metric"], suffixes=("_a", "_b"))
    assert len(merged) == 12 and (merged["value_a"] == merged["value_b"]).all()
    # and equal what a fresh run computes directly
    fresh = _study(write_spec, tmp_path, more, ledger=str(tmp_path / "fresh.db"))
    fresh.run(jobs=1, progress=False)
    cols = ["model", "n_train", "repeat", "metric"]
    a = after.sort_values(cols)["value"].to_numpy()
    b = fresh.trials().sort_values(cols)["value"].to_numpy()
    assert np.allclose(a, b, rtol=1e-6)


def test_status_before_the_first_run_counts_everything_as_not_planned(write_spec, tmp_path):
    study = _study(write_spec, tmp_path)
    st = study.status()
    assert st.counts["not planned yet"] == 6 and st.counts["complete"] == 0
    assert not (tmp_path / "ledger.db").exists()  # reading created nothing


@pytest.mark.slow
def test_reproduce_re_runs_each_trial_with_the_threads_it_ran_with(write_spec, tmp_path):
    """A run gives each trial BLAS threads (cores / jobs); a linear model's last bits
    depend on them. `reproduce` re-ran every trial with one thread, so a study run with
    --jobs 1 on two cores (the Minneapolis use-of-force study's logreg) 'did not
    reproduce'; the run's environment now records the count."""
    from dataroi.ledger import open_ledger

    spec = iris_spec(models={"echo": {"estimator": "tests.study_tests.slow_models.ThreadsEcho",
                                      "params": {"max_iter": 500}}})
    study = _study(write_spec, tmp_path, spec=spec)
    study.run(jobs=1, threads=2, progress=False)
    with open_ledger(study.ledger_url, create=False) as ledger:
        env_ids = {s.extra["environment_id"] for s in study.snapshots()}
        assert [ledger.get_environment(i)["trial_threads"] for i in env_ids] == [2]
    summary = study.reproduce(sample=6)
    assert summary["differing"] == 0, summary
    assert all(t["predictions_match"] for t in summary["trials"])
    assert summary["environment_differences"] == []  # a run setting, not the machine's
    # a ledger written before the count was kept: re-run with 1, and the summary says why
    # the last bits may differ
    import json

    with sqlite3.connect(tmp_path / "ledger.db") as conn:
        for env_id, payload in conn.execute("SELECT id, payload FROM environments").fetchall():
            env = json.loads(payload)
            env.pop("trial_threads")
            conn.execute("UPDATE environments SET payload = ? WHERE id = ?",
                         (json.dumps(env), env_id))
    conn.close()
    old = study.reproduce(sample=6)
    assert old["differing"] == 6
    assert any(line.startswith("the trials' BLAS threads were not recorded")
               for line in old["environment_differences"])
