"""dataroi.decide._staged: label N again, re-measure, then decide — when it is worth it."""

from __future__ import annotations

import pytest

from dataroi.decide import decide, evaluate_options, plan_budget, plan_staged
from dataroi.spec import CostSpec
from dataroi.value import fit_study_curves
from tests.decide_tests.helpers import ADD, costs, rising


def test_the_staged_plan_values_what_re_measuring_would_tell(curves):
    opts = evaluate_options(curves, costs(), current_model="lr", add=ADD, grid=())
    plan = plan_budget(opts)
    st = plan_staged(curves, opts, plan)
    assert st is not None and st.first_labels == curves.current_n
    assert st.first_cost_usd == pytest.approx(0.5 * 512)
    assert st.value_now_usd == pytest.approx(plan.chosen.net_mean_usd)
    assert st.evoi_usd == pytest.approx(st.value_staged_usd - st.value_now_usd)
    # deciding after re-measuring can always do what deciding now would have done with
    # at least N labels: its value is at least the best such option's, less MC error
    at_least_n = [o for o in plan.ranked if o.delta_n >= curves.current_n]
    best_late = max(o.net_mean_usd for o in at_least_n)
    assert st.value_staged_usd >= best_late - 4 * st.evoi_se_usd - 50
    assert sum(p for _, p in st.then) == pytest.approx(1.0)
    assert all(("stop there" in w) or ("more" in w) for w, _ in st.then)
    assert 0.0 <= st.p_net_positive <= 1.0
    text = st.sentence()
    assert text.startswith("Staged plan (label +512 now, re-measure at 1,024, then decide)")
    assert "P(net > 0)" in text


def test_a_dear_labeling_round_makes_deciding_now_better(curves):
    dear = costs(fixed_cost_per_round_usd=50_000)
    rec = decide(curves, dear, current_model="lr", add=ADD, grid=())
    assert rec.staged is not None and not rec.staged.recommended
    assert rec.first_step == rec.chosen.label
    cheap = decide(curves, costs(), current_model="lr", add=ADD, grid=())
    if cheap.staged.recommended:
        assert cheap.first_step == cheap.staged.label != cheap.chosen.label
        assert cheap.text().startswith(f"Recommendation: {cheap.staged.label}")
        assert any(r.startswith("Staged plan") for r in cheap.reasons)
    d = cheap.to_dict()
    assert d["staged"]["first_labels"] == 512 and d["first_step"] == cheap.first_step


def test_no_staged_plan_without_what_it_needs(curves):
    fitted = fit_study_curves(rising(), metric="accuracy", gain_model=None)
    opts = evaluate_options(fitted, costs(), current_model="lr", add=ADD, grid=())
    assert plan_staged(fitted, opts, plan_budget(opts)) is None  # no learned forecast
    no_money = CostSpec(price_per_label_usd=0.5)
    opts = evaluate_options(curves, no_money, current_model="lr", add=ADD, grid=(),
                            target=0.9)
    assert plan_staged(curves, opts, plan_budget(opts, rule="target")) is None
    # no option adds today's N labels: nothing to stage
    opts = evaluate_options(curves, costs(), current_model="lr", add=[100, 3000], grid=())
    assert plan_staged(curves, opts, plan_budget(opts)) is None


def test_max_p_loss_holds_back_a_staged_plan_that_may_lose_money(curves):
    opts = evaluate_options(curves, costs(), current_model="lr", add=ADD, grid=())
    plan = plan_budget(opts)
    free = plan_staged(curves, opts, plan)
    assert free is not None and free.max_p_loss is None and not free.too_risky
    p_loss = 1.0 - free.p_net_positive
    # a limit just below the plan's probability of losing money holds it back
    tight = plan_staged(curves, opts, plan, max_p_loss=max(p_loss - 0.01, 0.0))
    assert tight.too_risky and not tight.recommended
    assert tight.evoi_usd == pytest.approx(free.evoi_usd)  # the same plan, only not taken
    if tight.evoi_usd > 0:
        assert "above decision.max_p_loss" in tight.sentence()
    assert tight.to_dict()["max_p_loss"] == pytest.approx(max(p_loss - 0.01, 0.0))
    # a limit above it changes nothing
    loose = plan_staged(curves, opts, plan, max_p_loss=min(p_loss + 0.01, 1.0))
    assert loose.recommended == free.recommended and not loose.too_risky
    # decide() holds the staged plan to decision.max_p_loss too
    rec = decide(curves, costs(), current_model="lr", add=ADD, grid=(),
                 max_p_loss=max(p_loss - 0.01, 0.0))
    assert rec.staged is not None and rec.staged.max_p_loss is not None
    assert not rec.staged.recommended


def test_correlated_models_make_re_measuring_worth_less(curves):
    """Two models whose errors at 2x move together: what 2N shows picks a winner less
    often than independent draws would (the winner's curse of many draws)."""
    import dataclasses

    def with_corr(rho: float):
        fc = {m: dataclasses.replace(f, model_corr=rho) for m, f in curves.forecasts.items()}
        return dataclasses.replace(curves, forecasts=fc)

    values = {}
    for rho in (0.0, 0.95):
        c = with_corr(rho)
        opts = evaluate_options(c, costs(), current_model="lr", add=ADD, grid=())
        values[rho] = plan_staged(c, opts, plan_budget(opts))
    assert values[0.95].value_now_usd == pytest.approx(values[0.0].value_now_usd)
    assert values[0.95].value_staged_usd <= values[0.0].value_staged_usd \
        + 3 * values[0.0].evoi_se_usd


def test_the_shipped_gain_model_knows_how_models_err_together(curves):
    from dataroi.curves._gain import load_gain_model

    model = load_gain_model()
    assert 0.0 < model.model_corr < 1.0
    assert {f.model_corr for f in curves.forecasts.values()} == {model.model_corr}
