"""dataroi.value.backtest_study: hide the largest sizes, refit, check — real and synthetic."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from dataroi.exceptions import DataError, UsageError
from dataroi.value import backtest_study
from tests.value_tests.helpers import breaking_frame


@pytest.mark.slow
def test_backtest_on_a_real_study(iris_study):
    bt = backtest_study(iris_study.trials(), metric="accuracy", hold=1)
    assert (bt.cut_n, bt.held) == (80, (120,))
    assert bt.metric == "accuracy" and bt.higher_is_better
    frame = iris_study.trials()
    for r in bt.rows:
        at = frame[(frame["model"] == r["model"]) & (frame["n_train"] == 120)]
        assert r["measured"] == pytest.approx(float(at["value"].mean()))
        assert r["low90"] <= r["low50"] <= r["predicted"] <= r["high50"] <= r["high90"]
        assert r["in90"] == (r["low90"] <= r["measured"] <= r["high90"])
        assert r["error"] == pytest.approx(r["predicted"] - r["measured"])
        assert r["ratio"] == pytest.approx(1.5)
    assert {r["model"] for r in bt.rows} == {"logreg", "tree"}
    assert bt.covered(0.9)[1] == 2 and bt.covered(0.5)[0] <= bt.covered(0.9)[0]
    # deterministic, and JSON-ready with its sentence
    again = backtest_study(iris_study.trials(), metric="accuracy", hold=1)
    assert again.rows == bt.rows
    d = json.loads(json.dumps(bt.to_dict()))
    assert d["points"] == 2 and d["summary"].startswith("backtest: refitted on sizes up to 80")


@pytest.mark.slow
def test_backtest_hold_none_takes_two_sizes_when_there_are_six(iris_study):
    trials = iris_study.trials()  # 5 sizes: one hidden
    assert backtest_study(trials, metric="accuracy", hold=None).held == (120,)
    assert backtest_study(breaking_frame(None), hold=None).held == (800, 1600)  # 7 sizes


def test_backtest_needs_enough_sizes(iris_study):
    with pytest.raises(UsageError, match="needs at least 6 training sizes"):
        # 5 sizes: 4 left for the refit is the minimum
        backtest_study(iris_study.trials(), metric="accuracy", hold=2)
    with pytest.raises(UsageError, match="hold must be at least 1"):
        backtest_study(iris_study.trials(), metric="accuracy", hold=0)


@pytest.mark.slow
def test_backtest_flags_a_curve_that_changes_after_the_cut():
    bt = backtest_study(breaking_frame(break_at=800), hold=2)
    assert (bt.cut_n, bt.held) == (400, (800, 1600))
    by = {(r["model"], r["n_train"]): r for r in bt.rows}
    assert not by[("breaks", 800)]["in90"] and not by[("breaks", 1600)]["in90"]
    assert by[("breaks", 800)]["error"] > 0.1  # predicted far above what happened
    assert by[("steady", 800)]["in90"] and by[("steady", 1600)]["in90"]
    assert "Outside the 90 % interval: breaks" in bt.summary()
    # a well-behaved pair is not flagged
    calm = backtest_study(breaking_frame(break_at=None), hold=2)
    assert calm.covered(0.9) == (4, 4) and "Outside" not in calm.summary()


def test_backtest_bad_frames():
    frame = breaking_frame(None)
    two = pd.concat([frame, frame.assign(metric="f1_macro")])
    with pytest.raises(UsageError, match="name the metric"):
        backtest_study(two)
    with pytest.raises(UsageError, match="metric 'auc' is not in the trials"):
        backtest_study(frame, metric="auc")
    with pytest.raises(UsageError, match="no finished trials to backtest"):
        backtest_study(frame.iloc[:0])
    failed = frame.assign(value=np.nan)
    with pytest.raises(DataError, match="every trial failed for metric 'accuracy'"):
        backtest_study(failed, metric="accuracy")
    with pytest.raises(UsageError, match="no finished trial of svm for metric"):
        backtest_study(frame, metric="accuracy", models=("svm",))
    with pytest.raises(UsageError, match=r"lacks the column\(s\) repeat, value"):
        backtest_study(frame.drop(columns=["value", "repeat"]))
    with pytest.raises(UsageError, match="column 'value' must hold numbers"):
        backtest_study(frame.assign(value="high"))
    with pytest.raises(UsageError, match="column 'n_train' must hold numbers"):
        backtest_study(frame.assign(n_train="many"))
