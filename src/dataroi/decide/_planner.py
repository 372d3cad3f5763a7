"""The budget planner: exclude what breaks the budget or a guardrail, rank by a rule.

Rules:

* ``expected_net`` — the largest expected net value (value of the gain − cost); options
  whose expected net value differs from the best one's by less than the Monte-Carlo error
  of the difference (two standard errors) are tied, and a tie goes to the cheaper option;
* ``quantile10`` — the largest 10 % quantile of the net value (of the gain when gains
  are not valued in money): a risk-averse choice;
* ``target`` — the cheapest option that reaches the target with probability ≥ 1 − ε.

The baseline ("keep the current model, no labels") is always allowed: it costs nothing.
Besides the budget, the deadline, the unlabeled pool and the guardrails, an option that
spends money is excluded when it loses money (net < 0) with a probability above
``max_p_loss`` (``decision.max_p_loss``).

Example:
    >>> import pandas as pd
    >>> from dataroi.spec import CostSpec
    >>> from dataroi.value import fit_study_curves
    >>> from dataroi.decide import evaluate_options
    >>> rows = [{"model": "a", "n_train": n, "repeat": r, "metric": "accuracy",
    ...          "value": 0.95 - 2.0 / n ** 0.5 + 0.003 * r}
    ...         for n in (25, 50, 100, 200, 400) for r in range(3)]
    >>> curves = fit_study_curves(pd.DataFrame(rows), metric="accuracy")
    >>> opts = evaluate_options(curves, CostSpec(price_per_label_usd=1.0,
    ...                                          value_per_point_usd=5000))
    >>> plan = plan_budget(opts, budget_usd=300)
    >>> plan.chosen.cost_usd <= 300, all(o.cost_usd > 300 for o, _ in plan.excluded)
    (True, True)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from dataroi._json import json_safe
from dataroi._money import usd
from dataroi.decide._costs import CostModel
from dataroi.decide._options import Option, OptionSet
from dataroi.exceptions import UsageError
from dataroi.spec import GuardrailSpec

__all__ = ["RULES", "BudgetPlan", "plan_budget", "scenarios"]

RULES = ("expected_net", "quantile10", "target")


@dataclass(frozen=True)
class BudgetPlan:
    """The planner's answer.

    Attributes:
        rule: the rule used.
        budget_usd: the budget applied (None: unlimited).
        risk: ε of the target rule.
        chosen: the recommended option.
        runner_up: the next best allowed option (None if there is only one).
        ranked: allowed options, best first.
        excluded: (option, reasons) for options that break the budget, the deadline or
            a guardrail.
        target_met: for the ``target`` rule, whether the chosen option reaches the
            target with probability ≥ 1 − ε (None for other rules).
        notes: what the user should know.
    """

    rule: str
    budget_usd: float | None
    risk: float
    chosen: Option
    runner_up: Option | None
    ranked: tuple[Option, ...]
    excluded: tuple[tuple[Option, tuple[str, ...]], ...]
    target_met: bool | None = None
    notes: tuple[str, ...] = field(default=())

    def shown(self, limit: int | None = None) -> tuple[Option, ...]:
        """The options a table shows: the allowed ones best first, then the excluded
        ones; with ``limit``, the first ``limit`` of them and, for each kind of option
        (new labels or a switch, relabeling, labeling by a strategy) missing there, the
        best of that kind, so that a table shows relabeling beside buying labels even
        when relabeling ranks low.

        Example:
            >>> from dataroi.decide import evaluate_options, plan_budget
            >>> from dataroi.spec import CostSpec
            >>> import pandas as pd
            >>> from dataroi.value import fit_study_curves
            >>> rows = [{"model": "a", "n_train": n, "repeat": r, "metric": "accuracy",
            ...          "value": 0.9 - 1.5 / n ** 0.5 + 0.002 * r}
            ...         for n in (64, 128, 256, 512) for r in range(3)]
            >>> plan = plan_budget(evaluate_options(
            ...     fit_study_curves(pd.DataFrame(rows), metric="accuracy"),
            ...     CostSpec(price_per_label_usd=1, value_per_point_usd=2000)))
            >>> len(plan.shown()) > 2, len(plan.shown(2))
            (True, 2)
        """
        everything = (*self.ranked, *(o for o, _ in self.excluded))
        if limit is None or len(everything) <= limit:
            return everything
        return self.with_each_kind(everything[:limit])

    def with_each_kind(self, head: Sequence[Option], *,
                       allowed_only: bool = False) -> tuple[Option, ...]:
        """``head`` and, for each kind of option missing there, the best of that kind
        (allowed ones first, then the excluded ones; ``allowed_only``: allowed ones
        only)."""
        pool = self.ranked if allowed_only else (*self.ranked,
                                                 *(o for o, _ in self.excluded))
        out = list(head)
        kinds = {_kind(o) for o in out}
        for o in pool:
            if _kind(o) not in kinds:
                kinds.add(_kind(o))
                out.append(o)
        return tuple(out)

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form."""
        return json_safe({
            "rule": self.rule, "budget_usd": self.budget_usd, "risk": self.risk,
            "chosen": self.chosen.to_dict(),
            "runner_up": self.runner_up.to_dict() if self.runner_up else None,
            "ranked": [o.option_id for o in self.ranked],
            "excluded": [{"option_id": o.option_id, "label": o.label, "reasons": list(r)}
                         for o, r in self.excluded],
            "target_met": self.target_met, "notes": list(self.notes),
        })


