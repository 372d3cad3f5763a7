"""CLI commands ``dataroi value``, ``dataroi plan`` and ``dataroi register``.

Thin layers over :class:`dataroi.analysis.Analysis` (a study, or ``--trials`` with
``--costs``): compute through it, then print; ``--json`` prints the result as JSON on
standard output.

Example:
    >>> import argparse
    >>> sub = argparse.ArgumentParser().add_subparsers()
    >>> sorted(add_commands(sub))
    ['plan', 'register', 'value']
"""

from __future__ import annotations

import argparse
import math
from typing import Any

from dataroi.cli._format import interval, num, small
from dataroi.cli._options import (
    add_draws,
    add_json,
    add_ledger,
    add_metric,
    add_study_source,
    open_analysis,
)
from dataroi.cli._output import print_json, result_console
from dataroi.exceptions import DataError, UsageError

__all__ = ["DEMO_DECISION", "add_commands", "print_plan", "print_recommendation"]

#: Costs and a pre-registered decision rule appended to the demo study spec.
DEMO_DECISION = """\
costs:                        # what labels, compute and model changes cost
  price_per_label_usd: 0.40   # one annotator, one image
  labels_per_item: 2          # two annotators per image ...
  adjudication_rate: 0.1      # ... and a third on 10 % of them
  fixed_cost_per_round_usd: 150
  compute_price_per_hour_usd: 0.10
  retrains: 12
  engineering_cost_usd: 1500  # switching the production model
  value_per_point_usd: 400    # one accuracy point (0.01), per quarter
  periods: 4
decision:                     # pre-registered: dataroi register demo.yaml
  target: 0.985
  risk: 0.1
  budget_usd: 5000
  rule: expected_net
  current_model: logreg
  guardrails: {min_p_gain: 0.6}
"""


def _ints(text: str | None) -> list[int]:
    if not text:
        return []
    out = []
    for part in text.split(","):
        part = part.strip().replace("_", "")
        if not part:
            continue
        try:
            v = int(float(part[:-1]) * 1000) if part.lower().endswith("k") else int(part)
        except ValueError:
            raise UsageError(f"--add takes comma-separated label counts such as "
                             f"1000,5000,20k; got {text!r}") from None
        if v < 1:
            raise UsageError(f"--add values must be >= 1, got {v}")
        out.append(v)
    return out


def add_commands(subparsers: Any) -> dict[str, Any]:
    """Add ``value``, ``plan`` and ``register``; return their handlers by name."""

    def common(sp: argparse.ArgumentParser) -> None:
        add_study_source(sp)
        add_json(sp)
        add_metric(sp)
        add_draws(sp)
        sp.add_argument("--add", help="added labels to consider besides 0.25x..8x today's, "
                        "e.g. 1000,5000,20000")

    s = subparsers.add_parser("value", help="marginal value of labels, labels to target, "
                              "data vs. model, tipping points")
    common(s)
    s.add_argument("--target", type=float, help="target metric value (labels to reach it)")
    s.add_argument("--threshold", type=float,
                   help="tipping point: minimum gain per 1,000 labels (metric units); "
                        "default: the break-even from the spec's costs")
    s.add_argument("--hold", type=int, default=None,
                   help="backtest: hide this many of the largest sizes, refit, and check "
                        "the predictions against them (default: two with six sizes or "
                        "more, else one, as the report; 0: no backtest)")

    s = subparsers.add_parser("plan", help="options, budget planner with risk, multi-round "
                              "plan and a recommendation (saved in the ledger)")
    common(s)
    s.add_argument("--budget", type=float, help="budget in USD")
    s.add_argument("--target", type=float, help="target metric value")
    s.add_argument("--risk", type=float, help="acceptable probability of missing the target")
    s.add_argument("--rule", choices=["expected_net", "quantile10", "target"])
    s.add_argument("--current-model", help="the model in use today (default: best today)")
    s.add_argument("--max-p-loss", type=float, metavar="P",
                   help="exclude options that spend money and lose it with a probability "
                        "above P (as decision.max_p_loss)")
    s.add_argument("--all", action="store_true", help="show every option, not the top 12")
    s.add_argument("--strategies", action="store_true",
                   help="also offer labeling by the spec's acquisition strategies "
                   "(stress.acquisition arms)")
    s.add_argument("--noise-rate", type=float, metavar="R",
                   help="the share of today's labels that is wrong (e.g. from `dataroi "
                   "annotations`): adds 'relabel today's items' and 'relabel and label "
                   "+N' options, valued by the effective-sample rule on the current "
                   "model's curve")
    s.add_argument("--rate-after", type=float, metavar="R",
                   help="the share wrong after relabeling (default: a majority of three, "
                   "3R² − 2R³)")
    s.add_argument("--opinions", type=int, default=2,
                   help="extra labels bought per relabeled (and new) item (default 2)")
    s.add_argument("--relabel-cleaner", metavar="MODEL",
                   help="a model of the study trained on relabeled labels (a pilot): "
                   "relabeling is valued by its measured difference instead of the rule")
    s.add_argument("--no-save", action="store_true", help="do not save it in the ledger")
    s.add_argument("--allow-missing-models", action="store_true",
                   help="exit 0 even when a model of the study could not be compared "
                        "(every trial failed); by default such a plan exits 1")

    s = subparsers.add_parser("register", help="pre-register the spec's decision rule "
                              "(hash + timestamp in the ledger), before `dataroi run`")
    s.add_argument("spec")
    add_ledger(s)
    add_json(s)
    return {"value": _cmd_value, "plan": _cmd_plan, "register": _cmd_register}


