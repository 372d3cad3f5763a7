"""dataroi.decide._staged: label N again, re-measure, then decide — when it is worth it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dataroi.decide import decide, evaluate_options, plan_budget, plan_staged
from dataroi.spec import CostSpec
from dataroi.value import fit_study_curves


def _rising() -> pd.DataFrame:
    """Two models still rising at 512 labels (accuracy), five repeats."""
    rng = np.random.default_rng(7)
    rows = []
    for m, top, k in (("lr", 0.88, 1.2), ("gb", 0.93, 2.2)):
        for n in (64, 128, 256, 512):
            for r in range(5):
                v = top - k / n ** 0.5 + rng.normal(0, 0.003)
                rows.append({"model": m, "n_train": n, "repeat": r, "metric": "accuracy",
                             "value": v, "train_value": min(1.0, v + 0.08)})
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def curves():
    return fit_study_curves(_rising(), metric="accuracy", random_state=0)


ADD = [512, 1536, 3584, 7680]


def _costs(**kw):
    return CostSpec(price_per_label_usd=0.5, value_per_point_usd=2000,
                    engineering_cost_usd=500, **kw)


def test_the_staged_plan_values_what_re_measuring_would_tell(curves):
    opts = evaluate_options(curves, _costs(), current_model="lr", add=ADD, grid=())
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
    dear = _costs(fixed_cost_per_round_usd=50_000)
    rec = decide(curves, dear, current_model="lr", add=ADD, grid=())
    assert rec.staged is not None and not rec.staged.recommended
    assert rec.first_step == rec.chosen.label
    cheap = decide(curves, _costs(), current_model="lr", add=ADD, grid=())
    if cheap.staged.recommended:
        assert cheap.first_step == cheap.staged.label != cheap.chosen.label
        assert cheap.text().startswith(f"Recommendation: {cheap.staged.label}")
        assert any(r.startswith("Staged plan") for r in cheap.reasons)
    d = cheap.to_dict()
    assert d["staged"]["first_labels"] == 512 and d["first_step"] == cheap.first_step


def test_no_staged_plan_without_what_it_needs(curves):
    fitted = fit_study_curves(_rising(), metric="accuracy", gain_model=None)
    opts = evaluate_options(fitted, _costs(), current_model="lr", add=ADD, grid=())
    assert plan_staged(fitted, opts, plan_budget(opts)) is None  # no learned forecast
    no_money = CostSpec(price_per_label_usd=0.5)
    opts = evaluate_options(curves, no_money, current_model="lr", add=ADD, grid=(),
                            target=0.9)
    assert plan_staged(curves, opts, plan_budget(opts, rule="target")) is None
    # no option adds today's N labels: nothing to stage
    opts = evaluate_options(curves, _costs(), current_model="lr", add=[100, 3000], grid=())
    assert plan_staged(curves, opts, plan_budget(opts)) is None
