"""The recommendation: the chosen option, the runner-up, the reasons and every input hash.

:func:`decide` works on fitted curves; :func:`recommend` reads a study (trials, the
spec's ``costs:`` and ``decision:`` sections), checks the pre-registration and saves the
recommendation in the ledger (a ``recommendation`` document).

Example:
    >>> import pandas as pd
    >>> from dataroi.spec import CostSpec
    >>> from dataroi.value import fit_study_curves
    >>> rows = [{"model": "a", "n_train": n, "repeat": r, "metric": "accuracy",
    ...          "value": 0.95 - 2.0 / n ** 0.5 + 0.003 * r}
    ...         for n in (25, 50, 100, 200, 400) for r in range(3)]
    >>> curves = fit_study_curves(pd.DataFrame(rows), metric="accuracy")
    >>> rec = decide(curves, CostSpec(price_per_label_usd=0.2, value_per_point_usd=500),
    ...              budget_usd=100)
    >>> rec.chosen.cost_usd <= 100 and len(rec.reasons) >= 2
    True
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from dataroi._json import json_safe
from dataroi._money import usd
from dataroi.decide._calibration import PCalibration, load_p_calibration
from dataroi.decide._costs import CostModel
from dataroi.decide._options import Option, OptionSet, evaluate_options
from dataroi.decide._planner import BudgetPlan, plan_budget, scenarios
from dataroi.decide._rounds import RoundsPlan, plan_rounds
from dataroi.decide._staged import StagedPlan, plan_staged
from dataroi.exceptions import UsageError
from dataroi.spec import CostSpec, DecisionSpec, GuardrailSpec, canonical_hash, parse_costs
from dataroi.value import DEFAULT_GRID, Backtest, StudyCurves, compare_models

if TYPE_CHECKING:
    from dataroi.stress import Relabeling

__all__ = ["Recommendation", "check_target", "decide"]


@dataclass(frozen=True)
class Recommendation:
    """What to do, why, and what it rests on.

    Attributes:
        metric, current_model, current_n, today: the situation today.
        decision: the rule used (a :class:`~dataroi.spec.DecisionSpec`).
        plan: the :class:`~dataroi.decide.BudgetPlan` (chosen, runner-up, excluded).
        options: every evaluated option.
        rounds: the LOC multi-round plan vs. one shot for the chosen model (with a target).
        comparisons: data-vs-model statements in plain words.
        reasons: why, in plain words.
        registration: the pre-registration status (a dict) or None.
        hashes: every input hash (trials, curves, costs, rule; spec and data for a study).
        backtest: the study's own check of its curves
            (:func:`dataroi.value.backtest_study`, as a dict), or None when the study has
            too few sizes.
        staged: label today's ``N`` again, re-measure, then decide
            (:class:`~dataroi.decide.StagedPlan`), or None when it cannot be valued.
        summary: one sentence a manager reads: what to do, the chance it pays off
            (P(net > 0)) and what could make it wrong.
        left_out: models of the study that could not be compared (every trial failed),
            with why; the recommendation is among the others.
    """

    metric: str
    current_model: str
    current_n: int
    today: float
    decision: DecisionSpec
    plan: BudgetPlan
    options: OptionSet
    rounds: RoundsPlan | None
    comparisons: tuple[str, ...]
    reasons: tuple[str, ...]
    registration: dict[str, Any] | None = None
    hashes: dict[str, str] = field(default_factory=dict)
    backtest: dict[str, Any] | None = None
    staged: StagedPlan | None = None
    summary: str = ""
    left_out: Mapping[str, str] = field(default_factory=dict)

    @property
    def headline(self) -> str:
        """One sentence: the first step, why (:attr:`reason`), and the models left out of
        the comparison, if any."""
        out = f"{self.first_step}, because {self.reason}"
        if not self.left_out:
            return out
        return f"{out} (not compared: {', '.join(self.left_out)}, whose trials all failed)"

    @property
    def reason(self) -> str:
        """Why the first step, in a clause: its expected net value and the chance it
        pays (with money), else its expected gain; for staying, what the best change
        would bring."""
        c, r = self.chosen, self.runner_up
        if self.staged is not None and self.staged.recommended:
            return (f"re-measuring first is worth {usd(self.staged.evoi_usd)} more than "
                    "deciding today")
        if c.is_baseline:
            if r is None:
                return _only_option(self.plan)
            if r.net_mean_usd is not None:
                return (f"no change is expected to pay for itself (the best, {r.label}, "
                        f"expects {usd(r.net_mean_usd)})")
            return (f"no change is expected to improve {self.metric} enough (the best, "
                    f"{r.label}, P(gain > 0) = {r.p_gain_positive:.2f})")
        if c.net_mean_usd is not None:
            return (f"it expects {usd(c.net_mean_usd)} net and ends with more money than "
                    f"staying with P = {c.p_net_positive:.2f}")
        return (f"it expects {c.gain_mean:+.4f} {self.metric} (P(gain > 0) = "
                f"{c.p_gain_positive:.2f})")

    @property
    def first_step(self) -> str:
        """What to do now, in words: the staged plan's first round when it beats
        deciding now, else the chosen option."""
        if self.staged is not None and self.staged.recommended:
            return self.staged.label
        return self.chosen.label

    @property
    def chosen(self) -> Option:
        """The recommended option."""
        return self.plan.chosen

    @property
    def runner_up(self) -> Option | None:
        """The second-best allowed option."""
        return self.plan.runner_up

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form (what is saved in the ledger)."""
        has_money = self.options.has_money
        return json_safe({
            "kind": "dataroi.recommendation",
            "metric": self.metric, "current_model": self.current_model,
            "current_n": self.current_n, "today": self.today,
            "decision": self.decision.rule_dict(),
            "chosen": self.chosen.to_dict(),
            "runner_up": self.runner_up.to_dict() if self.runner_up else None,
            "scenarios": {
                "chosen": scenarios(self.chosen, has_money=has_money),
                "runner_up": (scenarios(self.runner_up, has_money=has_money)
                              if self.runner_up else None)},
            "reasons": list(self.reasons),
            "plan": self.plan.to_dict(),
            "rounds": self.rounds.to_dict() if self.rounds else None,
            "comparisons": list(self.comparisons),
            "options": self.options.to_dict(),
            "registration": self.registration,
            "hashes": dict(self.hashes),
            "backtest": self.backtest,
            "staged": self.staged.to_dict() if self.staged else None,
            "first_step": self.first_step,
            "headline": self.headline,
            "summary": self.summary,
            "left_out": dict(self.left_out),
        })

    def table_rows(self) -> list[tuple[str, str]]:
        """A short (what, value) table for the terminal."""
        c, r = self.chosen, self.runner_up
        rows = [("recommendation", self.first_step)]
        if self.left_out:
            rows.append(("not compared", "; ".join(f"{m}: {why}"
                                                   for m, why in self.left_out.items())))
        if self.first_step != c.label:
            rows.append(("deciding now instead", c.label))
        rows += [
                ("rule", self.plan.rule + (f", budget {usd(self.plan.budget_usd)}"
                                           if self.plan.budget_usd is not None else "")),
                ("cost", usd(c.cost_usd)),
                (f"predicted {self.metric} (median)",
                 f"{c.predicted:.4f} (today {self.today:.4f})"),
                ("gain (10 / 50 / 90 %)",
                 f"{c.gain_q10:+.4f} / {c.gain_q50:+.4f} / {c.gain_q90:+.4f}"),
                ("P(gain > 0)", "– (no change)" if c.is_baseline
                 else f"{c.p_gain_positive:.2f}")]
        if c.p_net_positive is not None:
            rows.append(("P(net > 0)", f"{c.p_net_positive:.2f}"))
        if c.net_mean_usd is not None:
            rows.append(("expected net value", usd(c.net_mean_usd)
                         + (f" (ROI {c.roi:.1f}×)" if c.roi is not None else "")))
            rows.append(("value-at-risk 5 % / CVaR", f"{usd(c.var05_usd)} / "
                         f"{usd(c.cvar05_usd)}"))
        if c.p_target is not None:
            rows.append((f"P({self.metric} {self.options.reach} {self.options.target:g})",
                         f"{c.p_target:.2f}"))
        if r is not None:
            rows.append(("runner-up", r.label + (f" (net {usd(r.net_mean_usd)})"
                                                 if r.net_mean_usd is not None else "")))
        if self.rounds is not None and self.rounds.already_reached:
            noisy = c.p_target is not None and c.p_target < 0.995
            rows.append(("target", f"already reached by {self.rounds.model} today"
                         + (f" (its mean; P = {c.p_target:.2f} with the test-set and "
                            "repeat noise)" if noisy else "")))
        elif self.rounds is not None and self.rounds.max_total <= self.rounds.current_n:
            rows.append(("target", f"not reached today and no labels can be added "
                                   f"({self.rounds.limited_by})"))
        elif self.rounds is not None and self.rounds.multi.get("n_totals"):
            rp = self.rounds
            one = rp.one_shot
            rows.append(("multi-round plan",
                         " → ".join(f"+{a:,}" for a in rp.multi["added"])
                         + f": E[cost] {usd(rp.multi['expected_cost_usd'])}, "
                           f"P(miss) {rp.multi['failure_prob']:.2f}"
                         + ("" if rp.feasible else f" (over the risk limit {rp.risk:g}: "
                            "no plan reaches the target)")))
            if one["added"] is not None:
                rows.append(("one-shot plan", f"+{one['added']:,}: cost "
                             f"{usd(one['expected_cost_usd'])}, P(miss) "
                             f"{one['failure_prob']:.2f}"))
        if self.registration:
            rows.append(("pre-registration", self.registration["status"]))
        return rows

    def text(self) -> str:
        """The recommendation and its reasons as plain text."""
        lines = [f"Recommendation: {self.headline}"]
        if self.summary:
            lines.append(f"  {self.summary}")
        lines += [f"  - {r}" for r in self.reasons]
        return "\n".join(lines)


