"""Where should the next labels go? A greedy per-slice label allocation planner.

Starting from the labels each slice has today, the planner hands out the budget in steps,
each time to the slice whose next step buys the largest expected gain in the objective per
dollar, and compares the result with the naive plan that splits the labels by the slices'
shares of the training pool. It stops early when no slice's next step raises the expected
objective (near saturation, more labels can be worth nothing): the rest of the budget is
left unspent, and ``cost_usd`` says what the plan spends.

Example:
    >>> import pandas as pd
    >>> from dataroi.slices import fit_slice_curves
    >>> rows = [{"model": "m", "n_train": n, "repeat": r, "slice": s, "n_test": 300,
    ...          "value": top - k / n ** 0.5 + 0.004 * r, "n_slice_train": n // 2}
    ...         for n in (50, 100, 200, 400, 800) for r in range(3)
    ...         for s, top, k in (("easy", 0.97, 0.3), ("hard", 0.95, 3.0))]
    >>> curves = fit_slice_curves(pd.DataFrame(rows))
    >>> plan = allocate_labels(curves, "m", budget_labels=1000)
    >>> sum(plan.labels.values()), plan.labels["hard"] > plan.labels["easy"]
    (1000, True)
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from dataroi._json import json_safe
from dataroi._random import seed_sequence
from dataroi.curves import CurveFit
from dataroi.slices._curves import SliceCurves
from dataroi.slices._pooling import SliceError

__all__ = ["OBJECTIVES", "Allocation", "allocate_labels"]

#: Objectives :func:`allocate_labels` can optimise.
OBJECTIVES: tuple[str, ...] = ("overall", "worst_slice")

Objective = Literal["overall", "worst_slice"]


@dataclass(frozen=True)
class Allocation:
    """A per-slice label plan and what it is expected to buy.

    Metric values are in the metric's own units and direction (for a loss, ``worst``
    means the largest loss and a smaller ``objective_after`` is better).

    Attributes:
        model: The model planned for.
        objective: ``"overall"`` (weighted mean of the slice metrics) or ``"worst_slice"``
            (the worst slice's metric).
        labels: Labels added per slice by the greedy plan.
        cost_usd: Cost of ``labels``.
        expected: Expected metric of each slice after the plan.
        today: Expected metric of each slice today (the curve at today's labels).
        objective_today: Expected objective today.
        objective_after: Expected objective after the greedy plan.
        objective_after_proportional: Expected objective after the proportional plan.
        interval_after: Central 90 % interval of the objective after the greedy plan.
        labels_proportional: Labels per slice of the proportional plan (budget split by
            the slices' training shares).
        current_labels: Labels each slice has today: its curve's largest size (the mean
            ``n_slice_train`` over repeats at the largest ``n_train``).
        prices: Price per label of each slice.
        weights: Weights of the ``overall`` objective (sum to 1).
        higher_is_better: Direction of the metric.
        step: Labels per greedy step.
        objectives_after: Expected value of every objective of :data:`OBJECTIVES` after
            the greedy plan (same draws), to compare plans made for different objectives.
    """

    model: Hashable
    objective: str
    labels: dict[Hashable, int]
    cost_usd: float
    expected: dict[Hashable, float]
    today: dict[Hashable, float]
    objective_today: float
    objective_after: float
    objective_after_proportional: float
    interval_after: tuple[float, float]
    labels_proportional: dict[Hashable, int]
    current_labels: dict[Hashable, float]
    prices: dict[Hashable, float]
    weights: dict[Hashable, float]
    higher_is_better: bool
    step: int
    objectives_after: dict[str, float]

    @property
    def cost_usd_proportional(self) -> float:
        """Cost of the proportional plan."""
        return float(sum(self.labels_proportional[s] * self.prices[s] for s in self.prices))

    def table(self) -> pd.DataFrame:
        """One row per slice: labels today and added (greedy, proportional), price, cost,
        weight, metric today and after.

        Example:
            >>> plan = Allocation("m", "overall", {"a": 10}, 10.0, {"a": 0.9}, {"a": 0.8},
            ...                   0.8, 0.9, 0.85, (0.85, 0.95), {"a": 10}, {"a": 100.0},
            ...                   {"a": 1.0}, {"a": 1.0}, True, 10,
            ...                   {"overall": 0.9, "worst_slice": 0.9})
            >>> plan.table().loc[0, "change"].round(2)
            np.float64(0.1)
        """
        rows = [{
            "slice": s,
            "current_labels": self.current_labels[s],
            "labels": self.labels[s],
            "labels_proportional": self.labels_proportional[s],
            "price_per_label": self.prices[s],
            "cost_usd": self.labels[s] * self.prices[s],
            "weight": self.weights[s],
            "today": self.today[s],
            "expected": self.expected[s],
            "change": self.expected[s] - self.today[s],
        } for s in self.labels]
        return pd.DataFrame(rows)

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form (slice keys as text)."""
        d = {k: getattr(self, k) for k in self.__dataclass_fields__}
        d["cost_usd_proportional"] = self.cost_usd_proportional
        return json_safe(d)


# --------------------------------------------------------------------------------------
# validation


def _prices(
    price_per_label: Mapping[Hashable, float] | float, fitted: list[Hashable],
    known: list[Hashable],
) -> dict[Hashable, float]:
    if isinstance(price_per_label, Mapping):
        unknown = [s for s in price_per_label if s not in known]
        if unknown:
            raise SliceError(f"unknown slice(s) in price_per_label: {unknown!r}; "
                             f"known: {known!r}")
        lacking = [s for s in fitted if s not in price_per_label]
        if lacking:
            raise SliceError(f"price_per_label has no price for slice(s) {lacking!r}")
        prices = {s: float(price_per_label[s]) for s in fitted}
    else:
        prices = dict.fromkeys(fitted, float(price_per_label))
    bad = {s: p for s, p in prices.items() if not (math.isfinite(p) and p >= 0)}
    if bad:
        raise SliceError(f"prices must be finite and >= 0 (no negative prices), got {bad!r}")
    return prices


def _weights(
    weights: Mapping[Hashable, float] | None, curves: SliceCurves, fitted: list[Hashable],
    known: list[Hashable],
) -> dict[Hashable, float]:
    if weights is None:
        raw = {s: float(curves.test_shares.get(s, 0.0)) for s in fitted}
        if sum(raw.values()) <= 0:
            raw = dict.fromkeys(fitted, 1.0)
    else:
        unknown = [s for s in weights if s not in known]
        if unknown:
            raise SliceError(f"unknown slice(s) in weights: {unknown!r}; known: {known!r}")
        raw = {s: float(weights.get(s, 0.0)) for s in fitted}
        if any(not (math.isfinite(v) and v >= 0) for v in raw.values()):
            raise SliceError(f"weights must be finite and >= 0, got {raw!r}")
        if sum(raw.values()) <= 0:
            raise SliceError("weights give no positive weight to any fitted slice")
    total = sum(raw.values())
    return {s: v / total for s, v in raw.items()}


def _budgets(
    budget_labels: int | None, budget_usd: float | None, prices: dict[Hashable, float]
) -> tuple[float, float]:
    if budget_labels is None and budget_usd is None:
        raise SliceError("no budget given: pass budget_labels and/or budget_usd")
    lab = math.inf if budget_labels is None else float(budget_labels)
    usd = math.inf if budget_usd is None else float(budget_usd)
    if lab < 0 or usd < 0 or math.isnan(lab) or math.isnan(usd):
        raise SliceError(f"budgets must be >= 0, got budget_labels={budget_labels!r}, "
                         f"budget_usd={budget_usd!r}")
    if budget_labels is not None and int(budget_labels) != budget_labels:
        raise SliceError(f"budget_labels must be a whole number, got {budget_labels!r}")
    if math.isinf(lab) and any(p == 0 for p in prices.values()):
        raise SliceError("a slice with price 0 makes a dollar-only budget unbounded; "
                         "give budget_labels too")
    return lab, usd


# --------------------------------------------------------------------------------------
# the planner


class _Draws:
    """Joint draws of the slices' metrics at any label counts (cached, one seed per slice).

    Draw ``i`` of every slice is paired: the curves were fitted separately, so pairing
    independent draws by index is a joint draw under independence between slices.
    """

    def __init__(self, fits: dict[Hashable, CurveFit], k: int, random_state: int | None
                 ) -> None:
        self.fits, self.k = fits, k
        self.n0 = {s: float(f.n_ref) for s, f in fits.items()}
        self.seeds = {
            s: (np.random.SeedSequence() if random_state is None else
                seed_sequence(int(random_state), repr(s)))
            for s in fits
        }
        self._cache: dict[tuple[Hashable, int], np.ndarray] = {}

    def col(self, s: Hashable, added: int) -> np.ndarray:
        key = (s, int(added))
        if key not in self._cache:
            n = self.n0[s] + added
            self._cache[key] = self.fits[s].sample([n], size=self.k,
                                                   random_state=self.seeds[s])[:, 0]
        return self._cache[key]

    def matrix(self, added: Mapping[Hashable, int]) -> np.ndarray:
        return np.column_stack([self.col(s, added[s]) for s in self.fits])


def _goodness(mat: np.ndarray, sign: float, objective: str, w: np.ndarray) -> np.ndarray:
    """Objective per draw, oriented so that larger is better."""
    g = sign * mat
    return g @ w if objective == "overall" else g.min(axis=1)


def _proportional(
    shares: dict[Hashable, float], prices: dict[Hashable, float], lab: float, usd: float
) -> dict[Hashable, int]:
    sh = {s: max(float(shares.get(s, 0.0)), 0.0) for s in prices}
    tot = sum(sh.values())
    sh = {s: (v / tot if tot > 0 else 1.0 / len(sh)) for s, v in sh.items()}
    unit_cost = sum(sh[s] * prices[s] for s in sh)
    total = min(lab, usd / unit_cost if unit_cost > 0 else math.inf)
    return {s: math.floor(total * sh[s] + 1e-9) for s in sh}


def allocate_labels(
    curves: SliceCurves,
    model: Hashable,
    *,
    budget_labels: int | None = None,
    budget_usd: float | None = None,
    price_per_label: Mapping[Hashable, float] | float = 1.0,
    objective: Objective = "overall",
    weights: Mapping[Hashable, float] | None = None,
    step: int | None = None,
    draws: int = 400,
    random_state: int | None = 0,
) -> Allocation:
    """Split a label budget over slices greedily, by expected gain per dollar.

    Each slice ``s`` starts from ``n_s`` labels, the largest observed ``n_slice_train``
    (its curve's largest size: the mean over repeats at the largest ``n_train``). At each
    step the slice whose next ``step`` labels raise the expected objective most per dollar
    gets them, until the budget (labels and/or dollars) is spent; the last steps shrink to
    what is still affordable, so a label budget is spent exactly and a dollar budget to
    within one label's price. Slices without a curve get no labels.

    Objectives (in the metric's direction; for a loss "gain" means a reduction):

    * ``"overall"`` — the weighted mean of the slice metrics (weights default to the
      slices' test shares), i.e. the overall metric if the test mix stays the same;
    * ``"worst_slice"`` — the worst slice's metric (min, or max for a loss). ``weights``
      are not used.

    Expectations are over ``draws`` joint draws of the curves (:meth:`CurveFit.sample`):
    draw ``i`` of every slice is paired, and since each slice's curve is fitted on its own
    the slices are treated as **independent** (errors shared across slices, e.g. of the
    same model, are ignored; this matters for ``worst_slice``, whose expectation of a
    minimum depends on the joint law).

    Greedy marginal allocation is optimal (up to one step) when each slice's gain is
    concave in its labels (diminishing returns, as learning curves are) and the objective
    is a sum over slices (``"overall"``). ``E[min]`` of concave curves is concave but not
    separable, so for ``"worst_slice"`` greedy is a good heuristic, not a guarantee.

    The plan is compared with the proportional plan (the same budget split by the slices'
    training shares, :attr:`SliceCurves.shares`) and is never worse: where the greedy
    steps stall short of it, the proportional plan is the plan (``worst_slice`` of a
    nearly flat worst slice: a step's gain in the minimum drowns in the draws' noise, and
    the steps stop long before the budget is spent).

    Args:
        curves: Output of :func:`dataroi.slices.fit_slice_curves`.
        model: The model to plan for.
        budget_labels: Most labels to add (at least one budget must be given).
        budget_usd: Most dollars to spend.
        price_per_label: One price, or a price per fitted slice.
        objective: ``"overall"`` or ``"worst_slice"``.
        weights: Weights of the ``overall`` objective per slice (missing slices: 0;
            normalised to sum 1). Default: :attr:`SliceCurves.test_shares`.
        step: Labels per step (default ``max(1, total // 50)``, ``total`` the label budget
            or the dollar budget over the mean price).
        draws: Number of joint draws.
        random_state: Seed of the draws (``None``: fresh entropy).

    Returns:
        An :class:`Allocation`.

    Raises:
        SliceError: (a :class:`ValueError`) for an unknown model, a model without fitted
            slices, no budget, negative prices or budgets, unknown slices in
            ``price_per_label``/``weights``, an unknown objective, ``step``/``draws`` < 1.
    """
    fitted, prices, w, lab, usd, step = _check_allocation(
        curves, model, budget_labels, budget_usd, price_per_label, objective, weights,
        step, draws)
    fits = {s: curves.fits[(model, s)] for s in fitted}
    hib = all(f.higher_is_better for f in fits.values())
    sign = 1.0 if hib else -1.0
    wv = np.array([w[s] for s in fitted])
    dr = _Draws(fits, int(draws), random_state)
    added, cur = _greedy(dr, fitted, prices, lab, usd, step,
                         lambda m: float(_goodness(m, sign, objective, wv).mean()))

    prop = _proportional(curves.shares, prices, lab, usd)
    prop_mat = dr.matrix({s: prop.get(s, 0) for s in fitted})
    if _goodness(prop_mat, sign, objective, wv).mean() > \
            _goodness(cur, sign, objective, wv).mean():
        # greedy steps can stall short of it (worst_slice is not a sum over slices):
        # the plan is never worse than the split it is compared with
        added, cur = {s: int(prop.get(s, 0)) for s in fitted}, prop_mat
    today_mat = dr.matrix(dict.fromkeys(fitted, 0))
    after = sign * _goodness(cur, sign, objective, wv)
    lo, hi = np.quantile(after, [0.05, 0.95])
    return Allocation(
        model=model,
        objective=objective,
        labels=added,
        cost_usd=float(sum(added[s] * prices[s] for s in fitted)),
        expected={s: float(cur[:, i].mean()) for i, s in enumerate(fitted)},
        today={s: float(today_mat[:, i].mean()) for i, s in enumerate(fitted)},
        objective_today=float(sign * _goodness(today_mat, sign, objective, wv).mean()),
        objective_after=float(after.mean()),
        objective_after_proportional=float(
            sign * _goodness(dr.matrix(prop), sign, objective, wv).mean()),
        interval_after=(float(lo), float(hi)),
        labels_proportional=prop,
        current_labels=dict(dr.n0),
        prices=prices,
        weights=w,
        higher_is_better=hib,
        step=step,
        objectives_after={o: float(sign * _goodness(cur, sign, o, wv).mean())
                          for o in OBJECTIVES},
    )


def _check_allocation(curves: SliceCurves, model: Hashable, budget_labels: int | None,
                      budget_usd: float | None, price_per_label: Any, objective: str,
                      weights: Mapping[Hashable, float] | None, step: int | None,
                      draws: int) -> tuple[list[Hashable], dict[Hashable, float],
                                           dict[Hashable, float], float, float, int]:
    """The checked inputs of :func:`allocate_labels`: its fitted slices, prices, weights,
    label and dollar budgets and the step."""
    if objective not in OBJECTIVES:
        raise SliceError(f"objective must be one of {OBJECTIVES}, got {objective!r}")
    if model not in curves.models:
        raise SliceError(f"unknown model {model!r}; known: {curves.models!r}")
    fitted = curves.fitted_slices(model)
    if not fitted:
        reasons = {s: r for (m, s), r in curves.skipped.items() if m == model}
        raise SliceError(f"no fitted slices for model {model!r}: {reasons!r}")
    known = curves.slices(model)
    prices = _prices(price_per_label, fitted, known)
    w = _weights(weights, curves, fitted, known)
    lab, usd = _budgets(budget_labels, budget_usd, prices)
    if int(draws) < 1:
        raise SliceError(f"draws must be >= 1, got {draws}")
    mean_price = float(np.mean(list(prices.values())))
    total = min(lab, usd / mean_price if mean_price > 0 else math.inf)
    if step is None:
        step = max(1, int(total // 50))
    elif int(step) < 1:
        raise SliceError(f"step must be >= 1, got {step}")
    return fitted, prices, w, lab, usd, int(step)


def _greedy(dr: _Draws, fitted: list[Hashable], prices: Mapping[Hashable, float],
            lab: float, usd: float, step: int, goodness: Any
            ) -> tuple[dict[Hashable, int], np.ndarray]:
    """Give ``step`` labels at a time to the slice that raises the expected objective
    (``goodness`` of the draws matrix) most per dollar, while the budgets last and a
    gain remains; return the labels added per slice and the final draws matrix."""
    added = dict.fromkeys(fitted, 0)
    cur = dr.matrix(added)
    cur_good = goodness(cur)
    rem_lab, rem_usd = lab, usd
    while True:
        best: tuple[float, int, int] | None = None  # (gain per dollar, slice index, inc)
        for i, s in enumerate(fitted):
            afford = rem_usd / prices[s] if prices[s] > 0 else math.inf
            inc = math.floor(min(step, rem_lab, afford + 1e-9))
            if inc < 1:
                continue
            trial = cur.copy()
            trial[:, i] = dr.col(s, added[s] + inc)
            gain = goodness(trial) - cur_good
            per = gain / max(inc * prices[s], 1e-12 * inc)
            if best is None or per > best[0]:
                best = (per, i, inc)
        if best is None or best[0] <= 0:
            break  # no slice's labels raise the expected objective: keep the rest
        _, i, inc = best
        s = fitted[i]
        added[s] += inc
        cur[:, i] = dr.col(s, added[s])
        cur_good = goodness(cur)
        rem_lab -= inc
        rem_usd -= inc * prices[s]
    return added, cur
