"""dataroi.decide: options, budget planner, guardrails, LOC rounds, recommendation."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

import dataroi
from dataroi._money import usd
from dataroi.decide import (
    evaluate_options,
    plan_budget,
    plan_rounds,
    registration_status,
    solve_rounds,
)
from dataroi.decide._recommend import _backtest_reason, decide
from dataroi.exceptions import UsageError
from dataroi.ledger import open_ledger
from dataroi.spec import CostSpec, DecisionSpec, GuardrailSpec
from dataroi.value import backtest_study, fit_study_curves
from tests.value_tests.helpers import (
    breaking_frame,
    crossing_frame,
    iris_two_models,
    run_study,
    write,
)

COSTS = CostSpec(price_per_label_usd=0.5, labels_per_item=2, adjudication_rate=0.1,
                 fixed_cost_per_round_usd=100, compute_price_per_hour_usd=3.0, retrains=12,
                 engineering_cost_usd=500, value_per_point_usd=400)


@pytest.fixture(scope="module")
def cross():
    # the designed crossing continues as its fitted power laws say (the learned forecast,
    # trained on real curves, doubts a 4/sqrt(n) curve this steep; tested on its own)
    return fit_study_curves(crossing_frame(), metric="accuracy", random_state=0,
                            gain_model=None)


def test_options_cover_keep_switch_and_both(cross):
    opts = evaluate_options(cross, COSTS, current_model="simple", target=0.86)
    kinds = {(o.switch, o.delta_n > 0) for o in opts.options}
    assert kinds == {(False, False), (False, True), (True, False), (True, True)}
    base = opts.get("simple+0")
    assert base.is_baseline and base.cost_usd == 0 and base.gain_mean == 0
    sw = opts.get("deep+0")
    assert sw.engineering_usd == 500 and sw.labeling_usd == 0
    lab = opts.get("simple+400")
    assert lab.labeling_usd == pytest.approx(400 * 0.5 * 2.1 + 100)
    for o in opts.options:
        assert o.cost_usd == pytest.approx(o.labeling_usd + o.compute_usd + o.engineering_usd)
        assert o.cvar05_usd <= o.var05_usd <= o.net_mean_usd + 1e-9 or o.is_baseline
        assert o.gain_q05 <= o.gain_q50 <= o.gain_q95
        assert 0 <= o.p_target <= 1
    # deep is worse today: switching without labels loses
    assert sw.gain_mean < 0 and sw.p_gain_positive < 0.5


def test_options_over_the_budget_are_excluded_with_the_reason(cross):
    opts = evaluate_options(cross, COSTS, current_model="simple")
    plan = plan_budget(opts, budget_usd=600)
    assert plan.chosen.cost_usd <= 600
    assert all(o.cost_usd <= 600 for o in plan.ranked)
    over = [(o, why) for o, why in plan.excluded if o.cost_usd > 600]
    assert over and all(any("over the budget of $600" in w for w in why) for _, why in over)


def test_guardrails_and_deadline_exclude_with_reasons(cross):
    costs = CostSpec(price_per_label_usd=0.1, value_per_point_usd=100, labels_per_day=100,
                     deadline_days=5)
    opts = evaluate_options(cross, costs, current_model="simple")
    plan = plan_budget(opts, guardrails=GuardrailSpec(min_p_gain=0.99, min_gain_per_1k=0.05))
    reasons = [w for _, why in plan.excluded for w in why]
    assert any("deadline is 5 days" in w for w in reasons)
    assert any("P(gain > 0)" in w and "guardrail" in w for w in reasons)
    assert any("per 1,000 labels" in w for w in reasons)
    assert all(o.delta_n <= 500 for o in plan.ranked)
    tight = plan_budget(opts, guardrails=GuardrailSpec(max_budget_usd=0))
    assert tight.chosen.is_baseline and tight.budget_usd == 0


def test_a_guardrail_miss_never_reads_as_equal_after_rounding(cross):
    import dataclasses

    from dataroi.decide._planner import _exclusions

    opts = evaluate_options(cross, COSTS, current_model="simple")
    o = dataclasses.replace(next(x for x in opts.options if not x.is_baseline),
                            p_gain_positive=0.5465)
    [why] = _exclusions(o, budget=None, g=GuardrailSpec(min_p_gain=0.55), limits={},
                        deadline=None)
    assert why == "P(gain > 0) = 0.5465, under the guardrail 0.55"
    o = dataclasses.replace(o, p_gain_positive=0.31)
    assert _exclusions(o, budget=None, g=GuardrailSpec(min_p_gain=0.55), limits={},
                       deadline=None) == ["P(gain > 0) = 0.31, under the guardrail 0.55"]


def test_the_unlabeled_pool_limits_options_and_rounds(cross):
    n0 = cross.current_n
    pool = CostSpec(price_per_label_usd=0.1, value_per_point_usd=100, unlabeled_items=n0)
    opts = evaluate_options(cross, pool, current_model="simple")
    plan = plan_budget(opts)
    assert all(o.delta_n <= n0 for o in plan.ranked)
    beyond = [(o, why) for o, why in plan.excluded if o.delta_n > n0]
    assert beyond and all(
        any(f"only {n0:,} unlabeled items are available (costs.unlabeled_items)" in w
            for w in why) for _, why in beyond)
    # rounds and the one-shot plan stop at today + the pool, and say why
    free = plan_rounds(cross, 0.86, COSTS, model="deep", risk=0.1)
    small = plan_rounds(cross, 0.86, CostSpec(price_per_label_usd=0.5, unlabeled_items=n0),
                        model="deep", risk=0.1)
    assert free.max_total == 64 * n0 and "64× today's labels" in free.limited_by
    assert small.max_total == 2 * n0 and "unlabeled pool" in small.limited_by
    assert max(small.multi["n_totals"]) <= 2 * n0 and small.one_shot["n_total"] <= 2 * n0
    assert small.p_infeasible >= free.p_infeasible
    # the deadline is the tighter limit here
    both = CostSpec(price_per_label_usd=0.5, unlabeled_items=10 * n0, labels_per_day=n0,
                    deadline_days=3)
    rp = plan_rounds(cross, 0.86, both, model="deep", risk=0.1)
    assert rp.max_total == 4 * n0 and "deadline" in rp.limited_by
    assert rp.to_dict()["max_total"] == 4 * n0
    # a limit whose ratio to today does not round-trip in floating point (n0 + 27 labels)
    # is still reachable: the capped one-shot plan collects every label up to it
    tight = plan_rounds(cross, 0.99, CostSpec(price_per_label_usd=0.5, labels_per_day=27,
                                              deadline_days=1), model="simple", risk=0.1)
    assert tight.max_total == n0 + 27 and tight.one_shot["capped"]
    assert tight.one_shot["added"] == 27


def test_an_empty_pool_leaves_only_switching_and_says_so(cross):
    none = CostSpec(price_per_label_usd=0.5, value_per_point_usd=400, unlabeled_items=0)
    plan = plan_budget(evaluate_options(cross, none, current_model="simple"))
    assert all(o.delta_n == 0 for o in plan.ranked)
    rp = plan_rounds(cross, 0.86, none, model="simple", risk=0.1)
    assert rp.max_total == cross.current_n and rp.p_infeasible == 1.0
    assert rp.one_shot["capped"] and rp.one_shot["added"] == 0 and not rp.feasible
    rec = decide(cross, none, DecisionSpec(target=0.86, current_model="simple"))
    text = " ".join(rec.reasons)
    assert "already reaches" not in text
    assert "unlabeled pool (costs.unlabeled_items)" in text


def test_zero_value_per_point_keeps_the_model(cross):
    opts = evaluate_options(cross, CostSpec(price_per_label_usd=0.5, value_per_point_usd=0),
                            current_model="simple")
    plan = plan_budget(opts)
    assert plan.chosen.is_baseline
    assert all(o.net_mean_usd == pytest.approx(-o.cost_usd) for o in opts.options)


def test_risk_averse_rule_and_expected_net_rule(cross):
    opts = evaluate_options(cross, COSTS, current_model="simple")
    exp = plan_budget(opts, rule="expected_net")
    q10 = plan_budget(opts, rule="quantile10")
    assert exp.chosen.net_mean_usd == max(o.net_mean_usd for o in exp.ranked)
    assert q10.chosen.net_q10_usd == max(o.net_q10_usd for o in q10.ranked)


def test_missing_cost_fields_name_the_field(cross):
    with pytest.raises(UsageError, match=r"costs\.price_per_label_usd"):
        evaluate_options(cross, CostSpec(value_per_point_usd=10))
    opts = evaluate_options(cross, CostSpec(price_per_label_usd=1.0))
    with pytest.raises(UsageError, match=r"costs\.value_per_point_usd"):
        plan_budget(opts)
    with pytest.raises(UsageError, match=r"costs\.value_per_point_usd"):
        plan_budget(opts, rule="expected_net")
    with pytest.raises(UsageError, match=r"costs\.price_per_label_usd"):
        plan_rounds(cross, 0.9, CostSpec())
    # without money, a target rule still works
    opts_t = evaluate_options(cross, CostSpec(price_per_label_usd=1.0), target=0.85)
    assert plan_budget(opts_t).rule == "target"


def test_target_already_reached(cross):
    opts = evaluate_options(cross, COSTS, current_model="simple", target=0.5)
    plan = plan_budget(opts, rule="target", risk=0.1)
    assert plan.chosen.is_baseline and plan.target_met
    rp = plan_rounds(cross, 0.5, COSTS, model="simple")
    assert rp.one_shot["added"] == 0 and rp.multi["added"] == [0, 0, 0]
    assert rp.multi["expected_cost_usd"] == 0 and rp.p_infeasible == 0
    assert any("already reached" in n for n in opts.notes)


def test_target_never_reachable(cross):
    opts = evaluate_options(cross, COSTS, current_model="simple", target=1.2)
    plan = plan_budget(opts, rule="target", risk=0.1)
    assert plan.target_met is False and "no allowed option reaches" in plan.notes[0]
    rp = plan_rounds(cross, 1.2, COSTS, model="deep", risk=0.1)
    assert rp.p_infeasible == 1.0 and not rp.feasible
    assert rp.one_shot["capped"] and rp.one_shot["failure_prob"] == 1.0
    assert rp.one_shot["n_total"] == 64 * cross.current_n


def test_loc_rounds_beat_one_shot_and_respect_risk(cross):
    # a risk above the share of draws that never reach the target: a feasible plan
    rp = plan_rounds(cross, 0.86, COSTS, model="deep", risk=0.2, rounds=3)
    assert rp.p_infeasible < 0.2
    assert rp.penalty_source == "calibrated to risk"
    assert rp.feasible and rp.multi["failure_prob"] <= 0.2 + 1e-12
    assert rp.one_shot["failure_prob"] <= 0.2 + 1e-12
    assert rp.multi["expected_cost_usd"] <= rp.one_shot["expected_cost_usd"] + 1e-6
    assert rp.multi["added"] == sorted(rp.multi["added"])
    given = plan_rounds(cross, 0.86, CostSpec(price_per_label_usd=0.5, failure_penalty_usd=1),
                        model="deep")
    assert given.penalty_source == "given" and given.multi["added"][-1] == 0  # not worth it


def test_a_risk_below_the_never_share_is_reported_infeasible(cross):
    for risk in (0.01, 0.1, 0.3):
        rp = plan_rounds(cross, 0.86, COSTS, model="deep", risk=risk, rounds=3)
        # no plan can fail less often than the share of draws that never get there
        assert rp.feasible == (rp.p_infeasible <= risk)
        assert rp.multi["failure_prob"] >= rp.p_infeasible - 1e-12


def test_rounds_dp_matches_brute_force():
    rng = np.random.default_rng(3)
    q = np.array([100.0, 150, 220, 330, 500, 750])
    surv = np.sort(rng.random(6))[::-1]
    surv[0] = 1.0
    for rounds, penalty in ((1, 50.0), (2, 400.0), (3, 2000.0)):
        idx, best = solve_rounds(q, surv, cost_per_item=1.0, fixed_per_round=20.0,
                                 penalty=penalty, rounds=rounds)
        brute = math.inf
        for path in itertools.combinations_with_replacement(range(6), rounds):
            prev, cost = 0, 0.0
            for i in path:
                cost += ((q[i] - q[prev]) + (20.0 if i > prev else 0.0)) * surv[prev]
                prev = i
            brute = min(brute, cost + penalty * surv[prev])
        assert best == pytest.approx(brute)
        assert list(idx) == sorted(idx)


def test_decide_is_deterministic_and_explains(cross):
    # max_p_loss off: every option that spends here may lose money with P > 0.35 (the
    # default), and this test reads the runner-up
    a = decide(cross, COSTS, DecisionSpec(budget_usd=2000, target=0.86,
                                          current_model="simple", max_p_loss=1.0))
    b = decide(cross, COSTS, DecisionSpec(budget_usd=2000, target=0.86,
                                          current_model="simple", max_p_loss=1.0))
    assert a.to_dict() == b.to_dict()
    assert a.runner_up is not None and a.chosen.option_id != a.runner_up.option_id
    assert a.chosen.cost_usd <= 2000
    text = a.text()
    assert "Rule: the largest expected net value within a budget of $2,000" in text
    assert "better beyond" in text  # the crossing, in words
    assert set(a.hashes) >= {"trials", "curves", "costs", "rule"}
    assert len(a.to_dict()["scenarios"]["chosen"]) == 3


@pytest.mark.slow
def test_preregistration_and_recommendation_in_the_ledger(tmp_path):
    spec = iris_two_models(
        costs={"price_per_label_usd": 0.2, "value_per_point_usd": 50,
               "engineering_cost_usd": 30},
        decision={"target": 0.9, "risk": 0.2, "budget_usd": 100, "rule": "expected_net"})
    path = write(tmp_path / "s", spec)
    study = dataroi.load_study(path)
    assert registration_status(None, study=study.spec.name, decision=study.spec.decision,
                               metric="accuracy").status == "not_registered"
    reg = study.register()
    assert reg.status == "before_results" and reg.first_result_at is None
    assert study.register().registered_at == reg.registered_at  # once
    study = run_study(tmp_path / "s", spec)
    with study.analyze() as analysis:
        st = analysis.registration()
        rec = analysis.recommend(save=True)
    assert st.status == "before_results" and st.registered_at < st.first_result_at
    assert rec.registration["status"] == "before_results"
    assert rec.chosen.cost_usd <= 100
    assert rec.hashes["spec"] == study.spec.spec_hash
    assert rec.hashes["rule"] == st.rule_hash
    with open_ledger(study.ledger_url, create=False) as ledger:
        docs = ledger.list_documents("recommendation")
        rules = ledger.list_documents("decision_rule")
    assert len(docs) == 1 and len(rules) == 1
    assert docs[0]["payload"]["chosen"]["option_id"] == rec.chosen.option_id
    assert docs[0]["payload"]["hashes"]["data_fingerprint"] == study.prepare().fingerprint
    # the study's own backtest (5 sizes: one hidden) is a reason and is saved
    assert rec.backtest is not None and rec.backtest["cut_n"] == 80
    assert any(r.startswith("Backtest: refitted on sizes up to 80") for r in rec.reasons)
    assert docs[0]["payload"]["backtest"]["held"] == [120]
    # money reads "-$104", never "$-104", in the table and the reasons
    rows = dict(rec.table_rows())
    c = rec.chosen
    assert rows["value-at-risk 5 % / CVaR"] == f"{usd(c.var05_usd)} / {usd(c.cvar05_usd)}"
    assert "$-" not in rec.text() + repr(rows)
    assert not st.costs_changed and "COSTS" not in st.message
    # the value of a point changes after the results: the same rule, other costs
    spec["costs"]["value_per_point_usd"] = 5000
    pricier = dataroi.load_study(write(tmp_path / "s", spec))
    with pricier.analyze() as analysis:
        cost_st = analysis.registration()
        assert analysis.recommend().registration["costs_changed"] is True
    assert cost_st.status == "before_results" and cost_st.costs_changed
    assert "the COSTS changed since the registration" in cost_st.message
    spec["costs"]["value_per_point_usd"] = 50
    # the rule changes after the results: registering it says so
    spec["decision"]["target"] = 0.95
    changed = dataroi.load_study(write(tmp_path / "s", spec))
    assert changed.spec.spec_hash == study.spec.spec_hash   # trials are reused
    after = changed.register()
    assert after.status == "after_results" and after.changed
    assert "CHANGED" in after.message and "AFTER results" in after.message
    # an override on the command line is not the registered rule
    with changed.analyze() as analysis:
        rec2 = analysis.recommend(budget_usd=10)
    assert rec2.registration["status"] == "not_registered"
    assert rec2.chosen.cost_usd <= 10


def test_recommend_without_trials_is_a_usage_error(tmp_path):
    study = dataroi.load_study(write(tmp_path / "empty", iris_two_models()))
    with pytest.raises(UsageError, match="run the study first"):
        study.analyze().recommend()


def test_backtest_reason_names_a_model_the_decision_rests_on():
    bt = backtest_study(breaking_frame(break_at=800), hold=2)
    bad = _backtest_reason(bt, {"breaks", "steady"})
    assert "the curve of breaks missed the measured accuracy outside its 90 %" in bad
    assert "breaks at n=800" in bad and "breaks at n=1,600" in bad
    assert "trust it less" in bad
    # a miss of a model the decision does not rest on is counted, not blamed
    other = _backtest_reason(bt, {"steady"})
    assert "missed" not in other and "for 2 of 4 points" in other


def test_a_target_met_only_on_the_mean_says_so(cross):
    # simple's mean today is 0.8103: 0.809 is met surely, 0.8099 only on the mean
    rule = {"risk": 0.2, "rule": "target", "current_model": "deep"}
    sure = decide(cross, CostSpec(price_per_label_usd=0.1),
                  DecisionSpec(target=0.809, **rule), n_draws=500)
    assert dict(sure.table_rows())["target"] == "already reached by simple today"
    close = decide(cross, CostSpec(price_per_label_usd=0.1),
                   DecisionSpec(target=0.8099, **rule), n_draws=500)
    p = close.chosen.p_target
    assert close.chosen.model == "simple" and p < 0.995
    assert dict(close.table_rows())["target"] == (
        f"already reached by simple today (its mean; P = {p:.2f} with the test-set and "
        "repeat noise)")
    assert any(f"(its mean does; with the test-set and repeat noise, P = {p:.2f})" in r
               for r in close.reasons)


def test_every_option_states_its_probability_of_beating_staying_in_money(cross):
    opts = evaluate_options(cross, COSTS, current_model="simple")
    for o in opts.options:
        if o.is_baseline:
            assert o.p_net_positive is None
            continue
        net = opts.net_draws(o.option_id)
        assert o.p_net_positive == pytest.approx(float((net > 0).mean()))
        assert np.mean(net) == pytest.approx(o.net_mean_usd)
    no_money = evaluate_options(cross, CostSpec(price_per_label_usd=0.5),
                                current_model="simple")
    assert all(o.p_net_positive is None for o in no_money.options)
    with pytest.raises(UsageError, match="value_per_point_usd"):
        no_money.net_draws("simple+400")


def test_max_p_loss_excludes_gambles_and_says_why(cross):
    opts = evaluate_options(cross, COSTS, current_model="simple")
    free = plan_budget(opts)
    careful = plan_budget(opts, max_p_loss=0.05)
    for o, why in careful.excluded:
        assert 1 - o.p_net_positive > 0.05
        assert any("loses money with P =" in w and "decision.max_p_loss 0.05" in w
                   for w in why)
    allowed = [o for o in careful.ranked if not o.is_baseline]
    assert all(1 - o.p_net_positive <= 0.05 for o in allowed)
    assert len(careful.excluded) > len(free.excluded)
    # the rule reads it from the decision section too (and it is part of the rule's hash)
    rec = decide(cross, COSTS, DecisionSpec(max_p_loss=0.05), current_model="simple")
    assert rec.chosen.option_id == careful.chosen.option_id
    assert rec.hashes["rule"] != decide(cross, COSTS, current_model="simple").hashes["rule"]


def test_ties_within_monte_carlo_error_go_to_the_cheaper_option(cross):
    opts = evaluate_options(cross, COSTS, current_model="simple")
    plan = plan_budget(opts)
    best_net = max(o.net_mean_usd for o in plan.ranked)
    c = plan.chosen
    if c.net_mean_usd < best_net:  # a cheaper tie won: its shortfall is within MC error
        top = max(plan.ranked, key=lambda o: o.net_mean_usd)
        diff = opts.net_draws(top.option_id) - opts.net_draws(c.option_id)
        assert c.cost_usd < top.cost_usd
        assert diff.mean() <= 2 * diff.std(ddof=1) / math.sqrt(len(diff))
    # two options with the same draws and costs a dollar apart: the cheaper one wins
    import dataclasses

    a = opts.get("deep+400")
    b = dataclasses.replace(a, option_id="deep+400b", cost_usd=a.cost_usd - 1,
                            net_mean_usd=a.net_mean_usd - 1e-6)
    twin = dataclasses.replace(opts, options=(a, b),
                               draws={"deep+400": opts.draws["deep+400"],
                                      "deep+400b": opts.draws["deep+400"]})
    assert plan_budget(twin).chosen.option_id == "deep+400b"


def test_max_p_loss_is_validated_in_the_spec():
    from dataroi.exceptions import SpecError
    from dataroi.spec import parse_decision

    assert parse_decision({"max_p_loss": 0.1}).max_p_loss == 0.1
    with pytest.raises(SpecError, match="decision.max_p_loss"):
        parse_decision({"max_p_loss": 1.5})


def test_a_cost_spec_built_in_python_is_checked_like_the_yaml_one(cross):
    from dataroi.exceptions import SpecError

    with pytest.raises(SpecError, match="costs.price_per_label_usd: must be a number >= 0"):
        decide(cross, CostSpec(price_per_label_usd=-1, value_per_point_usd=400))
    with pytest.raises(SpecError, match="adjudication_rate"):
        decide(cross, CostSpec(price_per_label_usd=1, adjudication_rate=1.5))
    with pytest.raises(SpecError, match="did you mean 'deep'"):
        decide(cross, CostSpec(price_per_label_usd=1, value_per_point_usd=400,
                               engineering_cost_usd={"deap": 100}))
    with pytest.raises(SpecError, match="value_per_point_usd"):
        decide(cross, CostSpec(price_per_label_usd=1, value_per_point_usd=math.inf))


def test_staying_when_every_other_option_is_excluded_says_so(cross):
    """A budget of $0 and dear engineering leave only staying: the recommendation says
    the others were excluded and what the best of them expects, not 'there is no other
    option' (seen on flights at 261,876 labels: 20 of 21 excluded)."""
    dear = CostSpec(price_per_label_usd=0.5, engineering_cost_usd=50_000,
                    value_per_point_usd=400)
    rec = decide(cross, dear, DecisionSpec(current_model="simple", max_p_loss=0.01))
    assert rec.chosen.is_baseline and rec.runner_up is None
    n = len(rec.plan.excluded)
    assert n >= 2
    best = max((o for o, _ in rec.plan.excluded), key=lambda o: o.net_mean_usd)
    assert rec.summary.startswith(
        f"Keep simple and buy no labels: every other option was excluded ({n} of {n + 1}; "
        f"see the reasons below); the best of them, {best.label}, expects "
        f"{usd(best.net_mean_usd)}, losing money with P = {1 - best.p_net_positive:.2f}.")
    assert rec.reason.startswith("every other option was excluded")