def _against_runner_up(net: float, runner_net: float, cost: float, runner_cost: float,
                       runner_label: str) -> str:
    """The chosen option against the runner-up under the ``expected_net`` rule: by how
    much it beats it, or — when the planner chose it as the cheaper of two options tied
    within the Monte-Carlo error, so that its expected net value is not larger — that it
    ties and costs less.

    Example:
        >>> _against_runner_up(2574.4, 2531.0, 660.0, 820.0, "label +1,600")
        'It beats the runner-up (label +1,600) by $43 of expected net value.'
        >>> print(_against_runner_up(2559.2, 2559.4, 660.0, 820.0, "label +1,600"))
        ... # doctest: +NORMALIZE_WHITESPACE
        It ties with the runner-up (label +1,600) on expected net value ($2,559 and
        $2,559: within the Monte-Carlo error) and costs $160 less.
    """
    if net - runner_net < 0.5 and cost < runner_cost:
        return (f"It ties with the runner-up ({runner_label}) on expected net value "
                f"({usd(net)} and {usd(runner_net)}: within the Monte-Carlo error) and "
                f"costs {usd(runner_cost - cost)} less.")
    return (f"It beats the runner-up ({runner_label}) by {usd(net - runner_net)} of "
            "expected net value.")


def _reasons(opts: OptionSet, plan: BudgetPlan, rounds: RoundsPlan | None,
             comparisons: Sequence[str]) -> list[str]:
    c, r = plan.chosen, plan.runner_up
    m = opts.metric
    out = []
    rule_words = {"expected_net": "the largest expected net value",
                  "quantile10": "the best pessimistic (10 % quantile) outcome",
                  "target": f"the cheapest way to reach {m} {opts.reach} {opts.target} with "
                            f"probability ≥ {1 - plan.risk:.2f}"}[plan.rule]
    budget = (f" within a budget of {usd(plan.budget_usd)}"
              if plan.budget_usd is not None else "")
    out.append(f"Rule: {rule_words}{budget}. Today {opts.current_model} scores "
               f"{opts.today:.4f} {m} with {opts.current_n:,} labels.")
    if c.is_baseline:  # nothing changes: no gain to put an interval or a chance on
        s = f"{c.label}: costs {usd(c.cost_usd)}; nothing changes, {m} stays {opts.today:.4f}"
    else:
        s = (f"{c.label}: costs {usd(c.cost_usd)}; expected gain {c.gain_mean:+.4f} {m} "
             f"(90 % interval {c.gain_q05:+.4f} to {c.gain_q95:+.4f}), P(gain > 0) = "
             f"{c.p_gain_positive:.2f}")
    if c.net_mean_usd is not None and not (c.is_baseline and c.cost_usd == 0):
        s += (f"; expected net value {usd(c.net_mean_usd)}, 5 % value-at-risk "
              f"{usd(c.var05_usd)}")
    if c.p_target is not None:
        s += f"; P(target) = {c.p_target:.2f}"
    out.append(s + ".")
    if c.is_baseline and r is not None:
        if r.net_mean_usd is not None:
            out.append(f"No change is worth its cost: the best alternative ({r.label}) has "
                       f"an expected net value of {usd(r.net_mean_usd)}.")
        else:
            out.append(f"No change is needed or justified under this rule; the best "
                       f"alternative is {r.label}.")
    elif r is not None:
        if plan.rule == "expected_net" and r.net_mean_usd is not None:
            out.append(_against_runner_up(c.net_mean_usd or 0.0, r.net_mean_usd,
                                          c.cost_usd, r.cost_usd, r.label))
        elif plan.rule == "quantile10":
            cv = c.net_q10_usd if c.net_q10_usd is not None else c.gain_q10
            rv = r.net_q10_usd if r.net_q10_usd is not None else r.gain_q10
            out.append(f"Its pessimistic outcome ({cv:,.4g}) beats the runner-up's "
                       f"({r.label}: {rv:,.4g}).")
        elif plan.rule == "target":
            out.append(f"The runner-up ({r.label}) costs {usd(r.cost_usd)} with "
                       f"P(target) = {r.p_target:.2f}.")
    if plan.excluded:
        budget_n = sum(1 for _, why in plan.excluded if any("budget" in w for w in why))
        guard_n = sum(1 for _, why in plan.excluded if any("guardrail" in w for w in why))
        dead_n = sum(1 for _, why in plan.excluded if any("deadline" in w for w in why))
        pool_n = sum(1 for _, why in plan.excluded if any("unlabeled" in w for w in why))
        loss_n = sum(1 for _, why in plan.excluded if any("max_p_loss" in w for w in why))
        out.append(f"{len(plan.excluded)} of {len(opts.options)} options were excluded "
                   f"(over budget: {budget_n}, guardrails: {guard_n}, deadline: {dead_n}"
                   + (f", unlabeled pool: {pool_n}" if pool_n else "")
                   + (f", may lose money (decision.max_p_loss): {loss_n}" if loss_n else "")
                   + ("; an option can have several reasons"
                      if budget_n + guard_n + dead_n + pool_n + loss_n > len(plan.excluded)
                      else "") + ").")
    out += list(plan.notes)
    if rounds is not None:
        one, mu = rounds.one_shot, rounds.multi
        if rounds.p_infeasible >= 0.5:
            out.append(f"{rounds.model} does not reach {rounds.target:g} within "
                       f"{rounds.max_total:,} labels (the limit set by {rounds.limited_by}) "
                       f"in {rounds.p_infeasible:.0%} of the curve draws (P(infeasible)).")
        if rounds.already_reached:
            noisy = (c.model == rounds.model and c.p_target is not None
                     and c.p_target < 0.995)
            out.append(f"{rounds.model} already reaches {rounds.target:g} today"
                       + (f" (its mean does; with the test-set and repeat noise, P = "
                          f"{c.p_target:.2f})" if noisy else "")
                       + ": no labels are needed for the target.")
        elif not rounds.feasible and not any(mu.get("added") or []):
            out.append(f"No labeling plan reaches {rounds.target:g} with {rounds.model} at "
                       f"risk ≤ {rounds.risk:g}: collecting every label up to "
                       f"{rounds.limited_by} (+{one['added']:,}) would cost "
                       f"{usd(one['expected_cost_usd'])} and still miss with P = "
                       f"{one['failure_prob']:.2f}.")
        elif not rounds.feasible and mu.get("n_totals"):
            # the closest plan is not a plan to reach it: said as what it would cost
            out.append(f"No labeling plan reaches {rounds.target:g} with {rounds.model} at "
                       f"risk ≤ {rounds.risk:g}: the closest, {rounds.rounds} rounds up to "
                       + ", ".join(f"+{a:,}" for a in mu["added"])
                       + f", would cost {usd(mu['expected_cost_usd'])} in expectation and "
                         f"still miss with P = {mu['failure_prob']:.2f}.")
        elif mu.get("n_totals"):
            one_txt = (f"one shot of +{one['added']:,} labels costs "
                       f"{usd(one['expected_cost_usd'])} and misses with P = "
                       f"{one['failure_prob']:.2f}" if one["added"] is not None else
                       "a one-shot plan cannot reach the target with that risk")
            out.append(f"To reach {rounds.target:g} with {rounds.model}: label in "
                       f"{rounds.rounds} rounds up to "
                       + ", ".join(f"+{a:,}" for a in mu["added"])
                       + f" (stop when reached): expected cost "
                         f"{usd(mu['expected_cost_usd'])}, P(miss) = "
                         f"{mu['failure_prob']:.2f}; {one_txt}.")
    out += list(comparisons)
    out += [f"Note: {n}" for n in opts.notes]
    return out


