"""The compute-cost curve: training seconds as a function of n, extrapolated.

Example:
    >>> import numpy as np
    >>> n = np.array([1000, 2000, 4000, 8000])
    >>> secs = np.column_stack([0.1 + 2e-4 * n, 0.1 + 2.2e-4 * n])
    >>> fit = fit_cost_curve(n, secs, random_state=0)
    >>> bool(2.5 < fit.predict(16000)[0] < 5.0)
    True
"""

from __future__ import annotations

from typing import Any

from dataroi.curves._fit import CurveFit, fit_curve

__all__ = ["fit_cost_curve"]


def fit_cost_curve(
    sizes: Any, seconds: Any, *, random_state: int | None = None, n_bootstrap: int = 64
) -> CurveFit:
    """Fit training cost (seconds, or any cost that grows with n) against n.

    Uses the same machinery as :func:`~dataroi.curves.fit_curve` with the rising family
    ``powgrow`` (``a + b·x^c``, ``c`` in [0, 3]); intervals are the raw bootstrap over
    repeats (the LCDB calibration is for metrics, not for costs).

    Args:
        sizes: Training sizes ``(n_sizes,)``.
        seconds: Costs ``(n_sizes, n_repeats)`` or ``(n_sizes,)``, NaN allowed.
        random_state: Seed of the bootstrap.
        n_bootstrap: Number of bootstrap refits.

    Returns:
        A :class:`~dataroi.curves.CurveFit` whose ``predict`` gives the cost at n.
    """
    return fit_curve(
        sizes, seconds, higher_is_better=False, families=("powgrow",),
        random_state=random_state, best_value=0.0, n_bootstrap=n_bootstrap, calibrate=False,
    )
