"""Each trial records its model's pickled size and how many test rows it predicted."""

from __future__ import annotations

import pickle
import threading
from typing import Any

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from dataroi.data import materialize, prepare_data
from dataroi.data._store import WorkerData
from dataroi.spec import spec_from_dict
from dataroi.trial import (
    TrialKey,
    TrialPayload,
    TrialSnapshot,
    TrialState,
    estimator_seed,
    run_trial,
    subset_seed,
    train_indices,
    trials_frame,
)
from dataroi.trial._worker import _pickled_bytes
from tests.conftest import iris_spec

LOGREG = {"estimator": "sklearn.linear_model.LogisticRegression", "params": {"max_iter": 200}}


def unpicklable_classifier(**params: Any) -> LogisticRegression:
    """A factory (used by import path): a working model that holds a lock, which pickle
    refuses."""
    est = LogisticRegression(**params)
    est.lock_ = threading.Lock()
    return est


def _digits(tmp_path) -> tuple[Any, str]:
    spec = spec_from_dict(iris_spec(data={"source": "sklearn:digits"}))
    prep = prepare_data(spec)
    return prep, materialize(prep, tmp_path)


def _payload(path: str, model: dict[str, Any], n: int, repeat: int = 0) -> TrialPayload:
    return TrialPayload(trial_id=0, key=TrialKey("m", n, repeat),
                        seed=estimator_seed(0, repeat, n, "m"),
                        subset_seed=subset_seed(0, repeat), model=model,
                        metrics=("accuracy",), data_path=path, threads=1)


def test_trial_records_model_bytes_and_rows_predicted(tmp_path):
    prep, path = _digits(tmp_path)
    result = run_trial(_payload(path, LOGREG, 100))
    assert result.state is TrialState.COMPLETE
    assert result.n_predicted == len(prep.test_idx) == len(result.predictions["pred"])
    # the same model fitted on the same rows pickles to exactly the bytes counted
    view = WorkerData.open(path)
    train = train_indices(view, subset_seed(0, 0), 100)
    same = LogisticRegression(max_iter=200, random_state=estimator_seed(0, 0, 100, "m"))
    same.fit(view.rows(train), np.asarray(view.y)[train])
    assert result.model_bytes == len(pickle.dumps(same, protocol=pickle.HIGHEST_PROTOCOL))
    assert result.model_bytes > same.coef_.nbytes  # 10 classes x 64 pixels of float64
    # a larger model is larger: a forest grows with its trees
    forest = {"estimator": "sklearn.ensemble.RandomForestClassifier",
              "params": {"n_estimators": 5}}
    bigger = {"estimator": "sklearn.ensemble.RandomForestClassifier",
              "params": {"n_estimators": 20}}
    small, large = run_trial(_payload(path, forest, 300)), run_trial(_payload(path, bigger, 300))
    assert 0 < small.model_bytes < large.model_bytes
    assert small.n_predicted == large.n_predicted == len(prep.test_idx)


def test_unpicklable_model_completes_without_a_size(tmp_path):
    prep, path = _digits(tmp_path)
    model = {"factory": f"{__name__}:unpicklable_classifier", "params": {"max_iter": 200}}
    result = run_trial(_payload(path, model, 100))
    assert result.state is TrialState.COMPLETE, result.error_message
    assert result.model_bytes is None
    assert result.n_predicted == len(prep.test_idx)
    assert 0.5 < result.metrics["accuracy"] <= 1.0


def test_failed_fit_has_neither(tmp_path):
    _, path = _digits(tmp_path)
    result = run_trial(_payload(path, LOGREG, 1))  # one row, one class: fit refuses
    assert result.state is TrialState.FAILED
    assert result.model_bytes is None and result.n_predicted is None


def test_pickled_bytes_counts_wide_buffers_and_keeps_nothing():
    values = np.arange(100_000, dtype=np.float64)  # a protocol-5 buffer of 8-byte items
    assert _pickled_bytes(values) == len(pickle.dumps(values, protocol=pickle.HIGHEST_PROTOCOL))
    assert _pickled_bytes(values) > values.nbytes
    assert _pickled_bytes({"a": [1, 2.5, "x"]}) == len(
        pickle.dumps({"a": [1, 2.5, "x"]}, protocol=pickle.HIGHEST_PROTOCOL))
    assert _pickled_bytes(threading.Lock()) is None
    assert _pickled_bytes(lambda x: x) is None


def test_trials_frame_has_the_two_columns_after_peak_memory():
    def snap(trial_id: int, state: TrialState, extra: dict[str, Any]) -> TrialSnapshot:
        return TrialSnapshot(trial_id=trial_id, context_id=1, key=TrialKey("m", 10, trial_id),
                             model_hash="h", seed=1, state=state, metrics={"accuracy": 0.9},
                             extra=extra)

    frame = trials_frame([
        snap(0, TrialState.COMPLETE, {"peak_rss_bytes": 2**30, "model_bytes": 4096,
                                      "n_predicted": 360, "predict_seconds": 0.0036}),
        snap(1, TrialState.COMPLETE, {}),  # recorded before dataroi kept them
        snap(2, TrialState.FAILED, {"n_predicted": 360}),
    ], ["accuracy"])
    columns = list(frame.columns)
    at = columns.index("peak_rss_bytes")
    assert columns[at + 1:at + 3] == ["model_bytes", "n_predicted"]
    first = frame.iloc[0]
    assert (first["model_bytes"], first["n_predicted"]) == (4096, 360)
    latency_ms = first["predict_seconds"] / first["n_predicted"] * 1e6  # per 1,000 rows
    assert latency_ms == pytest.approx(10.0)
    assert frame["model_bytes"].iloc[1:].isna().all()  # unknown: missing (NaN)
    assert np.isnan(frame["n_predicted"].iloc[1]) and frame["n_predicted"].iloc[2] == 360
