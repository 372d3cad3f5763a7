"""Tests of the learned gate, the learned scale and the calibrated labels-to-target."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from dataroi.curves import CurveFit, fit_curve, load_calibration
from dataroi.curves._families import FAMILIES
from dataroi.curves._stack import (
    DERIVED_SHARED,
    SCALE_NAMES,
    SCALE_NAMES_BEHAVIOUR,
    SHARED_NAMES,
    Stacker,
    behaviour_features,
    load_stacker,
    scale_features,
)
from dataroi.exceptions import UsageError

N = np.array([16, 23, 32, 45, 64, 91, 128], dtype=float)


def _err(seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return 0.1 + 0.9 * N[:, None] ** -0.5 + rng.normal(0, 0.004, (len(N), 20))


def test_shipped_models_are_complete_and_licensed() -> None:
    st = load_stacker()
    assert st is not None
    assert set(st.families) <= set(FAMILIES)
    k = len(st.families)
    assert st.coef_shared.shape == (k, len(SHARED_NAMES) + len(DERIVED_SHARED))
    assert "Felix Mohr" in st.meta["licence"] and "MIT" in st.meta["licence_text"]
    cal = load_calibration()
    assert cal.scale_coef is not None and not cal.widen_beyond
    assert "Felix Mohr" in cal.meta["licence"]
    assert set(st.meta["train_openml_ids"]) == set(cal.meta["train_openml_ids"])
    again = Stacker.from_dict(json.loads(json.dumps(st.to_dict())))
    assert np.array_equal(again.coef_own, st.coef_own)


def test_auto_fit_uses_the_gate() -> None:
    st = load_stacker()
    assert st is not None
    fit = fit_curve(N, _err(), higher_is_better=False, random_state=0)
    assert set(fit.weights) <= set(st.families)
    assert sum(fit.weights.values()) == pytest.approx(1.0)
    shared, own, avail = fit.stack_inputs(st.families)
    assert shared.shape == (len(SHARED_NAMES),) and own.shape[0] == len(st.families)
    assert avail.all()


def test_stacker_masks_unavailable_families() -> None:
    st = load_stacker()
    assert st is not None
    k = len(st.families)
    avail = np.zeros(k, bool)
    avail[:2] = True
    w = st.weights(np.zeros(len(SHARED_NAMES)), np.zeros((k, 4)), avail)  # raw own features
    assert w[2:].sum() == 0 and w.sum() == pytest.approx(1.0)


def test_learned_scale_grows_with_ratio() -> None:
    fit = fit_curve(N, _err(1), higher_is_better=False, random_state=0)
    lo, hi = fit.interval([256, 512, 2048], level=0.8)
    assert np.all(np.diff(hi - lo) > 0)
    lo9, hi9 = fit.interval([256, 512, 2048], level=0.9)
    assert np.all(hi9 - lo9 >= hi - lo)


def test_calibration_cdf_inverts_quantile() -> None:
    cal = load_calibration()
    for ratio in (2.0, 4.0, 16.0, 100.0):
        for u in (0.1, 0.5, 0.9):
            z = float(cal.quantile(u, ratio))
            assert float(cal.cdf(z, ratio)) == pytest.approx(u, abs=0.02)


def test_calibration_learns_one_table_per_observed_span() -> None:
    from dataroi.curves._calibration import Calibration

    rng = np.random.default_rng(0)
    n = 4000
    spans = np.repeat([3.0, 5.0, 7.0], n)
    sd = np.repeat([1.0, 3.0, 2.0], n)
    z = rng.normal(size=3 * n) * sd
    ratios = np.tile(np.repeat([2.0, 16.0], n // 2), 3)
    groups = np.arange(3 * n) % 200  # 200 "data sets" behind every span ...
    groups[spans == 7.0] = 0  # ... except span 7: one data set only
    cal = Calibration.learn(ratios, z, groups=groups, spans=spans, min_groups=30)
    assert cal.span_grid is not None and cal.span_grid.tolist() == [3.0, 5.0]
    q3 = float(cal.quantile(0.95, 16.0, span=3.0))
    q5 = float(cal.quantile(0.95, 16.0, span=5.0))
    q4 = float(cal.quantile(0.95, 16.0, span=4.0))
    assert q3 == pytest.approx(1.645, abs=0.15) and q5 == pytest.approx(3 * 1.645, abs=0.4)
    assert q4 == pytest.approx((q3 + q5) / 2)
    # outside the learned spans the nearest one is used; without a span, the pooled table
    assert float(cal.quantile(0.95, 16.0, span=1.0)) == pytest.approx(q3)
    assert float(cal.quantile(0.95, 16.0, span=9.0)) == pytest.approx(q5)
    pooled = float(cal.quantile(0.95, 16.0))
    assert q3 < pooled < q5 + 1.0
    # broadcasting over spans, cdf inverts quantile per span, and the JSON round trip
    both = cal.quantile(0.95, 16.0, np.array([3.0, 5.0]))
    assert both.tolist() == pytest.approx([q3, q5])
    assert float(cal.cdf(q5, 16.0, span=5.0)) == pytest.approx(0.95, abs=0.02)
    back = Calibration.from_dict(json.loads(json.dumps(cal.to_dict())))
    assert float(back.quantile(0.95, 16.0, span=4.0)) == pytest.approx(q4)
    legacy = {k: v for k, v in cal.to_dict().items() if k not in ("span_grid", "q_span")}
    assert Calibration.from_dict(legacy).span_grid is None


def test_shipped_intervals_depend_on_the_observed_span() -> None:
    cal = load_calibration()
    if cal.span_grid is None:
        pytest.skip("the shipped calibration has one table for every span")
    short = fit_curve(N[-4:], _err(2)[-4:], higher_is_better=False, random_state=0)
    assert short._log2_span == pytest.approx(np.log2(128 / 45))
    x = short._x(2048)
    pred = short._pred_loss(x)
    scale = short._scale(x, short._boot_loss(x), pred)
    ratio = short._ratio(x)

    def band(span: float | None) -> list[float]:
        q = [cal.quantile(u, ratio, span) for u in (0.05, 0.95)]
        v = short._t.to_score(short._clip(np.concatenate([pred + qi * scale for qi in q])))
        return sorted(v.tolist())

    lo, hi = short.interval(2048, level=0.9)
    assert [float(lo[0]), float(hi[0])] == pytest.approx(band(short._log2_span))
    assert band(short._log2_span) != pytest.approx(band(None))


def test_n_to_reach_is_monotone_in_confidence() -> None:
    fit = fit_curve(N, _err(2), higher_is_better=False, random_state=0)
    target = 0.1 + 0.9 * 1024.0**-0.5
    res = [fit.n_to_reach(target, confidence=c) for c in (0.3, 0.5, 0.8)]
    ns = [r.n for r in res]
    assert ns == sorted(ns)
    assert res[1].n_median == res[1].n
    assert 0.0 <= res[0].p_never <= 1.0
    # p_never does not depend on the confidence asked for
    assert res[0].p_never == pytest.approx(res[2].p_never)
    # the asymptote is 0.1: an error of 0 is almost surely never reached
    unreachable = fit.n_to_reach(0.0, confidence=0.9)
    assert math.isinf(unreachable.n) and unreachable.p_never > 0.9
    # an error below 0 is a mistake, not a target
    with pytest.raises(UsageError, match="beyond the metric's best possible value"):
        fit.n_to_reach(-0.5, confidence=0.9)


def test_old_serialised_fit_without_scale_model_still_loads() -> None:
    fit = fit_curve(N, _err(3), higher_is_better=False, random_state=0)
    d = json.loads(json.dumps(fit.to_dict()))
    d["calibration"].pop("scale_coef", None)
    d["calibration"].pop("widen_beyond", None)
    old = CurveFit.from_dict(d)
    lo, hi = old.interval([512], level=0.9)
    assert lo[0] < old.predict(512)[0] < hi[0]
    new = CurveFit.from_dict(fit.to_dict())
    assert np.allclose(new.interval([512])[0], fit.interval([512])[0])


def test_behaviour_features_tell_smooth_from_jagged_curves() -> None:
    smooth = np.array([0.40, 0.30, 0.25, 0.22, 0.20])
    jagged = np.array([0.40, 0.28, 0.33, 0.24, 0.30])
    fitted = np.array([0.39, 0.31, 0.26, 0.22, 0.20])
    log_misfit_s, rises_s = behaviour_features(smooth, fitted)
    log_misfit_j, rises_j = behaviour_features(jagged, fitted)
    assert rises_s == 0.0 and 0.3 < rises_j < 1.0
    assert log_misfit_j > log_misfit_s
    # the misfit is relative to the curve's drop: scale-free
    assert np.allclose(behaviour_features(10 * smooth, 10 * fitted),
                       [log_misfit_s, rises_s])
    # a flat curve has no drop to divide by: the floor (1 % of the loss unit) holds
    flat = behaviour_features(np.full(5, 0.2), np.full(5, 0.2))
    assert flat[1] == 0.0 and flat[0] == pytest.approx(math.log(1e-3))
    # a single size: no behaviour to read
    assert behaviour_features(np.array([0.3]), np.array([0.3])).shape == (2,)


def test_scale_features_append_the_behaviour_columns() -> None:
    shared = np.zeros(len(SHARED_NAMES))
    kw = {"spread": np.ones(3), "disagree": np.ones(3), "gain": np.ones(3), "unit": 1.0}
    plain = scale_features(shared, np.array([2.0, 4.0, 8.0]), **kw)
    with_b = scale_features(shared, np.array([2.0, 4.0, 8.0]), behaviour=np.array([-1.0, 0.5]),
                            **kw)
    assert plain.shape == (3, len(SCALE_NAMES))
    assert with_b.shape == (3, len(SCALE_NAMES_BEHAVIOUR))
    assert np.array_equal(with_b[:, : len(SCALE_NAMES)], plain)
    # the products with log2(ratio): 1, 2, 3 doublings
    assert np.allclose(with_b[:, -2], [-1.0, -2.0, -3.0])
    assert np.allclose(with_b[:, -1], [0.5, 1.0, 1.5])


def test_fits_read_tables_of_either_scale_feature_set() -> None:
    fit = fit_curve(N, _err(4), higher_is_better=False, random_state=0)
    d = fit.to_dict()
    shipped = len(fit.to_dict()["calibration"]["scale_coef"])
    assert shipped in (len(SCALE_NAMES), len(SCALE_NAMES_BEHAVIOUR))
    widths = {}
    for names in (SCALE_NAMES, SCALE_NAMES_BEHAVIOUR):
        coef = np.zeros(len(names))
        coef[0] = math.log(0.01)  # a constant scale of 0.01 loss units ...
        if len(names) == len(SCALE_NAMES_BEHAVIOUR):
            coef[names.index("log_misfit")] = 0.5  # ... times sqrt(the relative misfit)
        cal = dict(d["calibration"], scale_coef=coef.tolist())
        other = CurveFit.from_dict(dict(d, calibration=cal))
        lo, hi = other.interval([512], level=0.9)
        widths[len(names)] = float(hi[0] - lo[0])
    assert all(w > 0 for w in widths.values())
    assert widths[len(SCALE_NAMES)] != pytest.approx(widths[len(SCALE_NAMES_BEHAVIOUR)])
    # a table of neither length falls back to the bootstrap scale instead of failing
    cal = dict(d["calibration"], scale_coef=[0.0, 1.0])
    lo, hi = CurveFit.from_dict(dict(d, calibration=cal)).interval([512], level=0.9)
    assert lo[0] < hi[0]