def _size(mb: float | None) -> str:
    """A model size in KB or MB.

    Example:
        >>> _size(0.00097), _size(3.456), _size(None)
        ('1 KB', '3.5 MB', '–')
    """
    if mb is None or not math.isfinite(mb):
        return "–"
    return f"{mb * 1024:,.0f} KB" if mb < 1 else f"{mb:,.2g} MB" if mb < 10 else \
        f"{mb:,.0f} MB"


def _dollars(v: Any) -> str:
    """Whole dollars with thousands separators, never "-0".

    Example:
        >>> _dollars(-0.4), _dollars(-104.2), _dollars(1500.0), _dollars(None)
        ('0', '-104', '1,500', '–')
    """
    if v is None or not math.isfinite(float(v)):
        return "–"
    return f"{round(float(v)):,}"


def _n(v: Any) -> str:
    if v is None or (isinstance(v, float) and math.isinf(v)):
        return "> 64×"
    return f"{int(v):,}"


def _cmd_value(args: argparse.Namespace) -> int:
    from rich.table import Table

    if args.hold is not None and args.hold < 0:
        raise UsageError(f"--hold must be 0 or more, got {args.hold}")
    add = _ints(args.add)  # every argument checked before anything is read
    with open_analysis(args) as analysis:
        out = _value_results(analysis, args, add)
    limits = out["label_limits"]
    cap = min(limits.values()) if limits else math.inf
    if args.json:
        print_json({k: v.to_dict() if hasattr(v, "to_dict") else v for k, v in out.items()
                    if k != "curves"})
        return 0
    curves, mv, cmp, ltt, tips, bt = (out["curves"], out["marginal_value"],
                                      out["comparison"], out["labels_to_target"],
                                      out["tipping_points"], out["backtest"])
    metric = curves.metric
    con = result_console()
    t = Table(title=f"value of added labels: {metric} gain over each model's score today "
                    f"({curves.current_n:,} labels)")
    for col in ("model", "+labels", "predicted", "gain 5 %", "25 %", "50 %", "75 %", "95 %",
                "P(gain>0)", "per 1k"):
        t.add_column(col, justify="left" if col == "model" else "right")
    for r in mv.rows:
        t.add_row(r["model"], f"{r['delta_n']:,}{'*' if r['delta_n'] > cap else ''}",
                  num(r["predicted"]), num(r["gain_q05"], "+.4f"),
                  num(r["gain_q25"], "+.4f"), num(r["gain_q50"], "+.4f"),
                  num(r["gain_q75"], "+.4f"), num(r["gain_q95"], "+.4f"),
                  num(r["p_gain_positive"], ".2f"), small(r["gain_per_1k"], sign=True))
    con.print(t)
    if any(r["delta_n"] > cap for r in mv.rows):
        con.print(f"  * more labels than can be had: {_limits_text(limits)}; the value of "
                  "labels you could not buy, shown for scale (dataroi plan excludes them)")
    if ltt is not None:
        t = Table(title=f"labels to add to reach {metric} {ltt.reach} {ltt.target:g}")
        for col in ("model", "today", "5 %", "25 %", "median", "75 %", "95 %",
                    "P(never ≤ 64×)"):
            t.add_column(col, justify="left" if col == "model" else "right")
        for r in ltt.rows:
            t.add_row(r["model"], num(r["today"]), _n(r["added_q05"]), _n(r["added_q25"]),
                      _n(r["added_q50"]), _n(r["added_q75"]), _n(r["added_q95"]),
                      num(r["p_never"], ".2f"))
        con.print(t)
    if cmp.pairs:
        t = Table(title=f"data vs. model: paired difference a − b today "
                        f"({int(cmp.level * 100)} % CI: repeats"
                        f"{' + test rows' if curves.test_boot else ''}) and projected")
        beyond = cmp.pairs[0]["projected"][-1]["delta_n"] > cap
        for col in ("a", "b", "today", "CI", f"+8× today{'*' if beyond else ''}: diff",
                    "P(a better)", "crossing"):
            t.add_column(col, justify="left" if col in ("a", "b") else "right")
        for p in cmp.pairs:
            last = p["projected"][-1]
            t.add_row(p["a"], p["b"], num(p["today_diff"], "+.4f"),
                      interval(p["today_ci_low"], p["today_ci_high"], "+.4f"),
                      num(last["diff_mean"], "+.4f"), num(last["p_a_better"], ".2f"),
                      "–" if p["crossing_delta_n"] is None
                      else f"+{int(p['crossing_delta_n']):,}")
        con.print(t)
        for p in cmp.pairs:
            con.print(f"  {p['summary']}")
    gaps = out["train_vs_test"]
    if gaps:
        t = Table(title=f"test vs training score today ({curves.current_n:,} labels)")
        for col in ("model", "test", "training", "gap", "within noise", "curve gate"):
            t.add_column(col, justify="left" if col == "model" else "right")
        for g in gaps:
            t.add_row(g["model"], num(g["test"]), num(g["train"]), num(g["gap"], "+.4f"),
                      "yes" if g["gap_closed"] else "no",
                      "train + test" if g["curve_gate"] == "train" else g["curve_gate"])
        con.print(t)
        con.print("  gap = training − test score, in the improving direction: a large gap "
                  "leaves room that more labels can fill (variance); a small one means a "
                  "better model helps more than more labels (bias). A hint, not a bound "
                  "(docs/decisions.md). Within noise: the gap is under 2 standard errors "
                  "(diagnostic gap_closed). Curve gate \"train + test\": the extrapolation "
                  "weighed its curve families with the training scores too (a gate learned "
                  "on LCDB curves; docs/curves.md).")
    if tips is not None:
        t = Table(title="tipping points: added labels beyond which the marginal gain per "
                        "1,000 labels stays under the threshold")
        for col in ("model", "threshold /1k", "source", "tipping +labels", "gain /1k now"):
            t.add_column(col, justify="left" if col == "model" else "right")
        for r in tips.rows:
            t.add_row(r["model"], small(r["threshold_per_1k"], digits=5), r["source"],
                      "now" if r["tipping_delta_n"] == 0 else _n(r["tipping_delta_n"]),
                      small(r["gain_per_1k_now"], digits=5))
        con.print(t)
    if bt is not None:
        print_backtest(bt, con)
    for note in out["notes"]:
        con.print(f"note: {note}")
    return 0