def _only_option(plan: BudgetPlan) -> str:
    """Why staying is the only choice left, in a clause: no other option, or every other
    one excluded (and the best of those, by expected net value, with its chance to lose).

    Example:
        >>> from types import SimpleNamespace
        >>> _only_option(SimpleNamespace(ranked=(), excluded=()))
        'there is no other option'
    """
    if not plan.excluded:
        return "there is no other option"
    n = len(plan.excluded)
    priced = [o for o, _ in plan.excluded if o.net_mean_usd is not None]
    out = (f"every other option was excluded ({n} of {n + len(plan.ranked)}"
           if n > 1 else f"the other option was excluded ({n} of {n + len(plan.ranked)}")
    out += "; see the reasons below)"
    if priced:
        best = max(priced, key=lambda o: o.net_mean_usd)  # type: ignore[arg-type, return-value]
        p_loss = (f", losing money with P = {1 - best.p_net_positive:.2f}"
                  if best.p_net_positive is not None else "")
        out += f"; the best of them, {best.label}, expects {usd(best.net_mean_usd)}{p_loss}"
    return out


def summary_sentence(opts: OptionSet, plan: BudgetPlan, staged: StagedPlan | None,
                     curves: StudyCurves) -> str:
    """One sentence a manager reads: what to do, the chance it pays off and what could
    make it wrong ("" without money: then the reasons say it).

    Example:
        >>> import pandas as pd
        >>> from dataroi.spec import CostSpec
        >>> from dataroi.value import fit_study_curves
        >>> rows = [{"model": "a", "n_train": n, "repeat": r, "metric": "accuracy",
        ...          "value": 0.9 - 1.5 / n ** 0.5 + 0.002 * r}
        ...         for n in (64, 128, 256, 512) for r in range(3)]
        >>> curves = fit_study_curves(pd.DataFrame(rows), metric="accuracy")
        >>> rec = decide(curves, CostSpec(price_per_label_usd=50, value_per_point_usd=10))
        >>> rec.summary.startswith("Keep a and buy no labels")
        True
    """
    c, r = plan.chosen, plan.runner_up
    if not opts.has_money:
        return ""
    m = opts.metric
    value_per_unit = CostModel(opts.costs).value_usd(1.0)
    if staged is not None and staged.recommended:
        return (f"Label {staged.first_labels:,} more items now ({usd(staged.first_cost_usd)}),"
                f" re-measure, then decide: worth {usd(staged.evoi_usd)} more than "
                f"deciding today, and it ends with more money than staying with P = "
                f"{staged.p_net_positive:.2f}; it could be wrong if the curves flatten right "
                f"after today's size, which would make the first round "
                f"({usd(staged.first_cost_usd)}) a loss.")
    if c.is_baseline:
        if r is None or r.net_mean_usd is None:
            return f"Keep {c.model} and buy no labels: {_only_option(plan)}."
        return (f"Keep {c.model} and buy no labels: no change is expected to pay for "
                f"itself; the best one ({r.label}) would end with more money than staying "
                f"with P = {r.p_net_positive:.2f} and expects {usd(r.net_mean_usd)}.")
    breakeven = c.cost_usd / value_per_unit if value_per_unit else float("nan")
    if c.delta_n > 0:
        why = (f"it loses money if {c.model} ends less than {breakeven:+.4f} {m} above "
               f"{opts.current_model} today at {c.n_total:,} labels (the forecast's median "
               f"is {c.gain_q50:+.4f}, its 5 % quantile {c.gain_q05:+.4f})")
        if c.model in curves.forecasts:
            why += (", as when a curve flattens sooner than the similar curves dataroi "
                    "learned from did")
    else:
        why = (f"it loses money if {c.model}'s real lead over {opts.current_model} is "
               f"under {breakeven:+.4f} {m} (measured {c.gain_mean:+.4f}, 5 % quantile "
               f"{c.gain_q05:+.4f})")
    if c.switch and c.delta_n > 0:
        lead = curves.observed_today(c.model) - curves.observed_today(opts.current_model)
        why += (f", or if {c.model}'s lead today ({curves.sign * lead:+.4f}, over "
                f"{len(curves.paired_today(c.model, opts.current_model))} repeats) is "
                "noise")
    return (f"{c.label[0].upper() + c.label[1:]}: expected net value {usd(c.net_mean_usd)}, "
            f"and it ends with more money than staying with P = {c.p_net_positive:.2f}; "
            f"{why}.")


