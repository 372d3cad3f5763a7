"""Forecast checks and the track record: coverage, money, regret and the recalibration,
on simulated forecasts whose true error is known."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from dataroi.decide import (
    MIN_CHECKS,
    FollowUp,
    check_forecasts,
    forecast_quantiles,
    recalibrate_draws,
    track_record,
)
from dataroi.spec import CostSpec

COSTS = CostSpec(price_per_label_usd=0.1, value_per_point_usd=1000, engineering_cost_usd=500)
Z = stats.norm.ppf([0.05, 0.25, 0.5, 0.75, 0.95])


def _normal(mu: float, sd: float) -> tuple[float, ...]:
    return tuple(float(mu + sd * z) for z in Z)


def _check(measured: dict, forecasts: dict, **kw):
    base = {"chosen_model": "a", "current_model": "a", "today": 0.80, "n_then": 1000,
            "n_now": 4000, "higher_is_better": True, "costs": COSTS}
    return check_forecasts(forecasts=forecasts, measured=measured, **(base | kw))


def test_inside_and_outside_the_intervals():
    f = {"a": _normal(0.85, 0.01)}
    inside = _check({"a": (0.852, 0.001, 5)}, f)[0]
    assert inside.inside50 and inside.inside90 and abs(inside.z90) < 1
    edge = _check({"a": (0.85 + 0.01 * 1.2, 0.001, 5)}, f)[0]
    assert not edge.inside50 and edge.inside90
    out = _check({"a": (0.80, 0.001, 5)}, f)[0]
    assert not out.inside90 and out.z90 < -1 and out.verdict.startswith("OUTSIDE")
    assert out.error == pytest.approx(0.80 - 0.85)


def test_money_regret_and_the_best_in_hindsight():
    f = {"a": _normal(0.85, 0.01), "b": _normal(0.84, 0.01)}
    measured = {"a": (0.83, 0.001, 5), "b": (0.86, 0.001, 5)}
    a, b = _check(measured, f, expected_net_usd=4000.0)
    assert a.chosen and a.model == "a" and not b.chosen
    # 3 points x $1,000 less 3,000 labels x $0.10
    assert a.realized_net_usd == pytest.approx(3000 - 300)
    # b: 6 points, the same labels, and the $500 switch
    assert b.realized_net_usd == pytest.approx(6000 - 300 - 500)
    assert a.regret_usd == pytest.approx(5200 - 2700) and a.best_in_hindsight == "b"
    assert a.expected_net_usd == 4000.0 and b.regret_usd is None


def test_staying_was_right_when_every_change_lost_money():
    f = {"a": _normal(0.85, 0.01)}
    [a] = _check({"a": (0.801, 0.001, 5)}, f, chose_stay=True)
    assert a.best_in_hindsight == "stay" and a.regret_usd == 0.0
    [a] = _check({"a": (0.801, 0.001, 5)}, f, chose_stay=False)
    assert a.realized_net_usd == pytest.approx(100 - 300) and a.regret_usd == \
        pytest.approx(200)


def test_a_lower_is_better_metric_counts_a_drop_as_a_gain():
    f = {"a": _normal(0.30, 0.01)}
    [a] = _check({"a": (0.28, 0.001, 5)}, f, today=0.35, higher_is_better=False)
    assert a.realized_gain == pytest.approx(0.07)


def test_without_money_only_the_forecast_is_checked():
    [a] = _check({"a": (0.85, 0.001, 5)}, {"a": _normal(0.85, 0.01)}, costs=None)
    assert a.realized_net_usd is None and a.regret_usd is None and a.inside50


def test_a_model_not_measured_is_left_out():
    checks = _check({"a": (0.85, 0.001, 5)}, {"a": _normal(0.85, 0.01),
                                              "b": _normal(0.8, 0.01)})
    assert [c.model for c in checks] == ["a"]


def _simulate(n: int, true_sd: float, stated_sd: float, seed: int,
              scale: float | None = None) -> list[dict]:
    rng = np.random.default_rng(seed)
    rows = []
    for _ in range(n):
        mu = rng.uniform(0.6, 0.9)
        truth = mu + true_sd * rng.standard_normal()
        [c] = _check({"a": (truth, 0.0, 5)}, {"a": _normal(mu, stated_sd)}, scale=scale)
        rows.append(c.to_dict())
    return rows


def test_the_track_record_measures_coverage_and_bias():
    honest = track_record(_simulate(400, 0.01, 0.01, seed=1))
    assert honest.coverage90_ci[0] <= 0.90 <= honest.coverage90_ci[1]
    assert honest.coverage50_ci[0] <= 0.50 <= honest.coverage50_ci[1]
    assert abs(honest.bias) < 0.002
    narrow = track_record(_simulate(400, 0.02, 0.01, seed=2))
    # errors twice as wide as stated: a 90 % interval covers P(|z| < 1.645 / 2) = 0.59
    assert narrow.coverage90_ci[0] <= 0.59 <= narrow.coverage90_ci[1]
    assert narrow.interval_scale == pytest.approx(2.0, rel=0.15)


def test_the_recalibration_restores_coverage_on_later_forecasts():
    past = track_record(_simulate(200, 0.02, 0.01, seed=3))
    assert past.interval_scale is not None and past.interval_scale > 1.5
    later = track_record(_simulate(400, 0.02, 0.01, seed=4, scale=past.interval_scale))
    assert later.coverage90_ci[0] <= 0.90 <= later.coverage90_ci[1]
    # and over-wide intervals are narrowed
    wide = track_record(_simulate(200, 0.005, 0.01, seed=5))
    assert wide.interval_scale is not None and wide.interval_scale < 0.7


def test_the_recalibration_is_off_until_enough_forecasts():
    few = track_record(_simulate(MIN_CHECKS - 1, 0.02, 0.01, seed=6))
    assert few.interval_scale is None
    assert any("recalibration off" in line for line in few.lines())
    enough = track_record(_simulate(MIN_CHECKS, 0.02, 0.01, seed=6))
    assert enough.interval_scale is not None


def test_the_record_counts_in_words():
    one = track_record(_simulate(1, 0.02, 0.01, seed=7))
    assert one.lines()[0].startswith("1 forecast checked (")
    many = track_record(_simulate(3, 0.02, 0.01, seed=7))
    assert many.lines()[0].startswith("3 forecasts checked (")


def test_an_empty_record_says_so():
    r = track_record([])
    assert r.n_forecasts == 0 and r.interval_scale is None
    assert "no forecast has been checked yet" in r.lines()[0]


def test_quantiles_and_the_stretch():
    d = np.random.default_rng(0).normal(0.8, 0.01, 20_000)
    q = forecast_quantiles(d)
    assert q[2] == pytest.approx(0.8, abs=5e-4) and q[4] - q[0] == pytest.approx(
        2 * 1.645 * 0.01, rel=0.05)
    wide = forecast_quantiles(recalibrate_draws(d, 2.0))
    assert wide[4] - wide[0] == pytest.approx(2 * (q[4] - q[0]), rel=1e-9)
    assert np.isnan(forecast_quantiles([np.nan])[0])


def test_a_followup_round_trips_through_its_document():
    checks = _check({"a": (0.83, 0.001, 5)}, {"a": _normal(0.85, 0.01)})
    fu = FollowUp(study="s", recommendation_id=3, made_at="2026-12-05T10:00:00+00:00",
                  first_step="label 3,000 more", metric="accuracy", current_model="a",
                  today=0.8, chosen_model="a", planned_n=4000, chose_stay=False,
                  n_then=1000, n_now=4000, checks=tuple(checks), notes=("n",))
    back = FollowUp.from_dict(fu.to_dict(), document_id=9)
    assert back.checks == fu.checks and back.document_id == 9 and back.notes == ("n",)
    text = "\n".join(back.lines())
    assert "measured 0.8300" in text and "regret" in text


@pytest.mark.parametrize("stay", [True, False])
def test_a_stay_decision_is_not_charged_for_labels_added_anyway(stay):
    """Chem97: 'keep logreg, no labels', then 18,417 labels were added regardless; the
    follow-up said 'realized net value $-21,329 (expected $0)' of a decision that bought
    nothing."""

    costs = CostSpec(price_per_label_usd=1.0, value_per_point_usd=4000)
    [check] = check_forecasts(
        chosen_model="logreg", current_model="logreg", today=0.3837, n_then=6400,
        n_now=24817, forecasts={"logreg": (0.37, 0.38, 0.3867, 0.39, 0.40)},
        measured={"logreg": (0.3765, 0.0, 5)}, higher_is_better=True, costs=costs,
        expected_net_usd=0.0 if stay else -15_000.0, chose_stay=stay)
    fu = FollowUp(study="chem", recommendation_id=2, made_at="2026-12-07 00:45:38",
                  first_step="keep logreg" if stay else "keep logreg, label +18,417",
                  metric="accuracy", current_model="logreg", today=0.3837,
                  chosen_model="logreg", planned_n=6400 if stay else 24817, chose_stay=stay,
                  n_then=6400, n_now=24817, checks=(check,))
    net = check.realized_net_usd
    assert net == pytest.approx(4000 * (0.3765 - 0.3837) / 0.01 - 18_417)
    line = next(x for x in fu.lines() if x.startswith("realized net value"))
    if stay:
        assert line == ("realized net value of labeling nothing $0 (expected $0); the 18,417 "
                        f"labels added anyway realized -${-net:,.0f} with logreg; regret $0 "
                        "(best in hindsight: stay)")
        assert check.regret_usd == 0
    else:
        assert line.startswith(f"realized net value -${-net:,.0f} (expected -$15,000); ")
        assert check.regret_usd == pytest.approx(-net)


def test_the_realized_value_carries_the_noise_of_its_measurement():
    """Chem97's follow-up: 1,600 test rows' noise alone is ±0.012 accuracy; the realized
    net value of a decision is a difference of two scores on two test sets, so it gets
    that noise and the repeats' as its 90 % interval."""
    costs = CostSpec(price_per_label_usd=0.1, value_per_point_usd=1000)
    [check] = check_forecasts(
        chosen_model="logreg", current_model="logreg", today=0.80, n_then=2000,
        n_now=8000, forecasts={"logreg": (0.84, 0.85, 0.86, 0.87, 0.88)},
        measured={"logreg": (0.875, 0.004, 5)}, higher_is_better=True, costs=costs,
        test_sd={"logreg": 0.003})
    assert check.realized_sd == pytest.approx(0.005)  # hypot(0.004, 0.003)
    lo, hi = check.realized_gain_interval
    assert (lo, hi) == pytest.approx((0.075 - 1.6449 * 0.005, 0.075 + 1.6449 * 0.005),
                                     abs=1e-6)
    # 7.5 points x $1,000 - $600 of labels; ± 1.645 x 0.5 points x $1,000
    assert check.realized_net_usd == pytest.approx(6900)
    assert (check.realized_net_q05_usd, check.realized_net_q95_usd) == pytest.approx(
        (6900 - 822.4, 6900 + 822.4), abs=0.1)
    fu = FollowUp(study="s", recommendation_id=1, made_at="2026-12-07 00:00:00",
                  first_step="keep logreg, label +6,000", metric="accuracy",
                  current_model="logreg", today=0.80, chosen_model="logreg",
                  planned_n=8000, chose_stay=False, n_then=2000, n_now=8000, checks=(check,))
    line = next(x for x in fu.lines() if x.startswith("realized net value"))
    assert line.startswith("realized net value $6,900 (90 %: $6,078 to $7,722); regret")
    back = FollowUp.from_dict(fu.to_dict())
    assert back.checks[0].realized_net_q95_usd == pytest.approx(check.realized_net_q95_usd)


def test_the_mean_regret_carries_an_interval_from_resampling_the_decisions():
    rows = [{"error": 0.0, "inside50": True, "inside90": True, "z90": 0.0, "chosen": True,
             "regret_usd": r, "realized_net_usd": 100.0 - r}
            for r in (0.0, 0.0, 0.0, 0.0, 900.0, 0.0, 300.0, 0.0)]
    record = track_record(rows)
    lo, hi = record.mean_regret_ci
    assert lo <= record.mean_regret_usd == 150.0 <= hi
    assert lo >= 0.0 and hi <= 900.0 and hi - lo > 100.0  # skewed, never below zero
    assert track_record(rows).mean_regret_ci == (lo, hi)  # seeded: the same each time
    assert f"$150 (90 % CI ${lo:,.0f}-${hi:,.0f})" in "\n".join(record.lines())
    assert record.to_dict()["mean_regret_ci"] == [lo, hi]
    # one decision has no interval to state
    one = track_record(rows[:1])
    assert one.mean_regret_ci is None
    assert "mean realized regret of the decisions $0;" in "\n".join(one.lines())