def _limits_text(limits: dict[str, float]) -> str:
    """The limits on added labels in words (``CostModel.label_limits``).

    Example:
        >>> _limits_text({"pool": 100000.0})
        'the unlabeled pool holds 100,000 (costs.unlabeled_items)'
    """
    words = {"deadline": "the deadline allows {:,.0f} (costs.labels_per_day × deadline_days)",
             "pool": "the unlabeled pool holds {:,.0f} (costs.unlabeled_items)"}
    return ", ".join(words[k].format(v) for k, v in sorted(limits.items()))


def _value_results(analysis: Any, args: argparse.Namespace, add: list[int]
                   ) -> dict[str, Any]:
    """Everything ``dataroi value`` shows, computed through the analysis."""
    ltt = analysis.labels_to_target(args.target)  # checks the target before any fit
    curves = analysis.curves
    tips = analysis.tipping_points(args.threshold)
    notes = list(curves.notes)
    if tips is None:
        notes.append("no tipping points: give --threshold (gain per 1,000 labels), or "
                     "costs.price_per_label_usd and costs.value_per_point_usd in the spec "
                     "for the break-even")
    bt = None
    if args.hold != 0:  # None: as the report and the plan hide them
        try:
            bt = analysis.backtest_with(args.hold)
        except (UsageError, DataError) as exc:
            notes.append(f"no backtest: {exc}")
    limits = _label_limits(analysis)
    if limits:  # the most labels that can be had is a row of its own
        add = sorted({*add, int(min(limits.values()))})
    return {"curves": curves, "marginal_value": analysis.marginal_value(add),
            "comparison": analysis.compare(add), "labels_to_target": ltt,
            "tipping_points": tips, "backtest": bt,
            "train_vs_test": analysis.train_vs_test(), "notes": notes,
            "label_limits": limits}


