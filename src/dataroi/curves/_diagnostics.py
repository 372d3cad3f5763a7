"""Diagnostics attached to every fit, and the crossing of two models' curves.

Codes (keys of ``CurveFit.diagnostics``):

* ``too_few_sizes`` — fewer than 3 distinct sizes with finite scores;
* ``failed_sizes`` — sizes where every repeat failed (NaN);
* ``non_monotone`` — the mean metric gets significantly worse between two sizes;
* ``peaking`` — the best mean is reached before the largest size, significantly;
* ``saturated`` — the predicted gain from the largest size to 4× is below the noise;
* ``flat`` — the mean metric is exactly the same at every size (with 3 or more sizes): a
  model that predicts one class, or a metric that cannot move. The learned calibration
  leaves such curves out (their scale is ~0, so any later move is hundreds of scales);
  their intervals say "no change", yet on LCDB 7 / 14 / 21 / 30 % of them moved by more
  than 1 % of their loss at 2 / 4 / 8 / 16× (``benchmarks/learn_curve_model.py``);
* ``families_disagree`` — the ensemble's families spread widely at 4× the largest size;
* ``gap_closed`` — with training scores (``fit_curve(..., train_scores=...)``): at the
  largest size the test score is within 2 standard errors of the score on the training
  rows. On LCDB such curves gained about a tenth of what the others gained by 4× (median
  0.0034 vs 0.0289 error at N=128, 0.0013 vs 0.0159 at N=512), yet 29–42 % still gained
  more than 0.01 (``benchmarks/explore_conditioning.py --lcdb``): a hint that a more
  flexible model may pay more than more labels, not a verdict.

Example:
    >>> import numpy as np
    >>> from dataroi.curves import fit_curve
    >>> fit = fit_curve([10, 20, 40, 80, 160], [0.9, 0.9, 0.9, 0.9, 0.9], random_state=0)
    >>> "saturated" in fit.diagnostics
    True
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from dataroi.curves._families import get_family

if TYPE_CHECKING:
    from dataroi.curves._fit import CurveFit

__all__ = ["add_diagnostics", "find_crossing", "is_flat"]


def is_flat(mean_loss: Any) -> bool:
    """Whether a curve's mean never moved across its sizes (to within 1e-9 of its scale):
    the ``flat`` diagnostic, and the curves the learned calibration leaves out.

    Example:
        >>> is_flat([0.38, 0.38, 0.38]), is_flat([0.38, 0.37, 0.38])
        (True, False)
    """
    y = np.asarray(mean_loss, dtype=float)
    return bool(np.ptp(y) <= 1e-9 * max(1.0, float(np.max(np.abs(y)))))


def add_diagnostics(fit: CurveFit) -> None:
    """Add the shape diagnostics to ``fit.diagnostics`` (in place)."""
    y, se = fit.mean_loss, _noise(fit)
    d = fit.diagnostics
    if any(get_family(c.family).rising for c in fit.components):
        return  # a cost curve: shape diagnostics are for metrics
    if len(y) >= 3:
        jump = np.diff(y)
        noise = 2.0 * np.sqrt(se[:-1] ** 2 + se[1:] ** 2) + 1e-12
        bad = np.nonzero(jump > noise)[0]
        if bad.size:
            at = ", ".join(f"{fit.sizes[i]:g}->{fit.sizes[i + 1]:g}" for i in bad[:5])
            d["non_monotone"] = f"the metric gets significantly worse between sizes {at}"
        i_best = int(np.argmin(y))
        if i_best < len(y) - 1 and y[-1] - y[i_best] > 2.0 * np.sqrt(se[-1] ** 2
                                                                    + se[i_best] ** 2) + 1e-12:
            d["peaking"] = (
                f"the best mean is at size {fit.sizes[i_best]:g}, not at the largest size "
                f"{fit.sizes[-1]:g}: the curve peaks (an ill-behaved curve; trust "
                "extrapolations less)"
            )
    if len(y) >= 3 and is_flat(y):
        d["flat"] = (
            f"the metric is the same at every size ({len(y)} sizes): the model learns "
            "nothing in this range (e.g. it predicts one class); its extrapolation cannot "
            "say what more labels do"
        )
    x4 = np.array([4.0])
    # the fitted curve's own gain (the observed mean at the largest size carries its noise)
    gain = float(np.diff(fit._pred_loss(np.array([4.0, 1.0])))[0])
    noise_last = max(float(se[-1]), 1e-9)
    if "too_few_sizes" in d:
        pass  # one or two sizes cannot tell a flat curve from a rising one
    elif gain < max(noise_last, 1e-4 * (abs(float(y[-1])) + 1e-12)):
        d["saturated"] = (
            f"predicted gain from n={fit.n_ref:g} to 4x is {gain:.3g} (metric units), below "
            f"the noise ({noise_last:.3g}): more data of this kind will not help"
        )
    comps = [c for c in fit.components if c.weight >= 0.05]
    if len(comps) >= 2:
        vals = fit._component_loss(x4)[[fit.components.index(c) for c in comps], 0]
        spread = float(vals.max() - vals.min())
        ref = max(abs(gain), 2 * noise_last, 1e-9)
        if spread > 2.0 * ref and spread > 1e-3:
            d["families_disagree"] = (
                f"families predict values {spread:.3g} apart at 4x the largest size "
                f"({', '.join(c.family for c in comps)}); the extrapolation is uncertain"
            )
    _gap_closed(fit)


def _noise(fit: CurveFit) -> np.ndarray:
    """Standard error of the mean loss per size; where a size has one repeat (no spread
    to measure), the root mean square of the fitted curve's residuals instead, so a dip
    within the noise is not called significant.
    """
    se = np.asarray(fit.se_loss, float).copy()
    single = np.asarray(fit.counts) < 2
    if single.any() and len(fit.mean_loss) >= 3:
        resid = fit.mean_loss - fit._pred_loss(np.asarray(fit.sizes, float) / fit.n_ref)
        rms = float(np.sqrt(np.mean(resid**2)))
        se[single] = np.maximum(se[single], rms)
    return se


def _gap_closed(fit: CurveFit) -> None:
    """``gap_closed``: the test mean at the largest size is within 2 standard errors of
    the training mean (needs training scores and at least 2 repeats there)."""
    tl = fit.train_loss
    if tl is None or not len(tl) or not np.isfinite(tl[-1]) or fit.counts[-1] < 2:
        return
    gap = float(fit.mean_loss[-1] - tl[-1])  # training better by this much (metric units)
    noise = 2.0 * float(fit.se_loss[-1])
    if gap <= noise:
        where = ("within 2 standard errors of" if gap >= -noise else
                 "better than")  # a training mix harder than the test's can do that
        fit.diagnostics["gap_closed"] = (
            f"at n={fit.n_ref:g} the test score is {where} the score on the training rows "
            f"({'training' if gap >= 0 else 'test'} better by {abs(gap):.3g}; 2 standard "
            f"errors: {noise:.3g} metric units): the model fits its own rows no better than "
            "new ones, so more labels of this kind tend to "
            "buy little and a more flexible model may buy more (on LCDB such curves gained "
            "about a tenth of the others by 4x, yet about a third still gained > 0.01)"
        )


def find_crossing(
    fit_a: CurveFit,
    fit_b: CurveFit,
    *,
    max_n: float | None = None,
    n_draws: int = 400,
    random_state: int = 0,
) -> dict[str, Any]:
    """Whether and where the predicted curves of two models cross.

    Args:
        fit_a: Fit of model A.
        fit_b: Fit of model B (same metric and direction).
        max_n: Largest size considered (default 100× the larger of the largest sizes).
        n_draws: Joint draws per model (drawn with the same seed, so they are paired).
        random_state: Seed of the draws.

    Returns:
        Dict with ``crossings`` (sizes where the point predictions swap order),
        ``better_at_max`` (``"a"``, ``"b"`` or ``"tie"``), ``grid`` and ``p_a_better``
        (probability that A is better at each grid size, from the paired draws; ties
        count half).

    Raises:
        UsageError: opposite metric directions, or ``max_n`` not above the smallest size.

    Example:
        >>> import numpy as np
        >>> from dataroi.curves import fit_curve
        >>> n = np.array([100, 200, 400, 800, 1600])
        >>> a = fit_curve(n, 0.80 - 0.5 * n ** -0.5, random_state=0)
        >>> b = fit_curve(n, 0.95 - 3.0 * n ** -0.5, random_state=0)
        >>> res = find_crossing(a, b)
        >>> len(res["crossings"]) >= 1, res["better_at_max"]
        (True, 'b')
    """
    from dataroi.exceptions import UsageError

    if fit_a.higher_is_better != fit_b.higher_is_better:
        raise UsageError("cannot compare fits of metrics with opposite directions")
    lo = min(fit_a.sizes[0], fit_b.sizes[0])
    hi = float(max_n) if max_n is not None else 100.0 * max(fit_a.n_ref, fit_b.n_ref)
    if not np.isfinite(hi) or hi <= lo:
        raise UsageError(f"max_n must be a number above the smallest size ({lo:g}), "
                         f"got {max_n!r}")
    grid = np.geomspace(lo, hi, 200)
    sign = 1.0 if fit_a.higher_is_better else -1.0
    diff = sign * (fit_a.predict(grid) - fit_b.predict(grid))
    s = np.sign(diff)
    idx = np.nonzero(s[:-1] * s[1:] < 0)[0]
    crossings = [float(np.sqrt(grid[i] * grid[i + 1])) for i in idx]
    da = fit_a.sample(grid, size=n_draws, random_state=random_state)
    db = fit_b.sample(grid, size=n_draws, random_state=random_state)
    dd = sign * (da - db)
    p_a = (dd > 0).mean(axis=0) + 0.5 * (dd == 0).mean(axis=0)  # a tie counts half
    return {
        "crossings": crossings,
        "better_at_max": "a" if diff[-1] > 0 else "b" if diff[-1] < 0 else "tie",
        "grid": grid.tolist(),
        "p_a_better": p_a.tolist(),
    }
