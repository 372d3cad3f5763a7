"""Marginal value of labels, labels to reach a target, and tipping points.

Every number comes from the joint curve draws of :class:`StudyCurves`: one draw is one
whole plausible curve (a bootstrap curve whose rank is mapped to the calibrated quantile
at each size), so a draw's gains at 1×, 2× and 4× more labels belong together and
differences between sizes stay paired. Gains are measured from today's observed mean (the
score a re-measurement would be compared with; see ``StudyCurves.gain_draws``), so their
quantiles are the calibrated quantiles of the metric at the larger size, shifted by
today's score. A draw is not forced to be monotone: where its
rank changes between sizes it can give a slightly smaller gain for more labels, which is
why P(gain > 0) need not rise strictly along the grid.

Example:
    >>> import pandas as pd
    >>> rows = [{"model": "a", "n_train": n, "repeat": r, "metric": "accuracy",
    ...          "value": 0.95 - 2.0 / n ** 0.5 + 0.003 * r}
    ...         for n in (25, 50, 100, 200, 400) for r in range(3)]
    >>> curves = fit_study_curves(pd.DataFrame(rows), metric="accuracy")
    >>> mv = marginal_value(curves, add=[1000])
    >>> row = [r for r in mv.rows if r["delta_n"] == 1000][0]
    >>> bool(row["gain_q50"] > 0 and row["p_gain_positive"] > 0.5)
    True
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any

import numpy as np

from dataroi._json import json_safe
from dataroi.exceptions import UsageError
from dataroi.value._curves import StudyCurves, fit_study_curves

if TYPE_CHECKING:
    import pandas as pd

    from dataroi.spec import CostSpec

__all__ = [
    "DEFAULT_GRID",
    "QUANTILES",
    "LabelsToTarget",
    "MarginalValue",
    "TippingPoints",
    "delta_grid",
    "labels_to_target",
    "marginal_value",
    "tipping_points",
]

#: Default added labels, as multiples of today's labels.
DEFAULT_GRID: tuple[float, ...] = (0.25, 0.5, 1.0, 2.0, 4.0, 8.0)
#: Quantiles reported for gains and requirements.
QUANTILES: tuple[float, ...] = (0.05, 0.25, 0.5, 0.75, 0.95)


def _q(p: float) -> str:
    return f"q{round(p * 100):02d}"


class _Rows:
    """Results that hold ``rows`` (one dictionary per model and amount)."""

    rows: tuple[dict[str, Any], ...]

    def to_frame(self) -> pd.DataFrame:
        """The rows as a DataFrame."""
        import pandas as pd

        return pd.DataFrame(list(self.rows))

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form: every field, the rows last (``inf`` written as null)."""
        out = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "rows"}
        return json_safe(out | {"rows": list(self.rows)})


def delta_grid(current_n: int, *, grid: Sequence[float] = DEFAULT_GRID,
               add: Sequence[int] | None = None) -> list[int]:
    """Added-label counts: ``grid`` × ``current_n`` plus the user's values, sorted.

    Example:
        >>> delta_grid(1000, grid=(0.5, 2), add=[300])
        [300, 500, 2000]
    """
    vals = {max(1, round(g * current_n)) for g in grid}
    for a in add or ():
        if int(a) < 1:
            raise UsageError(f"added labels must be >= 1, got {a}")
        vals.add(int(a))
    return sorted(vals)


@dataclass(frozen=True)
class MarginalValue(_Rows):
    """The predicted value of added labels, per model and added amount ``delta_n``.

    ``rows`` hold: model, delta_n, n_total, predicted (median metric at n_total),
    gain_mean, gain_q05 … gain_q95 (improvement over the model's score today, in metric
    units, positive = better), p_gain_positive, gain_per_1k (expected gain per 1,000
    added labels).
    """

    metric: str
    current_n: int
    rows: tuple[dict[str, Any], ...]


def _as_curves(curves: Any) -> StudyCurves:
    return curves if isinstance(curves, StudyCurves) else fit_study_curves(curves)