def _kind(o: Option) -> str:
    """What an option does, for :meth:`BudgetPlan.shown`: ``relabel``, ``strategy``
    (labels chosen by an acquisition strategy) or ``labels`` (stay, add, switch)."""
    return "relabel" if o.relabel else "strategy" if "@" in o.option_id else "labels"


def _exclusions(o: Option, *, budget: float | None, g: GuardrailSpec,
                limits: dict[str, float], deadline: float | None,
                max_p_loss: float | None = None) -> list[str]:
    if o.is_baseline:
        return []
    why = []
    if max_p_loss is not None and o.p_net_positive is not None \
            and 1.0 - o.p_net_positive > max_p_loss:
        why.append(f"loses money with P = {1.0 - o.p_net_positive:.2f}, over "
                   f"decision.max_p_loss {max_p_loss:g}")
    if budget is not None and o.cost_usd > budget:
        why.append(f"costs {usd(o.cost_usd)}, over the budget of {usd(budget)}")
    if o.delta_n > limits.get("deadline", math.inf):
        why.append(f"needs {o.labeling_days:.0f} days of labeling; the deadline is "
                   f"{deadline:g} days")
    if o.delta_n > limits.get("pool", math.inf):
        why.append(f"needs {o.delta_n:,} new labels; only {limits['pool']:,.0f} unlabeled "
                   "items are available (costs.unlabeled_items)")
    if g.min_gain_per_1k is not None and o.gain_per_1k is not None \
            and o.gain_per_1k < g.min_gain_per_1k:
        why.append(f"gains {o.gain_per_1k:.4g} per 1,000 labels, under the guardrail "
                   f"{g.min_gain_per_1k:g}")
    if g.max_predict_ms_per_1k is not None and o.predict_ms_per_1k is not None \
            and o.predict_ms_per_1k > g.max_predict_ms_per_1k:
        why.append(f"{o.model} predicts 1,000 rows in {o.predict_ms_per_1k:,.3g} ms, over "
                   f"the guardrail {g.max_predict_ms_per_1k:g} ms")
    if g.max_model_mb is not None and o.model_mb is not None and o.model_mb > g.max_model_mb:
        why.append(f"{o.model} takes {o.model_mb:,.3g} MB, over the guardrail "
                   f"{g.max_model_mb:g} MB")
    if g.min_p_gain is not None and o.p_gain_positive < g.min_p_gain:
        shown = f"{o.p_gain_positive:.2f}"
        if float(shown) >= g.min_p_gain:  # 0.5465 would read "0.55, under 0.55"
            shown = f"{o.p_gain_positive:.4f}"
        why.append(f"P(gain > 0) = {shown}, under the guardrail {g.min_p_gain:g}")
    return why