def _label_limits(analysis: Any) -> dict[str, float]:
    """The spec's limits on added labels (unlabeled pool, deadline); empty without costs."""
    from dataroi.decide import CostModel

    return {} if analysis.costs is None else CostModel(analysis.costs).label_limits()


def print_backtest(bt: Any, console: Any) -> None:
    """Print a backtest (``dataroi.value.backtest_study``) as a table and one sentence."""
    from rich.table import Table

    t = Table(title=f"backtest: curves refitted on sizes up to {bt.cut_n:,}, checked at the "
                    f"hidden sizes ({bt.metric})")
    for col in ("model", "n", "predicted", "90 % interval", "measured", "error", "in 90 %"):
        t.add_column(col, justify="left" if col == "model" else "right")
    for r in bt.rows:
        t.add_row(r["model"], f"{r['n_train']:,}", num(r["predicted"]),
                  interval(r["low90"], r["high90"]), num(r["measured"]),
                  num(r["error"], "+.4f"), "yes" if r["in90"] else "NO")
    console.print(t)
    console.print(f"  {bt.summary()}")


def print_recommendation(rec: Any, console: Any, *, title: str = "recommendation") -> None:
    """Print the recommendation as a short two-column table and its reasons."""
    from rich.table import Table
    from rich.text import Text

    t = Table(title=title, show_header=False)
    t.add_column("what", style="bold")
    t.add_column("value")
    for a, b in rec.table_rows():
        t.add_row(Text(a), Text(b))  # Text: no markup, so "E[cost]" prints as it is
    console.print(t)
    if getattr(rec, "summary", ""):
        console.print(Text(rec.summary, style="bold"))
    for r in rec.reasons:
        console.print(Text(f"  - {r}"))


def _cmd_plan(args: argparse.Namespace) -> int:
    from dataroi.cli._output import log_console

    if args.risk is not None and not 0 < args.risk <= 0.5:
        raise UsageError(f"--risk must be in (0, 0.5] (the acceptable probability of "
                         f"missing the target; as decision.risk), got {args.risk}")
    if args.max_p_loss is not None and not 0 <= args.max_p_loss <= 1:
        raise UsageError(f"--max-p-loss must be in [0, 1] (a probability, as "
                         f"decision.max_p_loss), got {args.max_p_loss}")
    add = _ints(args.add)
    relabel = None
    if args.noise_rate is not None:
        relabel = {"rate_now": args.noise_rate, "rate_after": args.rate_after,
                   "opinions": args.opinions, "cleaner": args.relabel_cleaner}
    elif args.rate_after is not None or args.relabel_cleaner is not None:
        raise UsageError("--rate-after and --relabel-cleaner need --noise-rate (the share "
                         "of today's labels that is wrong)")
    if relabel is not None:  # checked before the study is opened
        if not 0 <= args.noise_rate < 1:
            raise UsageError(f"--noise-rate must be in [0, 1) (the share of today's labels "
                             f"that is wrong), got {args.noise_rate:g}")
        if args.rate_after is not None and not 0 <= args.rate_after <= args.noise_rate:
            raise UsageError(f"--rate-after must be in [0, --noise-rate = "
                             f"{args.noise_rate:g}], got {args.rate_after:g}")
        if args.opinions < 1:
            raise UsageError(f"--opinions must be 1 or more, got {args.opinions}")
    with open_analysis(args) as analysis:
        save = not args.no_save and analysis.context is not None
        rec = analysis.recommend(budget_usd=args.budget, target=args.target,
                                 risk=args.risk, rule=args.rule,
                                 current_model=args.current_model,
                                 max_p_loss=args.max_p_loss, add=add,
                                 strategies=args.strategies, save=save, relabel=relabel)
        where = analysis.context.ledger_url if analysis.context is not None else None
    if args.json:
        print_json(rec.to_dict())
    else:
        print_plan(rec, result_console(), show_all=args.all)
    if save:
        log_console().print(f"saved in the ledger {where} (document kind 'recommendation')")
    if rec.left_out and not args.allow_missing_models:
        log_console().print(
            f"exit 1: {', '.join(rec.left_out)} could not be compared (every trial failed; "
            "see `dataroi status`); the recommendation is among the other models. Fix the "
            "model or pass --allow-missing-models.")
        return 1
    return 0