def marginal_value(
    curves: StudyCurves | Any,
    *,
    add: Sequence[int] | None = None,
    grid: Sequence[float] = DEFAULT_GRID,
    quantiles: Sequence[float] = QUANTILES,
    n_draws: int = 2000,
    models: Sequence[str] | None = None,
) -> MarginalValue:
    """Predicted gain from adding labels, per model, with quantiles from joint draws.

    Args:
        curves: a :class:`StudyCurves` (or a trials frame to fit).
        add: added-label counts besides the default grid.
        grid: multiples of today's labels to consider (default 0.25×…8×).
        quantiles: quantiles of the gain to report.
        n_draws: joint curve draws per model.
        models: the models to report (default: all).

    Returns:
        A :class:`MarginalValue`.
    """
    c = _as_curves(curves)
    deltas = delta_grid(c.current_n, grid=grid, add=add)
    rows = []
    for m in models or c.models:
        g = c.gain_draws(m, deltas, n_draws)
        today = c.observed_today(m)
        for j, d in enumerate(deltas):
            col = g[:, j]
            row: dict[str, Any] = {
                "model": m, "delta_n": int(d), "n_total": int(c.current_n + d),
                "predicted": float(c.clip(m, today + c.sign * np.median(col))),
                "gain_mean": float(col.mean()),
            }
            for p in quantiles:
                row[f"gain_{_q(p)}"] = float(np.quantile(col, p))
            row["p_gain_positive"] = float((col > 0).mean())
            row["gain_per_1k"] = float(col.mean() / d * 1000.0)
            rows.append(row)
    return MarginalValue(metric=c.metric, current_n=c.current_n, rows=tuple(rows))


def requirement_draws(c: StudyCurves, model: str, target: float, *, max_factor: float = 64.0,
                      n_draws: int = 2000, n_grid: int = 240) -> np.ndarray:
    """Draws of the total labels at which ``model`` first reaches ``target``.

    ``current_n`` when today's mean already meets the target; ``inf`` for draws that do
    not reach it within ``max_factor`` × today's labels.
    """
    met = c.sign * (c.observed_today(model) - target) >= 0
    if met:
        return np.full(int(n_draws), float(c.current_n))
    grid = np.unique(np.round(np.geomspace(c.current_n, max_factor * c.current_n, n_grid)))
    # the metric a draw predicts at each size (today's observed mean plus its gain)
    score = c.observed_today(model) + c.sign * c.gain_draws(model, grid - c.current_n,
                                                            n_draws)
    hit = c.sign * (score - target) >= 0
    hit[:, 0] = False
    reached = hit.any(axis=1)
    return np.where(reached, grid[np.argmax(hit, axis=1)], np.inf)


@dataclass(frozen=True)
class LabelsToTarget(_Rows):
    """Labels each model needs to reach ``target``.

    ``rows`` hold: model, today (mean metric now), already_reached, p_never (probability
    the target is not reached within ``max_factor`` × today's labels), added_q05 …
    added_q95 (quantiles of the labels to add; ``inf`` = not within the limit),
    n_total_median. ``higher_is_better`` says whether reaching means ≥ (accuracy) or
    ≤ (error, log loss) the target.
    """

    metric: str
    target: float
    current_n: int
    max_factor: float
    rows: tuple[dict[str, Any], ...]
    higher_is_better: bool = True

    @property
    def reach(self) -> str:
        """"≥" or "≤": what reaching the target means for this metric."""
        return "≥" if self.higher_is_better else "≤"


def labels_to_target(
    curves: StudyCurves | Any,
    target: float,
    *,
    max_factor: float = 64.0,
    quantiles: Sequence[float] = QUANTILES,
    n_draws: int = 2000,
) -> LabelsToTarget:
    """Quantiles of the labels to add to reach ``target``, and P(never within 64×).

    Args:
        curves: a :class:`StudyCurves` (or a trials frame).
        target: the target metric value (metric units and direction).
        max_factor: search up to ``max_factor`` × today's labels.
        quantiles: quantiles of the requirement to report.
        n_draws: joint draws per model.

    Example:
        >>> import pandas as pd
        >>> rows = [{"model": "a", "n_train": n, "repeat": r, "metric": "accuracy",
        ...          "value": 0.95 - 2.0 / n ** 0.5 + 0.003 * r}
        ...         for n in (25, 50, 100, 200, 400) for r in range(3)]
        >>> curves = fit_study_curves(pd.DataFrame(rows), metric="accuracy")
        >>> res = labels_to_target(curves, 0.5)
        >>> res.rows[0]["already_reached"], res.rows[0]["added_q50"]
        (True, 0.0)
    """
    c = _as_curves(curves)
    if not math.isfinite(target):
        raise UsageError(f"target must be a finite number, got {target}")
    rows = []
    for m in c.models:
        req = requirement_draws(c, m, target, max_factor=max_factor, n_draws=n_draws)
        added = req - c.current_n
        row: dict[str, Any] = {
            "model": m, "today": c.observed_today(m),
            "already_reached": bool(np.all(added == 0)),
            "p_never": float(np.isinf(req).mean()),
        }
        for p in quantiles:
            row[f"added_{_q(p)}"] = float(np.quantile(added, p, method="inverted_cdf"))
        row["n_total_median"] = float(np.quantile(req, 0.5, method="inverted_cdf"))
        rows.append(row)
    return LabelsToTarget(metric=c.metric, target=float(target), current_n=c.current_n,
                          max_factor=float(max_factor), rows=tuple(rows),
                          higher_is_better=c.higher_is_better)