def _calibrated(opts: OptionSet, cal: PCalibration) -> OptionSet:
    """``opts`` with the P(net > 0) of every option that buys labels or switches
    calibrated (as they are without an ``option`` map; relabel options keep the draws':
    the corpus cannot check them, docs/decisions.md)."""
    if "option" not in cal.maps or not any(o.p_net_positive is not None
                                           for o in opts.options):
        return opts
    note = ("P(net > 0) of each option that buys labels or switches is calibrated: how "
            "often such choices ended with more money on the curve corpus "
            "(docs/decisions.md)")
    return dataclasses.replace(opts, options=tuple(
        o if o.p_net_positive is None or o.relabel else
        dataclasses.replace(o, p_net_positive=cal.apply("option", o.p_net_positive))
        for o in opts.options), notes=(*opts.notes, note))


def decide(
    curves: StudyCurves,
    costs: CostSpec | None = None,
    decision: DecisionSpec | None = None,
    *,
    budget_usd: float | None = None,
    target: float | None = None,
    risk: float | None = None,
    rule: str | None = None,
    current_model: str | None = None,
    max_p_loss: float | None = None,
    add: Sequence[int] | None = None,
    grid: Sequence[float] = DEFAULT_GRID,
    n_draws: int = 2000,
    strategies: StudyCurves | None = None,
    backtest: Backtest | None = None,
    p_calibration: PCalibration | None = None,
    relabel: Relabeling | None = None,
) -> Recommendation:
    """Evaluate every option, plan under the budget and rule, and explain the choice.

    Keyword arguments override the fields of ``decision``.

    Args:
        curves: fitted curves (:func:`dataroi.value.fit_study_curves`).
        costs: the cost spec.
        decision: the decision rule (default: an empty one).
        budget_usd, target, risk, rule, current_model, max_p_loss, add: overrides of
            ``decision``.
        grid: multiples of today's labels considered.
        n_draws: joint draws per model.
        strategies: curves of acquisition arms; adds "label by <strategy>" options (see
            :func:`dataroi.decide.evaluate_options`).
        backtest: the study's backtest (:func:`dataroi.value.backtest_study`), stated as
            a reason (naming the chosen or current model if it missed) and kept.
        p_calibration: the calibration of the stated P(net > 0) learned on the curve
            corpus (default: the shipped one, :func:`~dataroi.decide.load_p_calibration`;
            ``PCalibration.off()``: the model's probabilities as they are).
        relabel: relabeling today's items as options beside the others (see
            :func:`dataroi.decide.evaluate_options`).

    Returns:
        A :class:`Recommendation` (its ``hashes`` hold the trials, curves, costs and rule).
    """
    d = decision or DecisionSpec()
    over = {k: v for k, v in {"budget_usd": budget_usd, "target": target, "risk": risk,
                              "rule": rule, "current_model": current_model,
                              "max_p_loss": max_p_loss}.items()
            if v is not None}
    if add:
        over["add"] = tuple(sorted(set(d.add) | {int(a) for a in add}))
    d = dataclasses.replace(d, **over)
    if d.metric is not None and d.metric != curves.metric:
        raise UsageError(f"decision.metric is '{d.metric}' but the curves are of "
                         f"'{curves.metric}'")
    if d.target is not None:
        check_target(curves, d.target)
    # a CostSpec built in Python is checked like the YAML one (and its model names)
    costs = parse_costs(costs, models=curves.models) if costs is not None else CostSpec()
    opts = evaluate_options(curves, costs, current_model=d.current_model, add=d.add,
                            grid=grid, target=d.target, n_draws=n_draws,
                            strategies=strategies, relabel=relabel)
    cal = p_calibration if p_calibration is not None else load_p_calibration()
    opts = _calibrated(opts, cal)
    plan = plan_budget(opts, rule=d.rule, budget_usd=d.budget_usd, risk=d.risk,
                       guardrails=d.guardrails or GuardrailSpec(),
                       max_p_loss=d.max_p_loss if d.max_p_loss < 1.0 else None)
    rounds = None
    if d.target is not None and costs.price_per_label_usd is not None:
        rounds = plan_rounds(curves, d.target, costs, model=plan.chosen.model,
                             current_model=opts.current_model, rounds=d.rounds, risk=d.risk,
                             n_draws=n_draws)
    comparisons = []
    if len(curves.models) > 1:
        # crossings only within the labels there are (the unlabeled pool, when given)
        cmp = compare_models(curves, n_draws=n_draws,
                             max_factor=CostModel(costs).horizon_factor(curves.current_n))
        comparisons = [p["summary"] for p in cmp.pairs
                       if opts.current_model in (p["a"], p["b"])]
    reasons = _reasons(opts, plan, rounds, comparisons)
    staged = plan_staged(curves, opts, plan, n_outer=n_draws,
                         max_p_loss=d.max_p_loss if d.max_p_loss < 1.0 else None,
                         calibration=cal)
    if staged is not None and (staged.recommended or not plan.chosen.is_baseline):
        reasons.insert(2, staged.sentence())
    if backtest is not None:
        reasons.append(_backtest_reason(backtest, {plan.chosen.model, opts.current_model}))
    hashes = {
        "trials": curves.input_hash,
        "curves": canonical_hash({m: curves.fits[m].to_dict() for m in curves.models}
                                 | ({"gain_model": curves.gain_model}
                                    if curves.gain_model else {})
                                 | ({"p_calibration": cal.digest} if cal.digest else {})),
        "costs": canonical_hash(costs.to_dict()),
        "rule": canonical_hash(dataclasses.replace(d, metric=d.metric or curves.metric)
                               .rule_dict()),
    }
    return Recommendation(metric=curves.metric, current_model=opts.current_model,
                          current_n=curves.current_n, today=opts.today, decision=d,
                          plan=plan, options=opts, rounds=rounds,
                          comparisons=tuple(comparisons), reasons=tuple(reasons),
                          hashes=hashes,
                          backtest=backtest.to_dict() if backtest is not None else None,
                          staged=staged,
                          summary=summary_sentence(opts, plan, staged, curves))


