"""The staged plan: label today's amount again now, re-measure, then decide.

Deciding now commits to one option on today's forecast. Labeling ``N`` more items first
(doubling today's ``N``), re-running the study at ``2N`` and deciding then costs one
more labeling round, but the decision is made on a curve measured further out. The plan
is worth it when its expected value of information (EVOI) beats deciding now:

    value of the staged plan = E over what 2N will show [ max over the options left
    (every model, every total of at least 2N) of their expected net value given it ]
    − the first round's cost

(a preposterior analysis, Raiffa & Schlaifer 1961). What ``2N`` will show, and what it
tells about the rest of the curve, come from the learned gain forecast
(:class:`~dataroi.curves.GainForecast`): its error at 2x and its correlation with the
errors at 4x-16x on held-out data sets (``expected_given_first``). The models'
measurements at ``2N`` are drawn with the correlation their errors have on the same data
(``GainForecast.model_corr``, learned on held-out corpus rows): drawn independently, one
of several models looks much better than forecast far more often than on real data, and
the plan's value and P(net > 0) came out too high (on the corpus, plans stated at
0.5-0.7 ended with more money in 44 % of the decisions, at 0.60 on average, before the
correlation and the limit below).

With ``decision.max_p_loss``, a staged plan whose probability of losing money is above it
is not recommended (it spends the first round's labels like any option that spends).

It needs the learned forecast for every model (a metric bounded in [0, 1]), money
(``costs.value_per_point_usd``) and a price per label; else there is no staged plan.

Example:
    >>> import pandas as pd
    >>> from dataroi.spec import CostSpec
    >>> from dataroi.value import fit_study_curves
    >>> from dataroi.decide import evaluate_options, plan_budget
    >>> rows = [{"model": "a", "n_train": n, "repeat": r, "metric": "accuracy",
    ...          "value": 0.9 - 1.5 / n ** 0.5 + 0.002 * r}
    ...         for n in (64, 128, 256, 512) for r in range(3)]
    >>> curves = fit_study_curves(pd.DataFrame(rows), metric="accuracy")
    >>> costs = CostSpec(price_per_label_usd=1, value_per_point_usd=2000,
    ...                  fixed_cost_per_round_usd=100)
    >>> opts = evaluate_options(curves, costs, add=[512, 1536, 3584])
    >>> staged = plan_staged(curves, opts, plan_budget(opts))
    >>> staged.first_labels, staged.first_cost_usd
    (512, 612.0)
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from typing import Any

import numpy as np

from dataroi._json import json_safe
from dataroi._money import usd
from dataroi._random import seed_sequence
from dataroi.decide._calibration import PCalibration, load_p_calibration
from dataroi.decide._costs import CostModel
from dataroi.decide._options import OptionSet
from dataroi.decide._planner import BudgetPlan
from dataroi.value import StudyCurves

__all__ = ["StagedPlan", "plan_staged"]


@dataclass(frozen=True)
class StagedPlan:
    """Label ``first_labels`` now, re-measure, then decide — and whether it is worth it.

    Attributes:
        first_labels: labels to add now (today's ``N`` again: to ``2N``).
        first_cost_usd: their cost (with the round's fixed cost).
        value_now_usd: the expected net value of deciding now (the chosen option).
        value_staged_usd: the expected net value of the staged plan (first round
            included).
        evoi_usd: ``value_staged_usd − value_now_usd``; its Monte-Carlo standard error
            is ``evoi_se_usd``.
        recommended: whether the staged plan beats deciding now by more than two
            standard errors.
        p_net_positive: probability that the staged plan, followed (re-measuring, then
            deciding), ends with more money than staying (net > 0): the model's
            probability calibrated on the curve corpus (:mod:`dataroi.decide._calibration`).
        max_p_loss: the ``decision.max_p_loss`` it was held to (None: none); when
            ``1 - p_net_positive`` is above it the plan is not recommended.
        then: the likely decisions after re-measuring: (option label, probability),
            most likely first.
        p_net_positive_model: the probability as the draws state it, before the
            calibration (None: not computed).
    """

    first_labels: int
    first_cost_usd: float
    value_now_usd: float
    value_staged_usd: float
    evoi_usd: float
    evoi_se_usd: float
    recommended: bool
    p_net_positive: float
    then: tuple[tuple[str, float], ...]
    max_p_loss: float | None = None
    p_net_positive_model: float | None = None

    @property
    def too_risky(self) -> bool:
        """Whether its probability of losing money is above ``decision.max_p_loss``."""
        return self.max_p_loss is not None and 1.0 - self.p_net_positive > self.max_p_loss

    @property
    def label(self) -> str:
        """The plan in plain words."""
        return (f"label +{self.first_labels:,} now, re-measure at "
                f"{2 * self.first_labels:,}, then decide")

    def sentence(self) -> str:
        """One sentence: the plan, what it is worth over deciding now, what comes next."""
        nxt = "; ".join(f"{what} ({p:.0%})" for what, p in self.then[:3])
        if self.evoi_usd >= 0:
            versus = f"{usd(self.evoi_usd)} more than deciding now"
        else:
            versus = f"{usd(-self.evoi_usd)} less than deciding now"
        verdict = "" if self.recommended else (
            f" (it may lose money with P = {1 - self.p_net_positive:.2f}, above "
            f"decision.max_p_loss {self.max_p_loss:g}: deciding now)" if self.too_risky
            and self.evoi_usd > 0 else
            " (within the Monte-Carlo error: deciding now)" if self.evoi_usd > 0 else "")
        cal = "" if self.p_net_positive_model is None or abs(
            self.p_net_positive_model - self.p_net_positive) < 0.005 else (
            f" (as such plans realized on the curve corpus; the draws alone say "
            f"{self.p_net_positive_model:.2f})")
        return (f"Staged plan ({self.label}): expected net {usd(self.value_staged_usd)}, "
                f"{versus} ({usd(self.value_now_usd)}){verdict}; P(net > 0) = "
                f"{self.p_net_positive:.2f}{cal}; likely next steps: {nxt}.")

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form."""
        return json_safe({
            "first_labels": self.first_labels, "first_cost_usd": self.first_cost_usd,
            "value_now_usd": self.value_now_usd, "value_staged_usd": self.value_staged_usd,
            "evoi_usd": self.evoi_usd, "evoi_se_usd": self.evoi_se_usd,
            "recommended": self.recommended, "p_net_positive": self.p_net_positive,
            "then": [{"option": w, "probability": p} for w, p in self.then],
            "max_p_loss": self.max_p_loss, "label": self.label,
            "p_net_positive_model": self.p_net_positive_model})


def plan_staged(curves: StudyCurves, options: OptionSet, plan: BudgetPlan, *,
                n_outer: int = 2000, max_p_loss: float | None = None,
                calibration: PCalibration | None = None) -> StagedPlan | None:
    """The staged plan for a decision (None when it cannot be valued: a rule other than
    ``expected_net``, no learned forecast for a model, no money, no price per label, or
    no allowed option that adds today's ``N`` labels).

    Args:
        curves: the study's curves (with learned forecasts).
        options: the evaluated options (:func:`~dataroi.decide.evaluate_options`).
        plan: the plan deciding now (:func:`~dataroi.decide.plan_budget`): its chosen
            option's expected net value is the value of deciding now, and only its
            allowed options (budget, pool, deadline, guardrails; and those held back
            only by ``max_p_loss``, judged again after re-measuring) are open after the
            first round.
        n_outer: draws of what ``2N`` will show.
        max_p_loss: the largest probability of losing money the plan may have to be
            recommended (``decision.max_p_loss``; None: no limit).
        calibration: what turns the plan's modelled P(net > 0) into the rate realized
            on the curve corpus (:func:`~dataroi.decide.load_p_calibration`; None: the
            shipped one). ``max_p_loss`` is held to the calibrated probability.
    """
    cm = CostModel(options.costs)
    n0 = curves.current_n
    if not cm.has_value or options.costs.price_per_label_usd is None:
        return None
    if plan.rule != "expected_net" or plan.chosen.net_mean_usd is None:
        return None
    # open after the first round: the allowed options, and those held back only by
    # max_p_loss (their risk is judged again on what 2N shows; the plan's own risk is
    # held to it as a whole)
    risky = [o for o, why in plan.excluded
             if all("decision.max_p_loss" in w for w in why)]
    later = [o for o in (*plan.ranked, *risky)
             if o.delta_n >= n0 and "@" not in o.option_id]
    if not any(o.delta_n == n0 for o in later):
        return None
    models = sorted({o.model for o in later})
    if any(m not in curves.forecasts for m in models):
        return None
    first_cost = cm.labeling_usd(n0)
    budget = plan.budget_usd
    value_per_unit = cm.value_usd(1.0)
    rng = np.random.default_rng(seed_sequence(curves.random_state, "staged"))
    # one factor shared by every model (their errors at 2x are correlated), one each
    rho = float(np.clip(np.mean([curves.forecasts[m].model_corr for m in models]),
                        0.0, 0.99))
    shared = rng.standard_normal(n_outer)
    x1 = {m: math.sqrt(rho) * shared + math.sqrt(1.0 - rho) * rng.standard_normal(n_outer)
          for m in models}
    cond_net = []   # per later option: expected net given each draw of 2N
    real_net = []   # one draw of its net given each draw of 2N (for P(net > 0))
    kept = []
    for o in later:
        second = cm.labeling_usd(o.delta_n - n0)
        cost = first_cost + second + o.compute_usd + o.engineering_usd
        if budget is not None and cost > budget:
            continue
        fc = curves.forecasts[o.model]
        n_total = float(n0 + o.delta_n)
        switch = curves.sign * (curves.observed_today(o.model) - options.today)
        gain = fc.expected_given_first(x1[o.model], [n_total])[:, 0]
        draw = fc.sample_given_first(x1[o.model], [n_total], seed_sequence(
            curves.random_state, "staged", o.option_id))[:, 0]
        cond_net.append(value_per_unit * (switch + gain) - cost)
        real_net.append(value_per_unit * (switch + draw) - cost)
        kept.append(o)
    if not kept:
        return None
    cond = np.asarray(cond_net)
    best = np.argmax(cond, axis=0)
    cols = np.arange(n_outer)
    staged_values = cond[best, cols]
    value_staged = float(staged_values.mean())
    value_now = float(plan.chosen.net_mean_usd)
    # the error of the difference: the draws of 2N against the draws deciding now
    se = float(staged_values.std(ddof=1) / math.sqrt(n_outer))
    evoi = value_staged - value_now
    counts = Counter(best.tolist())
    then = tuple((_next_step(kept[i], n0), c / n_outer) for i, c in counts.most_common())
    p_model = float((np.asarray(real_net)[best, cols] > 0).mean())
    cal = calibration if calibration is not None else load_p_calibration()
    p_net = cal.apply("staged", p_model)
    losing = max_p_loss is not None and 1.0 - p_net > max_p_loss
    return StagedPlan(first_labels=int(n0), first_cost_usd=float(first_cost),
                      value_now_usd=value_now, value_staged_usd=value_staged,
                      evoi_usd=float(evoi), evoi_se_usd=se,
                      recommended=bool(evoi > 2.0 * se and not losing),
                      p_net_positive=p_net, then=then, max_p_loss=max_p_loss,
                      p_net_positive_model=p_model)


def _next_step(o: Any, n0: int) -> str:
    """What an option means once ``n0`` labels were added already."""
    more = o.delta_n - n0
    who = f"switch to {o.model}" if o.switch else f"keep {o.model}"
    return f"{who}, stop there" if more == 0 else f"{who}, label +{more:,} more"
