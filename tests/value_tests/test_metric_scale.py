"""average_precision and mcc through a real study (iris): scored by the workers, read by
the test-set bootstrap, and continued by the learned gain forecast only where its scale
fits (a metric in [0, 1]: average precision yes, MCC's [-1, 1] no)."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import average_precision_score, matthews_corrcoef

from dataroi.metrics import get_metric
from tests.value_tests.helpers import iris_two_models, run_study


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    spec = iris_two_models(metrics=["average_precision", "mcc", "accuracy"])
    return run_study(tmp_path_factory.mktemp("iris-ap-mcc"), spec)


@pytest.mark.parametrize("metric", ["average_precision", "mcc"])
@pytest.mark.slow
def test_the_trials_score_it_and_the_test_bootstrap_reads_it(study, metric):
    frame = study.trials()
    values = frame.loc[frame["metric"] == metric, "value"].to_numpy(float)
    assert len(values) == 2 * 5 * 3 and np.isfinite(values).all()
    low, high = get_metric(metric).value_range
    assert ((low <= values) & (values <= high)).all()
    with study.analyze(metric=metric, random_state=0) as analysis:
        curves = analysis.curves
        assert curves.metric == metric and curves.higher_is_better
        assert set(curves.test_boot) == {"logreg", "tree"}
        for m in ("logreg", "tree"):
            boot = curves.test_boot[m]
            assert boot.shape == (100,) and np.isfinite(boot).all()
            today = np.mean(list(curves.today[m].values()))
            assert abs(float(np.mean(boot)) - today) < 0.1  # resamples centre on today
        # MCC is not on the [0, 1] scale the learned forecast knows
        assert bool(curves.forecasts) == (metric == "average_precision")
        assert all(f.best_value == 1.0 for f in curves.fits.values())


def test_the_bootstrap_fallback_scores_each_resample_like_sklearn(study):
    from dataroi.value._curves import _resampled_scores

    with study.analyze(metric="mcc", random_state=0) as analysis:
        preds = analysis.predictions
        at = analysis.trials
        digest = at.loc[(at["model"] == "logreg") & (at["metric"] == "mcc"),
                        "predictions_digest"].iloc[-1]
    arrays = preds.load(str(digest))
    y = np.asarray(preds.y_test)
    rows = np.random.default_rng(0).integers(0, len(y), size=(5, len(y)))
    for metric, expected in (
            ("mcc", [matthews_corrcoef(y[r], arrays["pred"][r]) for r in rows]),
            ("average_precision", [np.mean([
                average_precision_score(y[r] == c, arrays["proba"][r, c])
                for c in np.unique(y[r])]) for r in rows])):
        got = _resampled_scores(get_metric(metric), y, arrays, rows, preds.n_classes)
        np.testing.assert_allclose(got, expected)


def test_the_test_bootstrap_resamples_within_each_class(study):
    """The test split is stratified, so the bootstrap keeps each class's count: with a
    class of one test row, a plain resample drops it in about a third of the draws
    (balanced accuracy then averages over the classes left, and scikit-learn warns)."""
    import warnings

    from dataroi.value._curves import _resample_rows, _resampled_scores

    with study.analyze(metric="mcc", random_state=0) as analysis:
        preds = analysis.predictions
        at = analysis.trials
        digest = at.loc[(at["model"] == "tree") & (at["metric"] == "mcc"),
                        "predictions_digest"].iloc[-1]
        boot = analysis.curves.test_boot["tree"]
    y = np.asarray(preds.y_test)
    rows = _resample_rows(y, 100, 0, by_class=True)
    counts = np.bincount(y, minlength=3)
    assert all((np.bincount(r, minlength=3) == counts).all() for r in y[rows])
    # a rare class: keep one test row of class 2, the predictions of those rows
    keep = np.concatenate([np.flatnonzero(y != 2), np.flatnonzero(y == 2)[:1]])
    arrays = {k: np.asarray(v)[keep] for k, v in preds.load(str(digest)).items()}
    yk = y[keep]
    plain = _resample_rows(yk, 100, 0, by_class=False)
    assert (yk[plain] == 2).sum(axis=1).min() == 0           # some resamples lose it
    with warnings.catch_warnings():
        warnings.simplefilter("error")                       # no sklearn warning now
        got = _resampled_scores(get_metric("balanced_accuracy"), yk, arrays,
                                _resample_rows(yk, 100, 0, by_class=True), 3)
    assert np.isfinite(got).all()
    # the curves' bootstrap of today is read on such resamples (one model, its repeats)
    assert boot.shape == (100,) and np.isfinite(boot).all()
