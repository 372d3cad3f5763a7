"""dataroi.analysis: the analysis of a plain table of trials (a frame, the CSV that
``dataroi trials`` writes, scikit-learn ``learning_curve`` arrays) — the same decision a
study gets, without a study."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import dataroi
from dataroi.exceptions import SpecError, UsageError


@pytest.fixture(scope="module")
def curves_of_two_models():
    """Real scikit-learn learning curves on the breast-cancer data (5 folds)."""
    from sklearn.datasets import load_breast_cancer
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, learning_curve
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.tree import DecisionTreeClassifier

    X, y = load_breast_cancer(return_X_y=True)
    cv = StratifiedKFold(5, shuffle=True, random_state=0)
    sizes = np.array([30, 60, 120, 240, 400])
    out = {}
    for name, est in (("logreg", make_pipeline(StandardScaler(),
                                               LogisticRegression(max_iter=1000))),
                      ("tree", DecisionTreeClassifier(random_state=0))):
        out[name] = learning_curve(est, X, y, train_sizes=sizes, cv=cv, scoring="accuracy",
                                   return_times=True, shuffle=True, random_state=0)
    return out


COSTS = {"price_per_label_usd": 2.0, "value_per_point_usd": 500.0,
         "engineering_cost_usd": 300.0}


def test_learning_curve_arrays_give_a_decision(curves_of_two_models):
    a = dataroi.analyze(curves_of_two_models, metric="accuracy", costs=COSTS,
                        decision={"budget_usd": 2000}, n_draws=500)
    assert a.models == ("logreg", "tree") and a.curves.current_n == 400
    assert set(a.curves.today["logreg"]) == {0, 1, 2, 3, 4}  # the folds are the repeats
    rec = a.recommend()
    assert rec.chosen.cost_usd <= 2000 and rec.registration is None
    assert rec.metric == "accuracy" and len(rec.reasons) >= 3
    # a table has no ledger: nothing to save into, said plainly
    with pytest.raises(UsageError, match="no ledger"):
        a.recommend(save=True)
    # the notebook view shows the answer
    html = a._repr_html_()
    assert "Recommendation" in html and "logreg" in html


@pytest.mark.slow
def test_a_trials_csv_round_trip(curves_of_two_models, tmp_path):
    frame = dataroi.trials_from_learning_curve(curves_of_two_models["tree"], model="tree",
                                               metric="accuracy")
    path = tmp_path / "trials.csv"
    frame.to_csv(path, index=False)
    a = dataroi.analyze(path, costs=COSTS, n_draws=300)
    b = dataroi.analyze(frame, costs=COSTS, n_draws=300)
    assert a.recommend().chosen.option_id == b.recommend().chosen.option_id
    report = a.report()
    doc = report.document
    assert doc["sections"]["answer"]["headline"] == a.recommend().headline
    assert a.recommend().headline.startswith(a.recommend().first_step + ", because ")
    repro = doc["sections"]["reproducibility"]
    assert repro["data"] is None and repro["trial_counts"] == {"in the table": 25}
    assert f"--trials {path}" in repro["command"]
    md, html = report.to_markdown(), report.to_html()
    assert "a table of trials" in html and "root None" not in md


def test_bad_tables_and_sections_are_clear_errors(tmp_path):
    with pytest.raises(UsageError, match="trials file not found"):
        dataroi.analyze(tmp_path / "nope.csv")
    two = pd.DataFrame({"model": ["a", "a"], "n_train": [10, 20], "repeat": [0, 0],
                        "metric": ["accuracy", "log_loss"], "value": [0.8, 0.5]})
    with pytest.raises(UsageError, match="name the metric"):
        dataroi.analyze(two)
    # a costs section built in Python is checked like the YAML one
    with pytest.raises(SpecError, match="costs.price_per_label_usd: must be a number >= 0"):
        dataroi.analyze(two, metric="accuracy", costs={"price_per_label_usd": -1})
    with pytest.raises(SpecError, match="decision.risk"):
        dataroi.analyze(two, metric="accuracy", decision={"risk": 2})
    with pytest.raises(UsageError, match="learning_curve"):
        dataroi.trials_from_learning_curve((np.arange(3), np.ones(3)))


def test_the_chart_stops_where_the_labels_do(curves_of_two_models):
    # the plan lists options beyond 1,000 unlabeled items (excluded); the chart's
    # extrapolation reaches the largest one the pool allows, not them
    free = dataroi.analyze(curves_of_two_models, metric="accuracy", costs=COSTS,
                           n_draws=300)
    pool = dataroi.analyze(curves_of_two_models, metric="accuracy",
                           costs={**COSTS, "unlabeled_items": 1000}, n_draws=300)
    options = pool.recommend().options.options
    assert max(o.delta_n for o in options) > 1000  # listed beyond the pool
    horizon = pool.chart_context()["horizon_n"]
    assert horizon == 400 + max(o.delta_n for o in options if o.delta_n <= 1000)
    assert free.chart_context()["horizon_n"] > horizon