@dataclass(frozen=True)
class TippingPoints(_Rows):
    """Where more labels stop paying, per model.

    ``rows`` hold: model, threshold_per_1k (metric gain per 1,000 labels), source
    (``user`` or ``break-even``), tipping_delta_n (added labels beyond which the expected
    *marginal* gain per 1,000 labels stays under the threshold; 0 = already; ``inf`` =
    not within the searched range), gain_per_1k_now (marginal gain at the first labels).
    """

    metric: str
    current_n: int
    rows: tuple[dict[str, Any], ...]


def break_even_per_1k(costs: CostSpec) -> float:
    """Metric gain per 1,000 labels at which labels pay for themselves.

    ``1000 × cost per item / (value per point × periods) × point``; ``inf`` when a point
    is worth nothing.

    Raises:
        UsageError: naming ``costs.value_per_point_usd`` or ``costs.price_per_label_usd``
            when missing.

    Example:
        >>> from dataroi.spec import CostSpec
        >>> break_even_per_1k(CostSpec(price_per_label_usd=0.5, value_per_point_usd=1000))
        0.005
    """
    per_item = costs.cost_per_item_usd
    if costs.value_per_point_usd is None:
        raise UsageError("costs.value_per_point_usd is needed for the break-even tipping "
                         "point; add it to the spec's costs: section (or give a threshold)")
    money_per_unit = costs.value_per_point_usd * costs.periods / costs.point
    if money_per_unit <= 0:
        return math.inf
    return 1000.0 * per_item / money_per_unit


def tipping_points(
    curves: StudyCurves | Any,
    *,
    threshold_per_1k: float | None = None,
    costs: CostSpec | None = None,
    max_factor: float = 64.0,
    n_draws: int = 2000,
) -> TippingPoints:
    """The added labels beyond which the expected gain per 1,000 labels is too small.

    The marginal gain per 1,000 labels is read from the mean of the joint draws and made
    non-increasing (isotonic regression), so "now" and the tipping point always agree:
    a model whose marginal gain today is under the threshold tips "now" (0).

    Args:
        curves: a :class:`StudyCurves` (or a trials frame).
        threshold_per_1k: a user threshold, in metric units per 1,000 labels.
        costs: a cost spec: the break-even threshold (see :func:`break_even_per_1k`) is
            used when no user threshold is given.
        max_factor: search added labels up to ``max_factor`` × today's.
        n_draws: joint draws per model.

    Raises:
        UsageError: neither a threshold nor costs with a value per point.
    """
    from sklearn.isotonic import IsotonicRegression

    c = _as_curves(curves)
    if threshold_per_1k is None:
        if costs is None:
            raise UsageError("give threshold_per_1k or costs (with price_per_label_usd and "
                             "value_per_point_usd) for tipping points")
        threshold, source = break_even_per_1k(costs), "break-even"
    else:
        threshold, source = float(threshold_per_1k), "user"
    deltas = np.unique(np.round(np.geomspace(max(1.0, 0.01 * c.current_n),
                                             max_factor * c.current_n, 200)))
    rows = []
    for m in c.models:
        mean_gain = np.concatenate([[0.0], c.gain_draws(m, deltas, n_draws).mean(axis=0)])
        x = np.concatenate([[0.0], deltas])
        raw = np.diff(mean_gain) / np.diff(x) * 1000.0  # per 1k, on each interval
        # Monte Carlo noise makes finite differences wiggle (the tipping point could then
        # lie beyond a "now" already under the threshold): fit the non-increasing marginal
        # gain closest to them, weighted by interval length (diminishing returns)
        marginal = IsotonicRegression(increasing=False).fit_transform(
            x[1:], raw, sample_weight=np.diff(x))
        above = np.nonzero(marginal >= threshold)[0]
        if above.size == 0:
            tip = 0.0
        elif above[-1] == len(marginal) - 1:
            tip = math.inf
        else:
            tip = float(x[above[-1] + 1])
        rows.append({"model": m, "threshold_per_1k": threshold, "source": source,
                     "tipping_delta_n": tip, "gain_per_1k_now": float(marginal[0])})
    return TippingPoints(metric=c.metric, current_n=c.current_n, rows=tuple(rows))