def print_plan(rec: Any, con: Any, *, show_all: bool = False) -> None:
    """Print the option table, the labeling plans and the recommendation."""
    from rich.table import Table
    from rich.text import Text

    money = rec.options.has_money
    excluded = {o.option_id: why for o, why in rec.plan.excluded}
    # the best relabel (or strategy) option stays in view when it ranks low
    rows = rec.plan.shown(None if show_all else 12)
    from rich import box

    # light borders and unwrapped numbers: one line per option at 140 columns
    t = Table(title=f"options (rule {rec.plan.rule}; gains in {rec.metric} over "
                    f"{rec.current_model} today = {rec.today:.4f})", box=box.SIMPLE_HEAD,
              pad_edge=False)
    cols = ["option", "cost $", "gain 10/50/90 %", "P(gain>0)"]
    if rec.options.target is not None:
        cols.append("P(target)")
    if money:
        cols += ["E[net] $", "P(net>0)", "VaR5 $"]
    serving = any(o.predict_ms_per_1k is not None or o.model_mb is not None for o in rows)
    if serving:
        cols += ["ms/1k rows·size"]
    energy = any(o.energy_kwh is not None for o in rows)
    co2 = any(o.co2_g is not None for o in rows)
    if energy:
        cols += ["kWh" + (" · CO2 g" if co2 else "")]
    cols.append("status")
    for col in cols:
        t.add_column(col, justify="left" if col in ("option", "status") else "right",
                     no_wrap=col not in ("option", "status"),
                     min_width=28 if col == "option" else None)
    for o in rows:
        cells = [o.label, _dollars(o.cost_usd),
                 f"{o.gain_q10:+.4f} {o.gain_q50:+.4f} {o.gain_q90:+.4f}",
                 "–" if o.is_baseline else f"{o.p_gain_positive:.2f}"]
        if rec.options.target is not None:
            cells.append(f"{o.p_target:.2f}")
        if money:
            cells += [_dollars(o.net_mean_usd), num(o.p_net_positive, ".2f"),
                      _dollars(o.var05_usd)]
        if serving:
            cells += [f"{num(o.predict_ms_per_1k, '.3g')}·{_size(o.model_mb)}"]
        if energy:
            cells += [num(o.energy_kwh, '.3g') + (f" · {num(o.co2_g, '.3g')}" if co2 else "")]
        if o.option_id == rec.chosen.option_id:
            status = Text("chosen", style="bold green")
        elif rec.runner_up is not None and o.option_id == rec.runner_up.option_id:
            status = "runner-up"
        elif o.option_id in excluded:
            short = {"budget": "over budget", "deadline": "past deadline",
                     "guardrail": "guardrail", "unlabeled": "beyond the pool",
                     "max_p_loss": "may lose money"}
            status = "excluded: " + ", ".join(
                dict.fromkeys(v for w in excluded[o.option_id] for k, v in short.items()
                              if k in w))
        else:
            status = ""
        t.add_row(*cells, status)
    con.print(t)
    c = rec.chosen
    if c.energy_kwh is not None:  # the table may be too narrow to show its column
        watts = rec.options.costs.watts_per_core
        con.print(f"energy of {c.label}: {num(c.energy_kwh, '.3g')} kWh of training over "
                  f"today's" + (f", {num(c.co2_g, '.3g')} g CO2" if c.co2_g is not None
                                else "")
                  + f" (retrains × predicted CPU seconds × {watts:g} W per core)")
    for o, why in rec.plan.excluded[:5]:
        con.print(f"  excluded {o.label}: {'; '.join(why)}")
    if not show_all and len(rec.plan.ranked) + len(rec.plan.excluded) > 12:
        con.print(f"({len(rec.plan.ranked) + len(rec.plan.excluded) - 12} more options: "
                  "--all)")
    if rec.rounds is not None and rec.rounds.already_reached:
        con.print(f"target {rec.metric} {rec.options.reach} {rec.rounds.target:g}: already "
                  f"reached by {rec.rounds.model} today; no labeling plan needed")
    elif rec.rounds is not None:
        rp = rec.rounds
        t = Table(title=f"reaching {rec.metric} {rec.options.reach} {rp.target:g} with "
                        f"{rp.model} "
                        f"(risk ε = {rp.risk:g}; P(infeasible within {rp.max_total:,} "
                        f"labels) = {rp.p_infeasible:.2f})")
        for col in ("plan", "labels to add", "expected cost $", "P(miss target)"):
            t.add_column(col, justify="left" if col == "plan" else "right")
        one = rp.one_shot
        t.add_row(f"one shot (all labels up to {rp.limited_by})" if one["capped"]
                  else "one shot ((1−ε) quantile)", _n(one["added"]),
                  num(one["expected_cost_usd"], ",.0f"), num(one["failure_prob"], ".3f"))
        penalty = (f"penalty ${rp.penalty_usd:,.0f} given" if rp.penalty_source == "given"
                   else f"penalty ${rp.penalty_usd:,.0f} calibrated to risk" if rp.feasible
                   else "no penalty meets the risk")
        t.add_row(f"{rp.rounds} rounds (LOC, {penalty})",
                  " → ".join(f"+{a:,}" for a in rp.multi["added"]),
                  num(rp.multi["expected_cost_usd"], ",.0f"),
                  num(rp.multi["failure_prob"], ".3f"))
        con.print(t)
        for note in rounds_notes(rp, rec.plan.budget_usd):
            con.print(f"  {note}")
    print_recommendation(rec, con)


