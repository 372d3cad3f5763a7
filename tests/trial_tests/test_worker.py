"""The worker on real models and data: exact agreement with scikit-learn, failures as data."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import learning_curve

from dataroi.data import materialize, prepare_data
from dataroi.data._store import WorkerData
from dataroi.spec import spec_from_dict
from dataroi.trial import (
    TrialKey,
    TrialPayload,
    TrialState,
    derive_seed,
    estimator_seed,
    run_trial,
    subset_seed,
    train_indices,
)
from tests.conftest import iris_spec


def _digits(tmp_path):
    spec = spec_from_dict(iris_spec(data={"source": "sklearn:digits"}))
    prep = prepare_data(spec)
    return prep, materialize(prep, tmp_path)


def _payload(path, model, n, repeat, *, metrics=("accuracy",), name="m"):
    return TrialPayload(trial_id=0, key=TrialKey(name, n, repeat),
                        seed=estimator_seed(0, repeat, n, name),
                        subset_seed=subset_seed(0, repeat), model=model, metrics=metrics,
                        data_path=path, threads=1)


@pytest.mark.slow
def test_scores_equal_sklearn_learning_curve_exactly(tmp_path):
    """Same estimator, same train/test indices → the very same scores (no tolerance)."""
    prep, path = _digits(tmp_path)
    view = WorkerData.open(path)
    X = prep.X.to_numpy()
    sizes = [40, 150, 600]
    for model, make in [
        ({"estimator": "sklearn.linear_model.LogisticRegression",
          "params": {"max_iter": 300}}, lambda s: LogisticRegression(max_iter=300)),
        ({"estimator": "sklearn.ensemble.HistGradientBoostingClassifier",
          "params": {"max_iter": 15}},
         lambda s: HistGradientBoostingClassifier(max_iter=15, random_state=s)),
    ]:
        for repeat in range(2):
            train = train_indices(view, subset_seed(0, repeat), max(sizes))
            ours = [run_trial(_payload(path, model, n, repeat)).metrics["accuracy"]
                    for n in sizes]
            for n, score in zip(sizes, ours, strict=True):
                _, _, test_scores = learning_curve(
                    make(estimator_seed(0, repeat, n, "m")), X, prep.y,
                    train_sizes=[n], cv=[(train, np.asarray(prep.test_idx))],
                    scoring="accuracy", shuffle=False)
                assert score == test_scores[0, 0]


def test_models_share_subsets_and_subsets_are_nested(tmp_path):
    prep, path = _digits(tmp_path)
    view = WorkerData.open(path)
    small = train_indices(view, subset_seed(0, 1), 100)
    large = train_indices(view, subset_seed(0, 1), 500)
    assert np.array_equal(large[:100], small)
    assert len(set(prep.y[small])) == 10
    assert set(large) <= set(prep.pool_idx)


def test_seeds_are_keyed_by_identity_not_order():
    forward = [estimator_seed(7, r, n, m) for r in range(3) for n in (10, 20)
               for m in ("a", "b")]
    backward = [estimator_seed(7, r, n, m) for r in reversed(range(3)) for n in (20, 10)
                for m in ("b", "a")][::-1]
    assert forward == backward
    assert len(set(forward)) == len(forward)
    assert derive_seed(7, "subset", 0) != derive_seed(8, "subset", 0)


def test_failing_fit_is_a_failed_trial_with_its_error(tmp_path):
    _, path = _digits(tmp_path)
    # one row holds one class: LogisticRegression refuses to fit
    result = run_trial(_payload(path, {"estimator": "sklearn.linear_model.LogisticRegression",
                                       "params": {}}, 1, 0))
    assert result.state is TrialState.FAILED
    assert result.error_type == "ValueError"
    assert "class" in result.error_message
    assert "Traceback" in result.traceback
    assert result.metrics == {}


def test_result_has_timings_memory_and_full_width_probabilities(tmp_path):
    _, path = _digits(tmp_path)
    result = run_trial(_payload(path, {"estimator": "sklearn.linear_model.LogisticRegression",
                                       "params": {"max_iter": 200}}, 10, 0,
                                metrics=("accuracy", "log_loss", "roc_auc", "ece")))
    assert result.state is TrialState.COMPLETE
    assert result.fit_seconds > 0 and result.predict_seconds > 0 and result.cpu_seconds > 0
    assert result.peak_rss_bytes > 10_000_000
    assert result.predictions["proba"].shape == (360, 10)
    names = {"accuracy", "log_loss", "roc_auc", "ece"}
    assert set(result.metrics) == names | {f"train:{m}" for m in names}
    assert all(np.isfinite(result.metrics[m]) for m in names)


def test_training_scores_sit_beside_the_test_scores(tmp_path):
    """Like scikit-learn's learning_curve: each metric on the training rows too."""
    _, path = _digits(tmp_path)
    result = run_trial(_payload(path, {"estimator": "sklearn.tree.DecisionTreeClassifier",
                                       "params": {}}, 200, 0,
                                metrics=("accuracy", "log_loss", "roc_auc")))
    assert result.state is TrialState.COMPLETE
    m = result.metrics
    assert m["train:accuracy"] == 1.0 > m["accuracy"]  # a full tree memorises its rows
    assert m["train:log_loss"] < m["log_loss"] and m["train:roc_auc"] >= m["roc_auc"]
    again = run_trial(_payload(path, {"estimator": "sklearn.tree.DecisionTreeClassifier",
                                      "params": {}}, 200, 0,
                               metrics=("accuracy", "log_loss", "roc_auc")))
    assert again.metrics == result.metrics  # deterministic


def test_decision_function_serves_roc_auc(tmp_path):
    _, path = _digits(tmp_path)
    result = run_trial(_payload(path, {"estimator": "sklearn.svm.LinearSVC", "params": {}},
                                200, 0, metrics=("accuracy", "roc_auc")))
    assert result.state is TrialState.COMPLETE
    assert 0.9 < result.metrics["roc_auc"] <= 1.0


def test_regression_trial(tmp_path):
    spec = spec_from_dict(iris_spec(data={"source": "sklearn:diabetes"}, metrics=["r2"]))
    path = materialize(prepare_data(spec), tmp_path)
    result = run_trial(_payload(path, {"estimator": "sklearn.linear_model.Ridge",
                                       "params": {}}, 200, 0, metrics=("r2", "rmse", "mae")))
    assert result.state is TrialState.COMPLETE
    assert 0.2 < result.metrics["r2"] < 0.8
    assert "proba" not in result.predictions


def test_a_worker_refuses_an_edited_copy_and_reopens_a_rebuilt_one(tmp_path):
    prep = prepare_data(spec_from_dict(iris_spec()))
    path = materialize(prep, tmp_path)
    model = {"estimator": "sklearn.linear_model.LogisticRegression",
             "params": {"max_iter": 500}}
    first = run_trial(_payload(path, model, 40, 0))
    y = np.load(f"{path}/y.npy")
    np.save(f"{path}/y.npy", np.roll(y, 3))
    # the rebuilt copy has new files: this process's view of the old ones is dropped
    materialize(prep, tmp_path, notes=[])
    again = run_trial(_payload(path, model, 40, 0))
    assert again.metrics == first.metrics
    # a copy edited behind the coordinator's back, in a folder no worker opened yet
    other = tmp_path / "other" / "copy"
    shutil.copytree(path, other)
    np.save(other / "y.npy", np.roll(y, 3))
    refused = run_trial(_payload(str(other), model, 40, 0))
    assert refused.state is TrialState.FAILED
    assert "not as written (y.npy changed" in refused.error_message