def test_staying_is_said_as_no_change_not_as_a_gain_with_no_chance(cross):
    """The reasons for 'keep, no labels' say the metric stays where it is; they gave the
    baseline's zero gain an interval and 'P(gain > 0) = 0.00' (seen on gss_abortion),
    which reads as a sure loss."""
    dear = CostSpec(price_per_label_usd=0.5, engineering_cost_usd=50_000,
                    value_per_point_usd=400)
    rec = decide(cross, dear, DecisionSpec(current_model="simple", max_p_loss=0.01))
    assert rec.chosen.is_baseline
    line = next(r for r in rec.reasons if r.startswith(rec.chosen.label))
    today = rec.options.today
    assert line == (f"{rec.chosen.label}: costs $0; nothing changes, "
                    f"{rec.options.metric} stays {today:.4f}.")


@pytest.mark.parametrize("limit", ["pool", "deadline"])
def test_labeling_up_to_the_cap_is_an_option_of_its_own(cross, limit):
    """A pool (or a deadline) that caps added labels between the grid's multiples makes
    the cap an option: 'label the whole pool' is priced, not only the grid's sizes around
    it (gss_abortion: 28,020 unlabeled rows; +14,718 priced, +29,435 excluded)."""
    n0 = cross.current_n
    cap = int(2.7 * n0)
    limits = ({"unlabeled_items": cap} if limit == "pool"
              else {"labels_per_day": cap / 3, "deadline_days": 3})
    costs = CostSpec(price_per_label_usd=0.1, value_per_point_usd=100, **limits)
    opts = evaluate_options(cross, costs, current_model="simple")
    at_cap = opts.get(f"simple+{cap}")
    assert at_cap.delta_n == cap and at_cap.labeling_usd == pytest.approx(0.1 * cap)
    plan = plan_budget(opts)
    assert any(o.option_id == f"simple+{cap}" for o in plan.ranked)
    # a cap beyond the grid adds nothing: the grid's options are all within it
    def deltas(**more):
        spec = CostSpec(price_per_label_usd=0.1, value_per_point_usd=100, **more)
        return {o.delta_n for o in evaluate_options(cross, spec, current_model="simple").options}

    assert deltas(unlabeled_items=100 * n0) == deltas() and cap not in deltas()