def rounds_notes(rp: Any, budget_usd: float | None) -> list[str]:
    """Plain words for what the labeling plans cannot promise (infeasible target, cap,
    budget).

    Example:
        >>> from types import SimpleNamespace as NS
        >>> rp = NS(feasible=False, risk=0.1, p_infeasible=0.4, max_total=6400,
        ...         limited_by="64× today's labels", one_shot={"capped": True,
        ...         "expected_cost_usd": 50.0}, multi={"expected_cost_usd": 20.0})
        >>> rounds_notes(rp, 30.0)[0][:60]
        'no plan reaches the target with risk ≤ 0.1: P(not reached wi'
    """
    out = []
    if not rp.feasible:
        out.append(f"no plan reaches the target with risk ≤ {rp.risk:g}: P(not reached "
                   f"within {rp.max_total:,} labels, {rp.limited_by}) = "
                   f"{rp.p_infeasible:.2f}; the plans shown are the best effort")
    if budget_usd is not None:
        over = [name for name, cost in (("one-shot", rp.one_shot["expected_cost_usd"]),
                                        ("multi-round", rp.multi["expected_cost_usd"]))
                if cost is not None and cost > budget_usd]
        if over:
            out.append(f"the {' and the '.join(over)} plan's expected cost exceeds the "
                       f"budget of ${budget_usd:,.0f}")
    return out


def _cmd_register(args: argparse.Namespace) -> int:
    import dataroi

    study = dataroi.load_study(args.spec, ledger=args.ledger, build_models=False)
    reg = study.register()
    if args.json:
        print_json(reg.to_dict())
    else:
        print(reg.message)
    return 0