def check_target(curves: StudyCurves, target: float) -> None:
    """Refuse a target beyond the metric's best possible value (e.g. accuracy 92).

    Example:
        >>> from dataroi.value import StudyCurves
        >>> c = StudyCurves(metric="accuracy", higher_is_better=True, current_n=100,
        ...                 models=("a",), fits={}, cost_fits={}, today={"a": {0: 0.8}},
        ...                 bounds={"a": (0.5, 1.0)})
        >>> check_target(c, 92)
        Traceback (most recent call last):
        ...
        dataroi.exceptions.UsageError: target 92 is beyond the best possible accuracy (1): ...
    """
    if not math.isfinite(target):
        raise UsageError(f"target must be a finite number, got {target}")
    best = [b[1] if curves.higher_is_better else b[0] for b in curves.bounds.values()]
    best = [v for v in best if math.isfinite(v)]
    if best:
        limit = max(best) if curves.higher_is_better else min(best)
        if curves.sign * (target - limit) > 0:
            raise UsageError(
                f"target {target:g} is beyond the best possible {curves.metric} ({limit:g}): "
                f"give it on the metric's own scale (e.g. 0.92, not 92)")


def _backtest_reason(bt: Backtest, models: set[str]) -> str:
    """One reason about the backtest, naming a model the decision rests on if it missed.

    Example:
        >>> from dataroi.value import Backtest
        >>> row = {"model": "svm", "n_train": 800, "in90": False, "in50": False,
        ...        "predicted": 0.9, "measured": 0.8, "error": 0.1}
        >>> _backtest_reason(Backtest("accuracy", True, 400, (800,), (row,)), {"svm"})[:60]
        'Backtest: refitted on sizes up to 400, the curve of svm miss'
    """
    missed = sorted({r["model"] for r in bt.rows if not r["in90"] and r["model"] in models})
    in90, m = bt.covered(0.9)
    if missed:
        where = "; ".join(f"{r['model']} at n={r['n_train']:,}: predicted {r['predicted']:.4f}, "
                          f"measured {r['measured']:.4f}"
                          for r in bt.rows if r["model"] in missed and not r["in90"])
        return (f"Backtest: refitted on sizes up to {bt.cut_n:,}, the curve of "
                f"{' and '.join(missed)} missed the measured {bt.metric} outside its 90 % "
                f"interval ({where}): this recommendation rests on an extrapolation that "
                "did not hold on this study's own data; add sizes or repeats, or trust it "
                "less.")
    return (f"Backtest: refitted on sizes up to {bt.cut_n:,}, the curves predicted the hidden "
            f"sizes ({', '.join(f'{n:,}' for n in bt.held)}) within their 90 % intervals "
            f"for {in90} of {m} points (mean absolute error {bt.mean_abs_error:.4f} "
            f"{bt.metric}).")
