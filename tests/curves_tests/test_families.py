"""Tests of the curve families and the calibration table."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import approx_fprime

from dataroi.curves import FAMILIES, Calibration, get_family, load_calibration
from dataroi.curves._families import DataStats
from dataroi.exceptions import UsageError

X = np.array([0.125, 0.18, 0.25, 0.35, 0.5, 0.71, 1.0])
STATS = DataStats(X, 0.1 + 0.1 * X**-0.5, float(np.log(128)), True)


@pytest.mark.parametrize("name", sorted(FAMILIES))
def test_family_contract(name: str) -> None:
    fam = get_family(name)
    lo, hi = fam.bounds(STATS)
    assert len(lo) == len(hi) == fam.n_params == len(fam.param_names)
    for p0 in fam.starts(STATS):
        assert len(p0) == fam.n_params
        y = fam.f(X, np.clip(p0, lo, hi), STATS.log_ref)
        assert y.shape == X.shape and np.all(np.isfinite(y))


@pytest.mark.parametrize("name", sorted(n for n, f in FAMILIES.items() if f.jac is not None))
def test_analytic_jacobian(name: str) -> None:
    fam = get_family(name)
    lo, hi = fam.bounds(STATS)
    p = np.clip(fam.starts(STATS)[0], lo + 1e-3, hi - 1e-3)
    assert fam.jac is not None
    jac = fam.jac(X, p, STATS.log_ref)
    num = np.array([approx_fprime(p, lambda q, i=i: fam.f(X, q, STATS.log_ref)[i], 1e-7)
                    for i in range(len(X))])
    assert np.allclose(jac, num, rtol=1e-3, atol=1e-5)


def test_m4_solves_its_implicit_equation() -> None:
    fam = get_family("m4")
    p = np.array([0.05, 0.6, 1.2, 0.8, -0.5])
    y = fam.f(X, p, 0.0)
    lhs = (y - p[0]) / (p[1] - y) ** p[2]
    assert np.allclose(lhs, p[3] * X ** p[4], rtol=1e-6)


def test_unknown_family() -> None:
    with pytest.raises(UsageError, match="choose from"):
        get_family("pow9")


def test_calibration_table() -> None:
    cal = load_calibration()
    assert "Felix Mohr" in cal.meta.get("licence", "")
    u = np.linspace(0.01, 0.99, 30)
    for r in (1.0, 2.0, 4.0, 16.0, 64.0):
        q = cal.quantile(u, r)
        assert np.all(np.diff(q) >= -1e-12)
    # wider further out (with a learned scale model the scale itself grows instead:
    # see test_stack.test_learned_scale_grows_with_ratio)
    assert cal.scale_coef is not None or cal.quantile(0.95, 16.0) - cal.quantile(0.05, 16.0) >= (
        cal.quantile(0.95, 2.0) - cal.quantile(0.05, 2.0))
    again = Calibration.from_dict(cal.to_dict())
    assert np.allclose(again.q, cal.q)


def test_calibration_learn_weights_groups_equally() -> None:
    z = np.concatenate([np.zeros(1000), np.ones(10)])
    groups = np.concatenate([np.zeros(1000), np.ones(10)])
    cal = Calibration.learn(np.full(1010, 4.0), z, groups=groups)
    assert 0.0 <= float(cal.quantile(0.5, 4.0)) <= 1.0
    assert float(cal.quantile(0.9, 4.0)) == pytest.approx(1.0)
