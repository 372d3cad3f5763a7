"""dataroi.trial._tables: intervals of a score carry the test set's sampling noise."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dataroi.trial import holdout_noise, mean_ci, summary_frame
from tests.value_tests.helpers import iris_two_models, run_study


@pytest.mark.slow
def test_at_the_full_pool_the_interval_is_not_zero_wide(tmp_path):
    """Every repeat trains on the same rows at the full pool: the repeats agree exactly,
    yet 30 test rows leave the accuracy uncertain by several points."""
    study = run_study(tmp_path / "s", iris_two_models())
    trials = study.trials().query("metric == 'accuracy'")
    table = summary_frame(trials, "accuracy")
    full = trials[trials["n_train"] == 120]
    assert (full["n_predicted"] == 30).all()
    checked = 0
    for model, g in full.groupby("model"):
        assert g["value"].nunique() == 1  # the repeats agree
        p = float(g["value"].iloc[0])
        row = table[(table["model"] == model) & (table["n_train"] == 120)].iloc[0]
        se = np.sqrt(p * (1 - p) / 30)
        half = 1.959964 * se  # the normal interval, within [0, 1]
        assert (row["ci_low"], row["ci_high"]) == pytest.approx(
            (max(p - half, 0.0), min(p + half, 1.0)), rel=1e-3)
        checked += 0 < p < 1
    assert checked >= 1, "a model short of perfect at n=120 shows a non-zero interval"
    # a smaller size adds the repeats' spread to the test set's noise
    small = table[(table["model"] == "tree") & (table["n_train"] == 20)].iloc[0]
    vals = trials.query("model == 'tree' and n_train == 20")["value"].to_numpy()
    se = np.sqrt(vals.mean() * (1 - vals.mean()) / 30)
    _m, lo, hi = mean_ci(vals, test_se=se)
    assert (small["ci_low"], small["ci_high"]) == pytest.approx((max(lo, 0.0), min(hi, 1.0)))
    assert hi - lo > 2 * 1.959964 * max(se, vals.std(ddof=1) / np.sqrt(len(vals)))


def test_other_metrics_use_the_test_bootstrap_and_say_nothing_without_it():
    t = pd.DataFrame({"model": ["a"] * 3, "n_train": [50] * 3, "repeat": [0, 1, 2],
                      "metric": "roc_auc", "value": [0.8, 0.81, 0.82]})
    assert holdout_noise(t, "roc_auc") == {}
    boot = {"a": np.array([0.78, 0.8, 0.82, 0.84])}
    assert holdout_noise(t, "roc_auc", boot)[("a", 50)] == pytest.approx(
        np.std(boot["a"], ddof=1))


@pytest.mark.slow
def test_the_analysis_chart_numbers_include_it(tmp_path):
    from dataroi.plotting import learning_curve_info

    study = run_study(tmp_path / "s", iris_two_models())
    with study.analyze(n_draws=200) as a:
        info = learning_curve_info(a.trials, metric="accuracy", curves=a.curves)
        table = summary_frame(a.trials, "accuracy", a.curves.test_boot)
    for m in info["models"]:
        rows = table[table["model"] == m["model"]]
        # the chart stops an interval at the metric's best value (1)
        assert m["mean"]["ci_low"] == pytest.approx(list(np.minimum(rows["ci_low"], 1)))
        assert m["mean"]["ci_high"] == pytest.approx(list(np.minimum(rows["ci_high"], 1)))


def test_an_interval_stays_within_the_metrics_range():
    """Five repeats near 1.0 with a spread: the normal interval would pass 1.0."""
    rows = [{"model": "svm", "n_train": 1437, "repeat": r, "metric": "accuracy",
             "value": v, "state": "complete", "fit_seconds": 0.1, "n_predicted": 360}
            for r, v in enumerate([0.992, 1.0, 0.997, 1.0, 0.994])]
    row = summary_frame(pd.DataFrame(rows), "accuracy").iloc[0]
    assert row["ci_high"] == 1.0 and row["ci_low"] < row["mean"] < 1.0
