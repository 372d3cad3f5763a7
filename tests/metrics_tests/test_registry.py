"""Metrics agree with scikit-learn's reference implementations on real predictions."""

from __future__ import annotations

import math

import numpy as np
import pytest
from sklearn import metrics as skm
from sklearn.datasets import load_breast_cancer, load_iris
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split

from dataroi.metrics import METRICS, expected_calibration_error, get_metric


def _fit(loader):
    X, y = loader(return_X_y=True)
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.4, random_state=0, stratify=y)
    est = LogisticRegression(max_iter=5000).fit(Xtr, ytr)
    return yte, est.predict(Xte), est.predict_proba(Xte)


@pytest.mark.parametrize("loader", [load_breast_cancer, load_iris])
@pytest.mark.slow
def test_classification_metrics_match_sklearn(loader):
    y, pred, proba = _fit(loader)
    k = proba.shape[1]

    def score(name):
        return get_metric(name).score(y, pred=pred, proba=proba, n_classes=k)

    assert score("accuracy") == skm.accuracy_score(y, pred)
    assert score("balanced_accuracy") == skm.balanced_accuracy_score(y, pred)
    assert score("f1_macro") == pytest.approx(skm.f1_score(y, pred, average="macro"))
    assert score("log_loss") == pytest.approx(skm.log_loss(y, proba))
    if k == 2:
        assert score("roc_auc") == pytest.approx(skm.roc_auc_score(y, proba[:, 1]))
        assert score("brier") == pytest.approx(skm.brier_score_loss(y, proba[:, 1]))
    else:
        assert score("roc_auc") == pytest.approx(
            skm.roc_auc_score(y, proba, multi_class="ovr", average="macro"))
        onehot = np.eye(k)[y]
        assert score("brier") == pytest.approx(np.mean(np.sum((proba - onehot) ** 2, 1)))


def test_regression_metrics_match_sklearn():
    rng = np.random.default_rng(0)
    y = rng.normal(size=50)
    pred = y + rng.normal(scale=0.3, size=50)
    kw = {"pred": pred, "proba": None, "n_classes": None}
    assert get_metric("r2").score(y, **kw) == pytest.approx(skm.r2_score(y, pred))
    assert get_metric("mae").score(y, **kw) == pytest.approx(skm.mean_absolute_error(y, pred))
    assert get_metric("rmse").score(y, **kw) == pytest.approx(
        math.sqrt(skm.mean_squared_error(y, pred)))


def test_ece_of_a_perfectly_calibrated_and_an_overconfident_model():
    rng = np.random.default_rng(1)
    p = rng.uniform(0.5, 1.0, 20000)
    y_cal = (rng.uniform(size=p.size) < p).astype(int)  # P(class 1) = p exactly
    proba = np.column_stack([1 - p, p])
    assert expected_calibration_error(y_cal, proba) < 0.01
    y_bad = (rng.uniform(size=p.size) < 0.5).astype(int)
    assert expected_calibration_error(y_bad, proba) > 0.2


def test_undefined_metric_is_nan_not_a_crash():
    y = np.zeros(5, dtype=int)
    proba = np.tile([0.6, 0.4], (5, 1))
    assert math.isnan(get_metric("roc_auc").score(y, pred=y, proba=proba, n_classes=2))


def test_unknown_metric_suggests():
    with pytest.raises(KeyError, match="did you mean 'log_loss'"):
        get_metric("log_los")
    assert get_metric("auc").name == "roc_auc"
    assert {m.task for m in METRICS.values()} == {"classification", "regression"}