def plan_budget(
    options: OptionSet,
    *,
    rule: str | None = None,
    budget_usd: float | None = None,
    risk: float = 0.1,
    guardrails: GuardrailSpec | None = None,
    max_p_loss: float | None = None,
) -> BudgetPlan:
    """Choose the best option under a budget, by expected net value or a risk rule.

    Args:
        options: the evaluated options (:func:`~dataroi.decide.evaluate_options`).
        rule: ``expected_net``, ``quantile10`` or ``target`` (default: ``expected_net``
            when gains are valued in money, else ``target`` if a target was given).
        budget_usd: the money available (None: unlimited).
        risk: ε, the acceptable probability of missing the target (rule ``target``).
        guardrails: minimum gain per 1,000 labels, maximum budget, minimum P(gain > 0).
        max_p_loss: the largest allowed probability that an option which spends money
            loses it (None: no limit).

    Raises:
        UsageError: the rule needs what is missing (``costs.value_per_point_usd`` for
            ``expected_net``; a target for ``target``), or a bad rule name.
    """
    g = guardrails or GuardrailSpec()
    if rule is None:
        if options.has_money:
            rule = "expected_net"
        elif options.target is not None:
            rule = "target"
        else:
            raise UsageError("costs.value_per_point_usd is needed to rank options by net "
                             "value; add it to the spec's costs: section, or give a target "
                             "(decision.target / --target)")
    if rule not in RULES:
        raise UsageError(f"unknown rule '{rule}'; use one of {', '.join(RULES)}")
    if rule == "expected_net" and not options.has_money:
        raise UsageError("rule expected_net needs costs.value_per_point_usd; add it to the "
                         "spec's costs: section")
    if rule == "target" and options.target is None:
        raise UsageError("rule target needs a target (decision.target or --target)")
    if not 0 < risk < 1:
        raise UsageError(f"risk must be in (0, 1), got {risk}")
    budgets = [b for b in (budget_usd, g.max_budget_usd) if b is not None]
    budget = min(budgets) if budgets else None
    if budget is not None and budget < 0:
        raise UsageError(f"budget must be >= 0, got {budget}")
    spec = options.costs
    limits = CostModel(spec).label_limits()
    allowed: list[Option] = []
    excluded: list[tuple[Option, tuple[str, ...]]] = []
    for o in options.options:
        why = _exclusions(o, budget=budget, g=g, limits=limits, deadline=spec.deadline_days,
                          max_p_loss=max_p_loss)
        if why:
            excluded.append((o, tuple(why)))
        else:
            allowed.append(o)
    notes: list[str] = []
    for name, value in (("max_predict_ms_per_1k", "predict_ms_per_1k"),
                        ("max_model_mb", "model_mb")):
        if getattr(g, name) is not None and any(
                getattr(o, value) is None for o in options.options if not o.is_baseline):
            notes.append(f"the guardrail {name} is not checked for the models whose trials "
                         f"did not record it ({value} unknown)")
    target_met = None
    if rule == "expected_net":
        ranked = _ties_to_cheaper(options, sorted(
            allowed, key=lambda o: (-(o.net_mean_usd or 0.0), o.cost_usd)))
    elif rule == "quantile10":
        def key(o: Option) -> tuple[float, float]:
            v = o.net_q10_usd if options.has_money else o.gain_q10
            return (-(v if v is not None else 0.0), o.cost_usd)
        ranked = sorted(allowed, key=key)
    else:
        need = 1.0 - risk
        ok = [o for o in allowed if (o.p_target or 0.0) >= need]
        rest = [o for o in allowed if (o.p_target or 0.0) < need]
        ranked = sorted(ok, key=lambda o: (o.cost_usd, -(o.p_target or 0.0))) + sorted(
            rest, key=lambda o: (-(o.p_target or 0.0), o.cost_usd))
        target_met = bool(ok)
        if not ok:
            best = ranked[0]
            notes.append(
                f"no allowed option reaches {options.metric} {options.reach} "
                f"{options.target:g} with "
                f"probability ≥ {need:.2f}; the most likely one ({best.label}) has "
                f"P = {best.p_target:.2f}")
    return BudgetPlan(rule=rule, budget_usd=budget, risk=float(risk), chosen=ranked[0],
                      runner_up=ranked[1] if len(ranked) > 1 else None,
                      ranked=tuple(ranked), excluded=tuple(excluded),
                      target_met=target_met, notes=tuple(notes))


def _ties_to_cheaper(options: OptionSet, ranked: list[Option]) -> list[Option]:
    """Put the cheapest option tied with the best first: tied when the expected net
    values differ by less than two Monte-Carlo standard errors of their difference
    (options of one model share their draws, so the error of their difference is small;
    options of two models have independent draws)."""
    if len(ranked) < 2 or not options.draws:
        return ranked
    best = ranked[0]
    try:
        best_net = options.net_draws(best.option_id)
    except (KeyError, UsageError):
        return ranked
    tied = [best]
    for o in ranked[1:]:
        if o.cost_usd >= best.cost_usd or o.option_id not in options.draws:
            continue
        diff = best_net - options.net_draws(o.option_id)
        se = float(np.std(diff, ddof=1) / math.sqrt(len(diff)))
        if float(diff.mean()) <= 2.0 * se:
            tied.append(o)
    cheapest = min(tied, key=lambda o: o.cost_usd)
    if cheapest is best:
        return ranked
    return [cheapest, *(o for o in ranked if o is not cheapest)]


def scenarios(option: Option, *, has_money: bool) -> list[dict[str, Any]]:
    """Pessimistic / base / optimistic outcomes of an option (10 / 50 / 90 % draws).

    Example:
        >>> o = Option("a+0", "keep a", "a", 0, 100, False, 0.0, 0.0, 0.0, 0.0, None, 0.9,
        ...            0.0, -0.01, -0.005, 0.0, 0.0, 0.0, 0.005, 0.01, 0.5, None)
        >>> [s["scenario"] for s in scenarios(o, has_money=False)]
        ['pessimistic', 'base', 'optimistic']
    """
    out = []
    for name, gq, nq in (("pessimistic", option.gain_q10, option.net_q10_usd),
                         ("base", option.gain_q50, option.net_q50_usd),
                         ("optimistic", option.gain_q90, option.net_q90_usd)):
        row: dict[str, Any] = {"scenario": name, "gain": gq}
        if has_money:
            row["net_usd"] = nq
        out.append(row)
    return out
