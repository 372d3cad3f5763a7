"""dataroi.decide._calibration: the stated P(net > 0) as the corpus realized it."""

from __future__ import annotations

import json

import pytest

from dataroi.decide import (
    PCalibration,
    decide,
    evaluate_options,
    load_p_calibration,
    plan_budget,
    plan_staged,
)
from dataroi.exceptions import UsageError
from tests.decide_tests.helpers import ADD, costs


def test_the_map_interpolates_clips_and_leaves_other_kinds_alone():
    cal = PCalibration({"staged": ((0.4, 0.6, 0.9), (0.5, 0.8, 0.97))})
    assert cal.apply("staged", 0.5) == pytest.approx(0.65)
    assert cal.apply("staged", 0.1) == pytest.approx(0.5)    # below the knots: clipped
    assert cal.apply("staged", 0.99) == pytest.approx(0.97)  # above: clipped
    assert cal.apply("option", 0.33) == pytest.approx(0.33)  # no map: as stated
    assert PCalibration.off().apply("staged", 0.42) == pytest.approx(0.42)


@pytest.mark.parametrize("maps", [
    {"staged": ((0.5,), (0.6,))},                 # one knot
    {"staged": ((0.6, 0.5), (0.6, 0.7))},         # stated not increasing
    {"staged": ((0.5, 0.6), (0.8, 0.7))},         # realized decreasing
    {"staged": ((0.5, 0.6), (0.8, 1.2))},         # not a probability
    {"plan": ((0.5, 0.6), (0.6, 0.7))},           # unknown kind
])
def test_a_map_that_is_not_a_calibration_is_refused(maps):
    with pytest.raises(UsageError, match="p calibration"):
        PCalibration(maps)


def test_files_load_and_bad_files_are_one_line_errors(tmp_path):
    good = tmp_path / "cal.json"
    good.write_text(json.dumps({"source": "test", "maps": {
        "staged": {"stated": [0.0, 1.0], "realized": [0.2, 1.0]}}}))
    cal = load_p_calibration(str(good))
    assert cal.apply("staged", 0.5) == pytest.approx(0.6) and len(cal.digest) == 64
    assert cal.to_dict()["maps"]["staged"]["realized"] == [0.2, 1.0]
    with pytest.raises(UsageError, match="not found"):
        load_p_calibration(str(tmp_path / "missing.json"))
    bad = tmp_path / "bad.json"
    bad.write_text('{"maps": {"staged": {"stated": [0.5]}}}')
    with pytest.raises(UsageError, match="is not a dataroi p calibration"):
        load_p_calibration(str(bad))
    assert load_p_calibration("none").maps == {}


def test_the_shipped_calibration_is_monotone_and_raises_the_staged_plans_p():
    cal = load_p_calibration()
    assert "staged" in cal.maps and cal.source
    _, y = cal.maps["staged"]
    assert list(y) == sorted(y) and y[0] >= 0.0 and y[-1] <= 1.0


def test_the_staged_plan_states_the_calibrated_p_and_keeps_the_models(curves):
    opts = evaluate_options(curves, costs(), current_model="lr", add=ADD, grid=())
    plan = plan_budget(opts)
    raw = plan_staged(curves, opts, plan, calibration=PCalibration.off())
    assert raw.p_net_positive == pytest.approx(raw.p_net_positive_model)
    assert raw.p_net_positive > 0.9  # these curves keep rising: the plan almost surely pays
    # a map that says such plans realized half the rate the model states
    half = PCalibration({"staged": ((0.0, 1.0), (0.0, 0.5))})
    cal = plan_staged(curves, opts, plan, calibration=half)
    assert cal.p_net_positive_model == pytest.approx(raw.p_net_positive)
    assert cal.p_net_positive == pytest.approx(raw.p_net_positive / 2, abs=1e-6)
    assert cal.to_dict()["p_net_positive_model"] == pytest.approx(raw.p_net_positive)
    assert cal.evoi_usd == pytest.approx(raw.evoi_usd)  # the same plan, the same value
    # max_p_loss is held to the calibrated probability: a limit the model's probability
    # meets but the calibrated one breaks holds the plan back
    assert not plan_staged(curves, opts, plan, max_p_loss=0.3,
                           calibration=PCalibration.off()).too_risky
    held = plan_staged(curves, opts, plan, max_p_loss=0.3, calibration=half)
    assert held.too_risky and not held.recommended
    # and the sentence says the probability was calibrated, and what the draws say
    assert "the draws alone say" not in raw.sentence()
    assert f"P(net > 0) = {cal.p_net_positive:.2f} (as such plans realized on the " \
           f"curve corpus; the draws alone say {raw.p_net_positive:.2f})" in cal.sentence()


def test_decide_calibrates_options_when_the_map_has_them(curves):
    half = PCalibration({"option": ((0.0, 1.0), (0.0, 0.5))})
    off = decide(curves, costs(), current_model="lr", add=ADD, grid=(),
                 p_calibration=PCalibration.off())
    on = decide(curves, costs(), current_model="lr", add=ADD, grid=(), p_calibration=half)
    for a, b in zip(off.options.options, on.options.options, strict=True):
        if a.p_net_positive is None:
            assert b.p_net_positive is None
        else:
            assert b.p_net_positive == pytest.approx(a.p_net_positive / 2, abs=1e-6)

    assert any(n.startswith("P(net > 0) of each option that buys labels") for n in
               on.options.notes)
    assert not any("is calibrated" in n for n in off.options.notes)


def test_relabel_options_keep_the_draws_probability(curves):
    from dataroi.stress import Relabeling

    half = PCalibration({"option": ((0.0, 1.0), (0.0, 0.5))})
    rl = Relabeling(rate_now=0.1, n_classes=2)
    off, on = (decide(curves, costs(), current_model="lr", add=ADD, grid=(), relabel=rl,
                      p_calibration=cal) for cal in (PCalibration.off(), half))
    pairs = [(a, b) for a, b in zip(off.options.options, on.options.options, strict=True)
             if a.p_net_positive is not None]
    assert any(a.relabel for a, _ in pairs) and any(not a.relabel for a, _ in pairs)
    for a, b in pairs:
        want = a.p_net_positive if a.relabel else a.p_net_positive / 2
        assert b.p_net_positive == pytest.approx(want, abs=1e-6)
