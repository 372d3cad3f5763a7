"""Before/after without a control group: the step at the ship date adjusted for trend and
seasons, Newey-West errors against statsmodels, in-time placebo intervals, refusals, and
the command line (recorded, then shown by the portfolio)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from dataroi.cli import main
from dataroi.exceptions import UsageError
from dataroi.impact import before_after, newey_west


def _series(effect: float = 2.0, days: int = 300, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    t = pd.date_range("2024-01-01", periods=days, freq="D")
    ar = np.zeros(days)
    for i in range(1, days):  # autocorrelated noise, as real daily series are
        ar[i] = 0.6 * ar[i - 1] + rng.normal(0, 1)
    weekly = np.where(t.day_of_week >= 5, -1.5, 0.0)
    v = 10 + 0.01 * np.arange(days) + weekly + ar + (t >= "2024-08-01") * effect
    # several rows a day (units): the series is their daily mean
    rows = pd.DataFrame({"day": np.repeat(t, 3), "v": np.repeat(v, 3)
                         + rng.normal(0, 0.1, 3 * days)})
    return rows


def test_newey_west_is_statsmodels_hac():
    sm = pytest.importorskip("statsmodels.api")
    rng = np.random.default_rng(1)
    x = np.column_stack([np.ones(120), rng.normal(size=120), np.arange(120.0)])
    y = x @ [1.0, 2.0, 0.1] + np.convolve(rng.normal(size=124), np.ones(5), "valid")
    fit = sm.OLS(y, x).fit(cov_type="HAC", cov_kwds={"maxlags": 4, "use_correction": False})
    resid = y - x @ fit.params
    assert np.allclose(newey_west(x, resid, 4), fit.cov_params(), rtol=1e-10, atol=1e-12)


def test_the_step_is_recovered_with_a_placebo_interval():
    ba = before_after(_series(2.0), time="day", value="v", shipped="2024-08-01",
                      seasons=("dow",))
    assert ba.effect.ci_low < 2.0 < ba.effect.ci_high
    assert abs(ba.effect.estimate - 2.0) < 1.0
    assert ba.n_placebos >= 20 and "in-time placebo interval" in ba.method
    assert ba.rows == 900 and ba.n_before + ba.n_after == 300
    # no effect: the interval covers 0
    null = before_after(_series(0.0), time="day", value="v", shipped="2024-08-01",
                        seasons=("dow",))
    assert null.effect.ci_low < 0 < null.effect.ci_high
    # with placebo=False the interval is Newey-West's
    nw = before_after(_series(2.0), time="day", value="v", shipped="2024-08-01",
                      seasons=("dow",), placebo=False)
    assert (nw.effect.ci_low, nw.effect.ci_high) == (nw.newey_west.ci_low,
                                                     nw.newey_west.ci_high)


def test_a_short_history_falls_back_to_newey_west_and_says_so():
    ba = before_after(_series(2.0), time="day", value="v", shipped="2024-01-20",
                      seasons=("dow",))
    assert ba.n_placebos < 20 and ba.method.startswith("Newey-West")
    assert any("placebo ship dates fit in the history" in n for n in ba.notes)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"shipped": "2024-01-05"}, "at least 8 on each side"),
    ({"shipped": "2024-08-01", "seasons": ("dow", "month")}, "not identified"),
    ({"shipped": "2024-08-01", "seasons": ("moon",)}, "--season moon: unknown"),
    ({"shipped": "soon"}, "--shipped 'soon': not a date"),
    ({"shipped": "2024-08-01", "time": "nope"}, "--time nope: no such column"),
])
def test_refusals(kwargs, message):
    args = {"time": "day", "value": "v", **kwargs}
    with pytest.raises(UsageError, match=message):
        before_after(_series(), **args)


def test_the_command_line_prints_and_records_it(tmp_path, capsys):
    path = tmp_path / "after.csv"
    _series(2.0).to_csv(path, index=False)
    ledger = tmp_path / "ledger.db"
    pre = tmp_path / "pre.json"
    pre.write_text(json.dumps({"result": {"value_diff": {"estimate": 1.5, "ci_low": 0.5,
                                                         "ci_high": 2.5}}}))
    assert main(["impact", "observe", "--data", str(path), "--value", "v", "--time", "day",
                 "--shipped", "2024-08-01", "--season", "dow", "--predicted", str(pre),
                 "--ledger", str(ledger), "--name", "shipped-all"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("before/after without a control group")
    assert "no control group: anything else that changed" in out
    assert "the pre-ship prediction +1.5 [+0.5, +2.5]" in out
    from dataroi.ledger import open_ledger

    with open_ledger(ledger, create=False) as store:
        [doc] = store.list_documents("impact_observation")
    p = doc["payload"]
    assert p["design"] == "before_after" and p["name"] == "shipped-all"
    assert p["plain"] == p["effect"] and p["prediction_covers"] is (
        0.5 <= p["effect"]["estimate"] <= 2.5)
    for argv, message in (
            (["--shipped", "2024-08-01"], "--shipped needs --time"),
            (["--shipped", "2024-08-01", "--time", "day", "--arm", "a"],
             "does not take --arm"),
            ([], "needs --arm and --treatment (an A/B split) or --shipped")):
        assert main(["impact", "observe", "--data", str(path), "--value", "v",
                     *argv]) == 2
        assert message in capsys.readouterr().err
