"""Segments (BH, minimum size), what-if scenarios, break-even values and periods."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dataroi.impact import ImpactAssessment, load_value_model

VALUE = {"expression": "gain * (pred == 1) * (y == 1) - alert_cost * (pred == 1)",
         "terms": {"gain": 30.0, "alert_cost": 8.0},
         "volume": {"rows_per_period": 10000, "period": "month"}}


def _synthetic_candidate(flights: pd.DataFrame, seed: int = 0) -> np.ndarray:
    """The baseline's decisions, made worse for carrier EV and better for carrier B6."""
    rng = np.random.default_rng(seed)
    y = flights["delayed"].to_numpy()
    base = (flights["p_base"].to_numpy() >= 0.3).astype(int)
    cand = base.copy()
    ev = flights["carrier"].to_numpy() == "EV"
    b6 = flights["carrier"].to_numpy() == "B6"
    flip_bad = ev & (base == y) & (rng.random(len(y)) < 0.25)
    flip_good = b6 & (base != y) & (rng.random(len(y)) < 0.5)
    cand[flip_bad | flip_good] = 1 - cand[flip_bad | flip_good]
    return cand


def test_worse_segment_is_found_and_better_one_is_not_flagged(flights: pd.DataFrame) -> None:
    t = flights.assign(pred_base=(flights["p_base"] >= 0.3).astype(int),
                       pred_cand=_synthetic_candidate(flights))
    res = ImpactAssessment(load_value_model(VALUE), target="delayed",
                           segments=["carrier", "origin"], n_resamples=400,
                           min_segment_size=20).run(
        t, baseline="col:pred_base", candidate="col:pred_cand")
    worse = {(s.column, s.level) for s in res.segments if s.significantly_worse}
    assert ("carrier", "EV") in worse
    assert ("carrier", "B6") not in worse
    b6 = next(s for s in res.segments if s.level == "B6")
    assert b6.value_diff is not None and b6.value_diff.ci_low > 0
    # unchanged carriers: no disagreeing row, so nothing to test (min_segment_size counts
    # disagreeing rows); listed with their zero difference, not flagged
    aa = next(s for s in res.segments if s.level == "AA")
    assert aa.n_disagree == 0 and aa.too_small and aa.value_diff is None
    assert aa.baseline_value_per_row == aa.candidate_value_per_row
    assert not aa.significantly_worse and aa.harm == "not judged"
    # segments under 20 disagreeing rows are listed without a test, whatever their size
    small = [s for s in res.segments if s.n_disagree < 20]
    assert small and all(s.too_small and s.p_value is None and not s.significantly_worse
                         for s in small)
    assert max(s.n_rows for s in small) > 1000
    assert res.n_significantly_worse == len(worse)
    assert res.flat_metrics()["segments.n_significantly_worse"] == len(worse)


def test_segment_values_add_up_to_the_overall(flights: pd.DataFrame) -> None:
    res = ImpactAssessment(load_value_model(VALUE), target="delayed", segments=["origin"],
                           n_resamples=300).run(flights, baseline="col:p_base",
                                                candidate="col:p_cand")
    total = sum(s.n_rows * s.value_diff.estimate for s in res.segments)
    assert total == pytest.approx(res.value_diff_total.estimate)


def test_break_even_flips_the_sign_and_scenarios_move_as_expected(
        flights: pd.DataFrame) -> None:
    vm = load_value_model(VALUE)
    res = ImpactAssessment(vm, target="delayed", n_resamples=300, cost_change_pct=10,
                           volume_change_pct=[-50, 50]).run(
        flights, baseline="col:p_base", candidate="col:p_cand")
    be = {b.term: b for b in res.break_even}
    cost = be["alert_cost"]
    assert cost.break_even is not None and cost.note.startswith("linear")
    # at the break-even cost the two models are worth the same
    at = ImpactAssessment(load_value_model({**VALUE, "terms": {
        "gain": 30.0, "alert_cost": cost.break_even}}), target="delayed",
        n_resamples=300).run(flights, baseline="col:p_base", candidate="col:p_cand")
    assert abs(at.value_diff.estimate) < 1e-9 * max(1.0, abs(res.value_diff.estimate))
    vol = {s.name: s for s in res.scenarios if s.kind == "volume"}
    assert vol["volume +50%"].value_diff_per_period == pytest.approx(
        1.5 * res.value_diff_per_period.estimate)
    costs = {s.name: s for s in res.scenarios if s.kind == "cost"}
    # the sign is the direction of the value: -10% makes rows worth less (a cost grows,
    # a gain shrinks), +10% worth more
    assert set(costs) == {"alert_cost -10% (worse: 8 → 8.8)", "alert_cost +10% (better: 8 → 7.2)",
                          "gain -10% (worse: 30 → 27)", "gain +10% (better: 30 → 33)"}
    assert res.settings["volume_per_period"] == 10000


def test_prevalence_reweighting_matches_an_explicit_resample(flights: pd.DataFrame) -> None:
    y = flights["delayed"].to_numpy()
    share = y.mean()
    res = ImpactAssessment(load_value_model(VALUE), target="delayed", n_resamples=300,
                           prevalence=[share, 0.5]).run(
        flights, baseline="col:p_base", candidate="col:p_cand")
    prev = [s for s in res.scenarios if s.kind == "prevalence"]
    assert prev[0].value_diff_per_row == pytest.approx(res.value_diff.estimate)
    # at 50 % prevalence: the average of the class-conditional mean differences
    vm = load_value_model(VALUE)
    pb = np.where(flights["p_base"] >= 0.5, 1, 0)
    pc = np.where(flights["p_cand"] >= 0.5, 1, 0)
    d = vm.row_values({}, y=y, pred=pc) - vm.row_values({}, y=y, pred=pb)
    expected = 0.5 * d[y == 1].mean() + 0.5 * d[y == 0].mean()
    assert prev[1].value_diff_per_row == pytest.approx(expected)
    assert prev[1].ci_low < prev[1].value_diff_per_row < prev[1].ci_high


def test_periods_partition_the_difference(flights: pd.DataFrame) -> None:
    res = ImpactAssessment(load_value_model(VALUE), target="delayed", time_column="date",
                           period="quarter", n_resamples=300).run(
        flights, baseline="col:p_base", candidate="col:p_cand")
    assert [p.period for p in res.periods] == ["2013Q1", "2013Q2", "2013Q3", "2013Q4"]
    assert sum(p.n_rows for p in res.periods) == len(flights)
    assert sum(p.value_diff_total for p in res.periods) == pytest.approx(
        res.value_diff_total.estimate)
    for p in res.periods:
        assert p.value_diff.ci_low <= p.value_diff.estimate <= p.value_diff.ci_high


def test_value_at_risk_is_a_lower_quantile_of_the_per_period_difference(
        flights: pd.DataFrame) -> None:
    res = ImpactAssessment(load_value_model(VALUE), target="delayed", n_resamples=1000,
                           var_level=0.05).run(
        flights, baseline="col:p_base", candidate="col:p_cand")
    pp = res.value_diff_per_period
    assert res.cvar_per_period <= res.var_per_period <= pp.estimate
    # normal approximation of the 5 % quantile of the bootstrap distribution
    assert res.var_per_period == pytest.approx(pp.estimate - 1.645 * pp.se, rel=0.05,
                                               abs=0.2 * pp.se)
