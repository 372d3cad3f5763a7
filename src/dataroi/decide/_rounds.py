"""Collect labels in rounds to reach a target: the LOC plan (Mahmood et al., NeurIPS 2022).

The joint curve draws give a distribution ``F`` of the data requirement (the total
labels at which the target is first met). With cost ``c`` per item, a fixed cost per
round, ``T`` rounds and a penalty ``P`` for missing the target, the plan
``N = q_0 ≤ q_1 ≤ … ≤ q_T`` minimises

    Σ_t (c·(q_t − q_{t−1}) + fixed·[q_t > q_{t−1}]) · (1 − F(q_{t−1}))  +  P · (1 − F(q_T)):

a round is only paid for if the target was not reached by the previous one (after each
round one re-measures and stops when the target is met). It is solved exactly on a
geometric grid of sizes by dynamic programming. Without a given penalty, ``P`` is set to
the smallest value whose plan misses the target with probability ≤ ε. The one-shot plan
(one round: collect the (1 − ε) quantile of the requirement) is shown beside it.

Example:
    >>> import pandas as pd
    >>> from dataroi.spec import CostSpec
    >>> from dataroi.value import fit_study_curves
    >>> rows = [{"model": "a", "n_train": n, "repeat": r, "metric": "accuracy",
    ...          "value": 0.95 - 2.0 / n ** 0.5 + 0.004 * (r - 1)}
    ...         for n in (25, 50, 100, 200, 400) for r in range(3)]
    >>> curves = fit_study_curves(pd.DataFrame(rows), metric="accuracy")
    >>> plan = plan_rounds(curves, 0.88, CostSpec(price_per_label_usd=1.0), risk=0.2)
    >>> plan.multi["expected_cost_usd"] <= plan.one_shot["expected_cost_usd"] + 1e-6
    True
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from dataroi._json import json_safe
from dataroi.decide._costs import CostModel
from dataroi.exceptions import UsageError
from dataroi.spec import CostSpec
from dataroi.value import StudyCurves, requirement_draws

__all__ = ["RoundsPlan", "plan_rounds", "solve_rounds"]


@dataclass(frozen=True)
class RoundsPlan:
    """A multi-round (LOC) plan next to the one-shot plan, for one model.

    Attributes:
        model, target, risk, rounds: what was planned.
        p_infeasible: probability the target is not reached with ``max_total`` labels.
        max_total: the most labels any plan may reach: ``max_factor`` × today, or less
            when the unlabeled pool or the deadline (``costs.unlabeled_items``,
            ``costs.labels_per_day`` × ``costs.deadline_days``) allow fewer.
        limited_by: what sets ``max_total``, in words.
        penalty_usd: the penalty used; ``penalty_source`` says whether it was given or
            calibrated so that the failure probability is at most ``risk``.
        one_shot: ``added``, ``n_total``, ``expected_cost_usd``, ``failure_prob``,
            ``capped`` (the (1 − ε) quantile is beyond ``max_total``, so the one-shot
            plan collects up to that limit and fails with P(infeasible)).
        multi: ``added`` (cumulative labels to have added after each round),
            ``n_totals``, ``expected_cost_usd`` (labels and round costs, each round
            weighted by the probability it is needed), ``expected_rounds``,
            ``failure_prob``, ``expected_total_usd`` (cost + penalty × failure).
        feasible: whether a plan meets ``failure_prob ≤ risk``.
    """

    model: str
    target: float
    risk: float
    rounds: int
    current_n: int
    p_infeasible: float
    max_total: int
    limited_by: str
    penalty_usd: float
    penalty_source: str
    one_shot: dict[str, Any]
    multi: dict[str, Any]
    feasible: bool

    @property
    def already_reached(self) -> bool:
        """Whether today's mean already meets the target (nothing to add, no risk)."""
        return (self.one_shot.get("added") == 0 and not self.one_shot.get("capped")
                and self.one_shot.get("failure_prob") == 0.0)

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form (``inf`` written as null)."""
        return json_safe(self.__dict__.copy())


def solve_rounds(q: np.ndarray, surv: np.ndarray, *, cost_per_item: float,
                 fixed_per_round: float, penalty: float, rounds: int) -> tuple[list[int], float]:
    """Exact DP on a grid: indices of ``q_1..q_T`` and the minimal objective.

    Args:
        q: increasing candidate totals, ``q[0]`` = today.
        surv: ``1 − F(q)``: probability the target is not yet reached at each total.
        cost_per_item, fixed_per_round, penalty: the LOC costs.
        rounds: ``T``.

    Example:
        >>> q = np.array([100., 200., 400.])
        >>> idx, obj = solve_rounds(q, np.array([1.0, 0.5, 0.0]), cost_per_item=1.0,
        ...                         fixed_per_round=0.0, penalty=1e6, rounds=2)
        >>> [int(q[i]) for i in idx], obj
        ([200, 400], 200.0)
    """
    g = len(q)
    step = (cost_per_item * (q[None, :] - q[:, None])
            + fixed_per_round * (q[None, :] > q[:, None])) * surv[:, None]
    step = np.where(q[None, :] >= q[:, None], step, np.inf)
    value = penalty * surv
    choices = []
    for _ in range(rounds):
        total = step + value[None, :]
        arg = np.argmin(total, axis=1)
        value = total[np.arange(g), arg]
        choices.append(arg)
    path, i = [], 0
    for arg in reversed(choices):
        i = int(arg[i])
        path.append(i)
    return path, float(value[0])


def plan_rounds(
    curves: StudyCurves,
    target: float,
    costs: CostSpec,
    *,
    model: str | None = None,
    current_model: str | None = None,
    rounds: int = 3,
    risk: float = 0.1,
    penalty_usd: float | None = None,
    max_factor: float = 64.0,
    n_draws: int = 2000,
    n_grid: int = 160,
) -> RoundsPlan:
    """Plan labeling rounds to reach ``target`` with ``model`` (LOC), and the one-shot plan.

    Args:
        curves: fitted curves of the study.
        target: the target metric value.
        costs: needs ``price_per_label_usd``; uses ``fixed_cost_per_round_usd`` and
            ``failure_penalty_usd`` (the penalty P) when set.
        model: the model to label for (default: the current model).
        current_model: the model in use (for the switching cost; default: best today).
        rounds: number of rounds ``T``.
        risk: ε, the acceptable probability of missing the target.
        penalty_usd: P (default: ``costs.failure_penalty_usd``, else calibrated to ε).
        max_factor: largest total considered, in multiples of today's labels (lowered
            to the unlabeled pool and the deadline when ``costs`` gives them).
        n_draws: joint draws.
        n_grid: grid points of the dynamic programme.

    Raises:
        UsageError: naming ``costs.price_per_label_usd`` when it is missing.
    """
    if rounds < 1:
        raise UsageError(f"rounds must be >= 1, got {rounds}")
    if not 0 < risk < 1:
        raise UsageError(f"risk must be in (0, 1), got {risk}")
    current = current_model or curves.best_today()
    m = curves.check_model(model or current)
    c = costs.cost_per_item_usd
    fixed = costs.fixed_cost_per_round_usd
    eng = 0.0
    if m != current and costs.engineering_cost_usd is not None:
        e = costs.engineering_cost_usd
        eng = float(e.get(m, 0.0)) if isinstance(e, dict) else float(e)
    n0 = float(curves.current_n)
    limits = {f"{max_factor:g}× today's labels": max_factor * n0}
    names = {"pool": "the unlabeled pool (costs.unlabeled_items)",
             "deadline": "the deadline (costs.labels_per_day × costs.deadline_days)"}
    for key, delta in CostModel(costs).label_limits().items():
        limits[names[key]] = n0 + delta
    limited_by = min(limits, key=limits.__getitem__)
    max_total = max(math.floor(limits[limited_by]), n0)
    max_factor = max_total / n0
    req = requirement_draws(curves, m, target, max_factor=max_factor, n_draws=n_draws)
    # the switch part: today's paired difference shifts the requirement only through the
    # model's own curve (the requirement is measured on the model's own scores)
    q = np.unique(np.concatenate([[n0], np.round(np.geomspace(n0, max_total, n_grid)),
                                  req[np.isfinite(req)]]))
    q = q[(q >= n0) & (q <= max_total)]  # max_total itself, not a rounded product
    srt = np.sort(req)
    surv = 1.0 - np.searchsorted(srt, q, side="right") / len(req)
    p_inf = float(np.isinf(req).mean())

    # one shot: the (1 - eps) quantile of the requirement
    q1 = float(np.quantile(req, 1 - risk, method="inverted_cdf"))
    capped = not math.isfinite(q1)
    if capped:  # P(infeasible) > risk: the most one round can plan for is the largest size
        q1 = float(q[-1])
    fail1 = float(1.0 - np.searchsorted(srt, q1, side="right") / len(req))
    cost1 = float(c * (q1 - n0) + (fixed if q1 > n0 else 0.0) + eng)
    one = {"added": int(q1 - n0), "n_total": int(q1), "expected_cost_usd": cost1,
           "failure_prob": fail1, "capped": capped}

    def solve(p: float) -> tuple[list[int], float, float]:
        path, _ = solve_rounds(q, surv, cost_per_item=c, fixed_per_round=fixed, penalty=p,
                               rounds=rounds)
        prev, exp_cost = 0, 0.0
        for i in path:
            exp_cost += (c * (q[i] - q[prev]) + (fixed if i > prev else 0.0)) * surv[prev]
            prev = i
        return path, float(exp_cost), float(surv[path[-1]])

    if penalty_usd is None:
        penalty_usd = costs.failure_penalty_usd
    if penalty_usd is not None:
        source = "given"
        path, cost_m, fail_m = solve(float(penalty_usd))
    else:
        source = "calibrated to risk"
        lo, hi = math.log(max(c, 1e-9)), math.log(max(c, 1e-9) * max_factor * n0 * 1e6)
        path, cost_m, fail_m = solve(math.exp(hi))
        if fail_m <= risk:
            for _ in range(40):
                mid = (lo + hi) / 2
                p_path, p_cost, p_fail = solve(math.exp(mid))
                if p_fail <= risk:
                    hi, path, cost_m, fail_m = mid, p_path, p_cost, p_fail
                else:
                    lo = mid
        penalty_usd = math.exp(hi)
    n_totals = [int(q[i]) for i in path]
    exp_rounds, prev = 0.0, 0
    for i in path:
        if i > prev:
            exp_rounds += float(surv[prev])
        prev = i
    multi = {"added": [int(t - n0) for t in n_totals], "n_totals": n_totals,
             "expected_cost_usd": cost_m + eng * (1.0 if path[-1] > 0 or m != current
                                                  else 0.0),
             "expected_rounds": exp_rounds, "failure_prob": fail_m,
             "expected_total_usd": cost_m + eng + float(penalty_usd) * fail_m}
    return RoundsPlan(model=m, target=float(target), risk=float(risk), rounds=int(rounds),
                      current_n=int(n0), p_infeasible=p_inf, max_total=int(max_total),
                      limited_by=limited_by, penalty_usd=float(penalty_usd),
                      penalty_source=source, one_shot=one, multi=multi,
                      feasible=bool(fail_m <= risk + 1e-12))
