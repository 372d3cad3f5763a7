"""average_precision and mcc agree with scikit-learn on real predictions, are NaN where
undefined, and every part that enumerates metrics knows them."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from sklearn import metrics as skm
from sklearn.datasets import load_breast_cancer, load_iris
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import label_binarize

from dataroi.exceptions import SpecError
from dataroi.metrics import METRICS, get_metric, metric_names
from dataroi.spec import spec_from_dict


def _fit(loader, *, C: float = 1.0):
    X, y = loader(return_X_y=True)
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.4, random_state=0, stratify=y)
    est = LogisticRegression(max_iter=5000, C=C).fit(Xtr, ytr)
    return yte, est.predict(Xte), est.predict_proba(Xte)


def _score(name, y, pred, proba):
    return get_metric(name).score(y, pred=pred, proba=proba, n_classes=proba.shape[1])


@pytest.mark.slow
def test_average_precision_matches_sklearn_binary_and_macro_ovr():
    y, pred, proba = _fit(load_breast_cancer)
    assert _score("average_precision", y, pred, proba) == pytest.approx(
        skm.average_precision_score(y, proba[:, 1]))
    # several classes: macro over one-vs-rest, as sklearn on a label-binarised target;
    # a weak model (small C) so that the value is not 1
    y, pred, proba = _fit(load_iris, C=0.01)
    expected = skm.average_precision_score(label_binarize(y, classes=[0, 1, 2]), proba,
                                           average="macro")
    assert expected < 0.99
    assert _score("average_precision", y, pred, proba) == pytest.approx(expected)


@pytest.mark.parametrize("loader", [load_breast_cancer, load_iris])
@pytest.mark.slow
def test_mcc_matches_sklearn(loader):
    y, pred, proba = _fit(loader, C=0.01)
    expected = skm.matthews_corrcoef(y, pred)
    assert 0 < expected < 1
    assert _score("mcc", y, pred, proba) == pytest.approx(expected)


@pytest.mark.slow
def test_mcc_reaches_below_zero_and_its_range_says_so():
    y, pred, proba = _fit(load_breast_cancer)
    flipped = 1 - pred  # a model worse than chance
    assert _score("mcc", y, flipped, proba) == pytest.approx(
        skm.matthews_corrcoef(y, flipped))
    assert _score("mcc", y, flipped, proba) < -0.8
    mcc, ap = get_metric("mcc"), get_metric("average_precision")
    assert mcc.value_range == (-1.0, 1.0) and mcc.best_value == 1.0
    assert not mcc.unit_interval  # the learned gain forecast must not take it
    assert ap.value_range == (0.0, 1.0) and ap.unit_interval
    assert mcc.higher_is_better and ap.higher_is_better
    assert (ap.needs, mcc.needs) == ("score", "pred")


def test_a_single_class_in_the_test_set_is_nan():
    y = np.zeros(6, dtype=int)
    proba = np.tile([0.7, 0.3], (6, 1))
    for name in ("average_precision", "mcc"):
        assert math.isnan(_score(name, y, y, proba))
        assert math.isnan(_score(name, y + 1, y, proba))  # only positives: still one class
    y3 = np.full(6, 2)
    proba3 = np.tile([0.2, 0.3, 0.5], (6, 1))
    assert math.isnan(_score("average_precision", y3, y3, proba3))


def test_multiclass_average_precision_skips_classes_absent_from_the_test_set():
    y, pred, proba = _fit(load_iris, C=0.01)
    keep = y != 2  # class 2 absent from this test set: averaged over classes 0 and 1
    got = get_metric("average_precision").score(y[keep], pred=pred[keep], proba=proba[keep],
                                                n_classes=3)
    expected = np.mean([skm.average_precision_score(y[keep] == c, proba[keep, c])
                        for c in (0, 1)])
    assert got == pytest.approx(expected)


def test_names_aliases_and_suggestions():
    assert {"average_precision", "mcc"} <= set(metric_names("classification"))
    assert get_metric("pr_auc").name == "average_precision"
    assert get_metric("matthews_corrcoef").name == "mcc"
    with pytest.raises(KeyError, match="did you mean 'average_precision'"):
        get_metric("average_precison")
    for m in METRICS.values():  # every metric states a range that holds its best value
        low, high = m.value_range
        assert low < high and m.best_value in (low, high)


def test_the_spec_accepts_them_and_suggests_on_a_typo():
    raw = {"data": {"source": "t.csv", "target": "y", "task": "classification"},
           "models": {"lr": "sklearn.linear_model.LogisticRegression"},
           "metrics": ["average_precision", "mcc", "pr_auc"],
           "schedule": {"sizes": [10, 20]}}
    with pytest.raises(SpecError, match="listed twice"):  # pr_auc is average_precision
        spec_from_dict(raw)
    raw["metrics"] = ["average_precision", "mcc"]
    assert spec_from_dict(raw).metrics == ("average_precision", "mcc")
    raw["metrics"] = ["mc"]
    with pytest.raises(SpecError, match="did you mean 'mcc'"):
        spec_from_dict(raw)


def test_balanced_accuracy_without_a_predicted_class_in_the_test_set_is_quiet():
    # a resampled test set (the bootstrap of `dataroi value`) lacks a class the model
    # predicts: the mean recall over the classes present, and no warning on the screen
    y, pred, proba = _fit(load_iris, C=0.01)
    keep = y != 2
    assert (pred[keep] == 2).any()  # the model predicts the absent class on some rows
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        got = _score("balanced_accuracy", y[keep], pred[keep], proba[keep])
    assert seen == []
    with pytest.warns(UserWarning, match="y_pred contains classes not in y_true"):
        expected = skm.balanced_accuracy_score(y[keep], pred[keep])
    assert got == pytest.approx(expected)


@pytest.mark.parametrize("name", ["balanced_accuracy", "mcc", "f1_macro", "accuracy"])
def test_a_slice_of_one_class_is_scored_quietly(name):
    # a slice (`dataroi stress`) whose test rows and predictions hold one class: sklearn
    # warns "A single label was found in 'y_true' and 'y_pred'" once per trial and slice
    y = np.full(12, 2)
    proba = np.tile([0.1, 0.2, 0.7], (12, 1))
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        _score(name, y, y, proba)
    assert [str(w.message) for w in seen] == []
