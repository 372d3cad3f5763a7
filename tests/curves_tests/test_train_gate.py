"""The training-score gate: ``fit_curve(..., train_scores=...)`` on real LCDB curves,
its fallbacks, its serialisation and its input errors."""

from __future__ import annotations

import json

import numpy as np
import pytest

from dataroi.curves import CurveFit, fit_curve, load_calibration
from dataroi.curves._stack import (
    DERIVED_SHARED,
    SHARED_NAMES,
    TRAIN_SHARED_NAMES,
    Stacker,
    load_stacker,
    train_features,
)
from dataroi.exceptions import DataError, UsageError

N = np.array([16, 23, 32, 45, 64, 91, 128], dtype=float)


def _err(seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return 0.1 + 0.9 * N[:, None] ** -0.5 + rng.normal(0, 0.004, (len(N), 8))


def _train(seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed + 100)
    return 0.02 + 0.3 * N[:, None] ** -0.5 + rng.normal(0, 0.002, (len(N), 8))


def test_shipped_train_gate_is_complete_and_licensed() -> None:
    st, base = load_stacker("train"), load_stacker()
    assert st is not None and base is not None
    assert st.uses_train and not base.uses_train
    assert st.families == base.families
    k = len(st.families)
    assert st.coef_shared.shape == (
        k, len(SHARED_NAMES) + len(DERIVED_SHARED) + len(TRAIN_SHARED_NAMES))
    assert "Felix Mohr" in st.meta["licence"] and "MIT" in st.meta["licence_text"]
    # learned on the same training half of the data sets as the test-score gate
    assert st.meta["train_openml_ids"] == base.meta["train_openml_ids"]
    cal = load_calibration("train")
    assert cal.meta["train_openml_ids"] == base.meta["train_openml_ids"]
    assert cal.scale_coef is not None
    again = Stacker.from_dict(json.loads(json.dumps(st.to_dict())))
    assert again.uses_train and np.array_equal(again.coef_own, st.coef_own)
    with pytest.raises(ValueError, match="training-score features"):
        st.weights(np.zeros(len(SHARED_NAMES)), np.zeros((k, 4)), np.ones(k, bool))
    with pytest.raises(ValueError, match="unknown gate kind"):
        load_stacker("nope")


def test_train_features_measure_the_gap() -> None:
    val = np.array([0.40, 0.30, 0.25, 0.20])
    own = np.zeros((3, 4))
    own[:, 1] = [0.1, 0.5, 0.9]  # relative gains at 16x
    shared, ow = train_features(val, np.array([0.0, 0.05, 0.08, 0.10]), own)
    assert shared[0] == pytest.approx(0.10 / 0.40)  # training level in loss units
    assert shared[1] == pytest.approx(0.5)  # (0.20 - 0.10) / 0.20
    assert shared[2] == pytest.approx((0.10 - 0.05) / 0.40, rel=1e-4)
    np.testing.assert_allclose(ow[:, 0], [-0.4, 0.0, 0.4], atol=1e-12)
    np.testing.assert_allclose(ow[:, 1], [0.0, 0.0, 0.4], atol=1e-12)
    # a training loss above the test loss (no gap) clips, the log stays finite
    shared, _ = train_features(val, np.array([0.5, 0.5, 0.5, 0.5]), own)
    assert shared[1] == pytest.approx((0.2 - 0.5) / 0.2 if (0.2 - 0.5) / 0.2 > -1 else -1.0)
    assert np.isfinite(shared).all()


@pytest.mark.slow
def test_real_curves_with_training_scores(lcdb_curves, lcdb_train_error) -> None:
    """On held-out LCDB curves the training-score gate is used, beats last1 and its
    calibrated 90 % intervals cover (the benchmark measures it on hundreds of curves)."""
    ae_fit, ae_last, inside, differ = [], [], [], 0
    for (_oid, _learner, n, err), tr in zip(lcdb_curves, lcdb_train_error, strict=True):
        seen = n <= 128
        at = np.nonzero(np.isclose(n, 512))[0]
        if seen.sum() < 5 or at.size == 0:
            continue
        truth = float(np.nanmean(err[at[0]]))
        fit = fit_curve(n[seen], err[seen], higher_is_better=False, random_state=0,
                        train_scores=tr[seen])
        plain = fit_curve(n[seen], err[seen], higher_is_better=False, random_state=0)
        assert fit.gate == "train" and plain.gate == "test"
        assert fit.calibrated and fit._cal is load_calibration("train")
        differ += fit.weights != plain.weights
        ae_fit.append(abs(fit.predict(512)[0] - truth))
        ae_last.append(abs(fit.mean_loss[-1] - truth))
        lo, hi = fit.interval(512, level=0.9)
        inside.append(lo[0] <= truth <= hi[0])
    assert len(ae_fit) >= 10 and differ >= len(ae_fit) // 2
    assert np.mean(ae_fit) < np.mean(ae_last)
    assert np.mean(inside) >= 0.7


def test_accuracy_scores_and_the_round_trip() -> None:
    acc, train_acc = 1 - _err(), 1 - _train()
    fit = fit_curve(N, acc, random_state=3, train_scores=train_acc)
    assert fit.gate == "train"
    assert fit.summary()["gate"] == "train"
    assert fit.summary()["train_score_at_largest"] == pytest.approx(train_acc[-1].mean())
    np.testing.assert_allclose(fit.train_loss, 1 - train_acc.mean(axis=1))
    again = CurveFit.from_dict(json.loads(json.dumps(fit.to_dict())))
    assert again.gate == "train"
    np.testing.assert_allclose(again.train_loss, fit.train_loss)
    n = [256, 512, 2048]
    assert np.array_equal(again.interval(n, 0.8)[0], fit.interval(n, 0.8)[0])
    # deterministic for a fixed random_state
    same = fit_curve(N, acc, random_state=3, train_scores=train_acc)
    assert np.array_equal(same.sample(n, size=50, random_state=1),
                          fit.sample(n, size=50, random_state=1))


def test_repeated_sizes_and_missing_training_scores_merge() -> None:
    err, tr = _err(), _train()
    tr[2, :] = np.nan  # one size without any training score
    s = np.concatenate([N, N[-1:]])  # the largest size repeated in a second row
    fit = fit_curve(s, np.vstack([err, err[-1:]]), higher_is_better=False, random_state=0,
                    train_scores=np.vstack([tr, tr[-1:] + 0.01]))
    assert fit.gate == "train" and np.isnan(fit.train_loss[2])
    assert fit.train_loss[-1] == pytest.approx(np.mean(np.r_[tr[-1], tr[-1] + 0.01]))
    # one column (a single repeat, or the mean over repeats) is accepted
    one = fit_curve(N, err, higher_is_better=False, random_state=0,
                    train_scores=tr.mean(axis=1))
    assert one.gate == "train"


@pytest.mark.parametrize("case", ["none", "no_largest", "unbounded", "families"])
def test_falls_back_when_training_scores_cannot_be_used(case: str) -> None:
    err, tr = _err(), _train()
    kw: dict = {"higher_is_better": False, "random_state": 0, "train_scores": tr}
    if case == "none":
        kw["train_scores"] = None
    elif case == "no_largest":
        tr[-1] = np.nan
    elif case == "unbounded":  # scores above 1, higher better: the loss has no natural zero
        err, kw["train_scores"], kw["higher_is_better"] = 5 - err, 5 - tr, True
    else:
        kw["families"] = ("pow3", "exp3")  # exp3 is unknown to the learned gates
    fit = fit_curve(N, err, **kw)
    assert fit.gate == ("prefix" if case == "families" else "test")
    if case == "no_largest":
        assert fit.train_inputs(("pow3",)) is None and fit._cal is load_calibration()


def test_bad_training_scores_are_clear_errors() -> None:
    err = _err()
    with pytest.raises(UsageError, match=r"train_scores must have shape \(n_sizes"):
        fit_curve(N, err, higher_is_better=False, train_scores=_train()[:-1])
    with pytest.raises(UsageError, match="numeric"):
        fit_curve(N, err, higher_is_better=False, train_scores=[["a"] * 8] * len(N))
    bad = _train()
    bad[0, 0] = np.inf
    with pytest.raises(DataError, match="inf"):
        fit_curve(N, err, higher_is_better=False, train_scores=bad)


@pytest.mark.slow
def test_straight_from_sklearn_learning_curve() -> None:
    """The arrays of scikit-learn's ``learning_curve`` go in as they come."""
    from sklearn.datasets import load_digits
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import ShuffleSplit, learning_curve

    x, y = load_digits(return_X_y=True)
    sizes, train, test = learning_curve(
        LogisticRegression(max_iter=500), x, y, train_sizes=[40, 80, 160, 320, 640],
        cv=ShuffleSplit(n_splits=4, test_size=0.3, random_state=0))
    fit = fit_curve(sizes, test, train_scores=train, random_state=0)
    assert fit.gate == "train" and fit.higher_is_better
    np.testing.assert_allclose(fit.train_loss, 1.0 - train.mean(axis=1))
    lo, hi = fit.interval(2560, level=0.9)
    assert lo[0] <= fit.predict(2560)[0] <= hi[0] <= 1.0
    assert fit.predict(2560)[0] > test[-1].mean() - 0.01  # more data does not hurt here


@pytest.mark.slow
def test_gap_closed_diagnostic() -> None:
    err = _err()
    # training rows scored no better than new rows: the gap is closed
    closed = fit_curve(N, err, higher_is_better=False, random_state=0,
                       train_scores=err - 0.001)
    assert "gap_closed" in closed.diagnostics
    assert "a more flexible model may buy more" in closed.diagnostics["gap_closed"]
    assert "is within 2 standard errors of the score on the training rows (training " \
        "better by" in closed.diagnostics["gap_closed"]
    # training rows scored clearly worse than new ones (a harder training mix): "better
    # than", never "within 2 standard errors" of a gap of 26 of them
    worse = fit_curve(N, err, higher_is_better=False, random_state=0,
                      train_scores=err + 0.05)
    assert "the test score is better than the score on the training rows (test better by" \
        in worse.diagnostics["gap_closed"]
    # a wide gap, no training scores, or one repeat: no such diagnostic
    wide = fit_curve(N, err, higher_is_better=False, random_state=0, train_scores=_train())
    plain = fit_curve(N, err, higher_is_better=False, random_state=0)
    one = fit_curve(N, err[:, :1], higher_is_better=False, random_state=0,
                    train_scores=err[:, :1])
    assert not any("gap_closed" in f.diagnostics for f in (wide, plain, one))
    # accuracy: higher is better, the same reading
    acc = fit_curve(N, 1 - err, random_state=0, train_scores=1 - err + 0.001)
    assert "gap_closed" in acc.diagnostics
    again = CurveFit.from_dict(json.loads(json.dumps(acc.to_dict())))
    assert again.diagnostics == acc.diagnostics
