"""Equivalent labels' quantiles and statements: "never" only when the 90 % interval says
it (``dataroi.stress._equivalence``)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from dataroi.curves import fit_curve
from dataroi.stress import NEVER_SHARE, Equivalence, added_quantiles, equivalent_labels


def _draws(reached: int, never: int) -> tuple[np.ndarray, np.ndarray]:
    added = np.concatenate([np.linspace(100.0, 1000.0, reached), np.full(never, np.inf)])
    return added, np.isfinite(added)


@pytest.mark.parametrize(("reached", "never", "finite"), [
    (100, 0, (True, True, True)),     # every draw arrives
    (60, 40, (True, True, False)),    # the upper end is "never"
    (40, 60, (True, False, False)),   # more likely than not never: no median, a lower end
    (6, 94, (True, False, False)),    # 94 % never: still a lower end
    (5, 95, (False, False, False)),   # 95 % never: the whole interval beyond the horizon
])
def test_added_quantiles_keep_the_lower_end_until_the_interval_is_beyond(
        reached: int, never: int, finite: tuple[bool, bool, bool]) -> None:
    q05, q50, q95 = added_quantiles(*_draws(reached, never))
    assert tuple(math.isfinite(v) for v in (q05, q50, q95)) == finite
    if math.isfinite(q05):
        assert 100.0 <= q05 <= 1000.0
    if never and reached >= never:
        assert math.isinf(q95)  # "never" at the upper end, not NaN
    if reached < never:
        assert math.isnan(q50) and math.isnan(q95)


def test_the_statement_says_never_only_beyond_the_interval() -> None:
    def eq(p_never: float, reached: int, never: int) -> Equivalence:
        q = added_quantiles(*_draws(reached, never))
        return Equivalence("clean", "noisy", 500, 0.9, 0.85, *q, p_never, 64.0)

    likely = eq(0.6, 40, 60)
    assert not likely.says_never
    text = likely.sentence("cleaning")
    assert "more likely than not does not reach clean's score within 64×" in text
    assert "P(never) = 0.60" in text
    assert "from 192 extra labels to never" in text  # the 5th of the 100 draws
    sure = eq(NEVER_SHARE, 5, 95)
    assert sure.says_never
    text = sure.sentence("cleaning")
    assert "noisy does not reach clean's score within 64×" in text
    assert "more likely" not in text and "extra labels" not in text
    assert "worth ≈" in eq(0.2, 80, 20).sentence("cleaning")


def test_equivalent_labels_follow_the_same_quantiles() -> None:
    sizes = [50, 100, 200, 400, 800]
    ref = fit_curve(sizes, [[0.95 - 3.0 / n ** 0.5] * 3 for n in sizes], random_state=0)
    # the other arm plateaus just below the reference's score today: some draws get
    # there within 64x, most do not
    flat = fit_curve(sizes, [[0.83 - 1.0 / n ** 0.5 + 0.002 * r for r in range(3)]
                             for n in sizes], random_state=0)
    e = equivalent_labels(ref, flat, 800, reference="ref", other="flat", draws=400)
    assert 0.5 < e.p_never < NEVER_SHARE  # the case the statement is "open" for
    assert "more likely than not" in e.sentence("x") and not e.says_never
    q = [e.added_q05, e.added_q50, e.added_q95]
    assert (not math.isnan(q[0])) == (e.p_never < NEVER_SHARE)
    assert math.isnan(q[1]) == (e.p_never > 0.5)
    assert e.says_never == (e.p_never >= NEVER_SHARE)
