"""Relabeling as options of the decision (issue #26): :class:`dataroi.stress.Relabeling`'s
gain draws and the options :func:`dataroi.decide.evaluate_options` makes of them, on real
measured trials — the noise arms of the curve corpus (``flights``, two classes, logistic
regression: the clean arm and symmetric noise at 5 and 20 %, five paired repeats, sizes
64-512)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import dataroi
from dataroi._money import usd
from dataroi.decide import CostModel, evaluate_options, plan_budget
from dataroi.exceptions import UsageError
from dataroi.report._markdown import md_escape
from dataroi.spec import CostSpec, DecisionSpec, VariantSpec
from dataroi.stress import Relabeling, effective_fraction, noise_arms_check, relabel_vs_new
from dataroi.value import fit_study_curves

NOISE = Path(__file__).resolve().parents[2] / "benchmarks" / "corpus" / "noise_curves.parquet"
N0 = 512
NOW, AFTER, MID = "logreg[noise=0.2]", "logreg", "logreg[noise=0.05]"


@pytest.fixture(scope="module")
def trials() -> pd.DataFrame:
    f = pd.read_parquet(NOISE)
    f = f[(f["dataset"].astype(str) == "flights") & (f["learner"].astype(str) == "logreg")
          & (f["metric"].astype(str) == "accuracy") & (f["n_train"] <= N0)
          & f["arm"].astype(str).isin(["clean", "noise=0.05", "noise=0.2"])]
    arm = f["arm"].astype(str)
    model = np.where(arm == "clean", "logreg", "logreg[" + arm + "]")
    return pd.DataFrame({"model": model, "n_train": f["n_train"].to_numpy(),
                         "repeat": f["repeat"].to_numpy(), "metric": "accuracy",
                         "value": f["value"].to_numpy(),
                         "fit_seconds": f["fit_seconds"].to_numpy()})


@pytest.fixture(scope="module")
def curves(trials: pd.DataFrame):
    return fit_study_curves(trials, metric="accuracy", random_state=0)


COSTS = CostSpec(price_per_label_usd=0.1, value_per_point_usd=2000.0)


def test_bad_relabelings_are_refused_with_what_to_give() -> None:
    with pytest.raises(UsageError, match="rate_now must be in"):
        Relabeling(NOW, rate_now=1.2, n_classes=2)
    with pytest.raises(UsageError, match=r"rate_after \(0.3\) must be in \[0, rate_now"):
        Relabeling(NOW, rate_now=0.2, rate_after=0.3, n_classes=2)
    with pytest.raises(UsageError, match="opinions must be a whole number"):
        Relabeling(NOW, rate_now=0.2, opinions=0, n_classes=2)
    with pytest.raises(UsageError, match="needs the number of classes"):
        Relabeling(NOW, rate_now=0.2)
    with pytest.raises(UsageError, match="leaves no signal with 2 classes"):
        Relabeling(NOW, rate_now=0.5, n_classes=2)
    with pytest.raises(UsageError, match="rate_now must be a number"):
        Relabeling(NOW, rate_now=float("nan"), n_classes=2)
    with pytest.raises(UsageError, match="a majority of three helps only below 50 %"):
        Relabeling(NOW, rate_now=0.6, n_classes=10)
    # the default rate after: a majority of three
    assert Relabeling(NOW, rate_now=0.2, n_classes=2).rate_after == pytest.approx(0.104)


def test_the_cleaner_arm_values_relabeling_by_its_measured_paired_gap(curves) -> None:
    rl = Relabeling(NOW, rate_now=0.2, rate_after=0.0, cleaner=AFTER)
    alone, both = rl.gain_draws(curves, [N0, 3 * N0], n_draws=400)
    gap = curves.paired_today(AFTER, NOW)
    assert len(gap) == 5 and gap.mean() > 0.02          # 20 % noise costs flights points
    assert alone.mean() == pytest.approx(gap.mean(), abs=0.003)
    # relabeling plus new labels: that gap plus the clean arm's own learned gain
    own = curves.gain_draws(AFTER, [N0, 3 * N0], 400)
    np.testing.assert_allclose(both, alone[:, None] + own)
    assert rl.method == "the cleaner arm"


def test_the_rule_values_relabeling_as_more_effective_labels(curves) -> None:
    rl = Relabeling(NOW, rate_now=0.2, rate_after=0.05, n_classes=2)
    m = effective_fraction(0.05, 2) / effective_fraction(0.2, 2)
    assert rl.multiplier == pytest.approx(m) and m == pytest.approx(2.25)
    alone, both = rl.gain_draws(curves, [N0], n_draws=400)
    # the noisy arm's own curve at N·m, and at (N + ΔN)·m, from one draw of the curve
    ref = curves.gain_draws(NOW, [N0 * (m - 1), 2 * N0 * m - N0], 400)
    np.testing.assert_allclose(alone, ref[:, 0])
    np.testing.assert_allclose(both[:, 0], ref[:, 1])
    assert alone.mean() > 0 and both.mean() > alone.mean()
    same, _ = Relabeling(NOW, rate_now=0.2, rate_after=0.2, n_classes=2).gain_draws(
        curves, [N0], n_draws=50)
    assert np.all(same == 0.0)  # labels no better: nothing gained


def test_options_price_relabeling_and_keep_one_baseline(curves) -> None:
    rl = Relabeling(NOW, rate_now=0.2, rate_after=0.0, cleaner=AFTER)
    opts = evaluate_options(curves, COSTS, current_model=NOW, models=[NOW], add=[N0, 3 * N0],
                            grid=(), n_draws=400, relabel=rl)
    ids = [o.option_id for o in opts.options]
    assert ids == [f"{NOW}+0", f"{NOW}+512", f"{NOW}+1536", f"{NOW}+0@relabel",
                   f"{NOW}+512@relabel", f"{NOW}+1536@relabel"]
    base = [o for o in opts.options if o.is_baseline]
    assert [o.option_id for o in base] == [f"{NOW}+0"]
    cm = CostModel(COSTS)
    for o in opts.options:
        if o.relabel:  # two more opinions on every item, today's and the new ones
            assert o.cost_usd == pytest.approx(0.1 * o.delta_n + 2 * 0.1 * (N0 + o.delta_n))
            assert o.cost_usd == pytest.approx(cm.labeling_usd(o.delta_n)
                                               + cm.relabeling_usd(N0 + o.delta_n, 2))
            assert o.label.startswith(f"keep {NOW}, relabel 512")
            assert o.p_net_positive is not None
    # per 1,000 labels: what the new labels add beyond relabeling, not relabeling's gain
    alone = opts.get(f"{NOW}+0@relabel")
    both = opts.get(f"{NOW}+1536@relabel")
    assert alone.gain_per_1k is None
    assert both.gain_per_1k == pytest.approx(
        (both.gain_mean - alone.gain_mean) / 1536 * 1000, rel=1e-6)
    assert "relabel logreg[noise=0.2]'s 512 items (2 more opinions each): noise 20.0% → 0.0%" \
        " (as measured on logreg)" in opts.notes
    # 20 % noise on flights, labels at $0.10 and a point worth $2,000: relabeling pays, and
    # the default rule (the largest expected net within max_p_loss) takes it
    plan = plan_budget(opts, max_p_loss=DecisionSpec().max_p_loss)
    assert plan.chosen.relabel and plan.chosen.p_net_positive > 0.9


def test_the_rule_offers_relabeling_to_every_candidate(curves) -> None:
    rl = Relabeling(rate_now=0.1, n_classes=2)  # no model: the labels are the data's
    opts = evaluate_options(curves, COSTS, current_model=AFTER, models=[AFTER, MID],
                            add=[N0], grid=(), n_draws=200, relabel=rl)
    relabeled = {o.model for o in opts.options if o.relabel}
    assert relabeled == {AFTER, MID}
    switch = [o for o in opts.options if o.relabel and o.model == MID]
    assert all(o.switch and o.engineering_usd == 0 for o in switch)
    with pytest.raises(UsageError, match="is not among the candidate models"):
        evaluate_options(curves, COSTS, current_model=AFTER, models=[AFTER], add=[N0],
                         grid=(), n_draws=50, relabel=Relabeling(NOW, rate_now=0.2,
                                                                 n_classes=2))


def test_analysis_takes_relabel_from_the_call_or_the_decision(trials) -> None:
    costs = {"price_per_label_usd": 0.1, "value_per_point_usd": 2000}
    a = dataroi.analyze(trials, costs=costs, n_draws=300, random_state=0,
                        decision={"relabel": {"rate_now": 0.2, "cleaner": AFTER,
                                              "model": NOW}, "current_model": NOW})
    rec = a.recommend(add=[N0], grid=())
    assert any(o.relabel for o in rec.options.options)
    assert "relabel" in rec.decision.rule_dict()
    # a table of trials does not know the task's classes: the rule needs them
    with pytest.raises(UsageError, match="number of classes"):
        a.recommend(add=[N0], grid=(), relabel={"rate_now": 0.2})
    rec2 = a.recommend(add=[N0], grid=(), relabel={"rate_now": 0.2, "n_classes": 2,
                                                   "model": NOW})
    assert any(o.relabel and o.model == NOW for o in rec2.options.options)
    with pytest.raises(UsageError, match="unknown field"):
        a.recommend(relabel={"rate": 0.2})
    with pytest.raises(UsageError, match="rate_now is needed"):
        a.recommend(relabel={"n_classes": 2})
    with pytest.raises(UsageError, match="is not a model of the study"):
        a.recommend(relabel={"rate_now": 0.2, "n_classes": 2, "model": "svm"})


def test_the_plan_and_the_report_keep_the_best_relabel_option_in_view(trials) -> None:
    # 5 % noise, $0.30 a label: relabeling pays but ranks below six ways of buying labels;
    # the tables still show it beside them
    a = dataroi.analyze(trials, costs={"price_per_label_usd": 0.3, "value_per_point_usd": 2000},
                        n_draws=300, random_state=0,
                        decision={"relabel": {"rate_now": 0.05, "cleaner": AFTER,
                                              "model": MID}, "current_model": MID})
    rec = a.recommend()
    ranked = rec.plan.ranked
    assert len(ranked) > 7 and not any(o.relabel for o in ranked[:6])
    best = next(o for o in ranked if o.relabel)
    shown = rec.plan.shown(6)
    assert shown[:6] == ranked[:6] and shown[6:] == (best,)
    assert rec.plan.shown() == (*ranked, *(o for o, _ in rec.plan.excluded))
    md = a.report(fmt="markdown").to_markdown()
    assert f"| {md_escape(best.label)} (alternative) | {usd(best.cost_usd)} |" in md


def test_relabel_vs_new_values_relabeling_as_the_planner_does(curves) -> None:
    """``dataroi stress --noise-rate`` and ``dataroi plan`` read the same draws: by the
    rule, relabeling today's items equals N·(m − 1) new labels, and the planner's
    relabel-only option gains exactly what that many new labels gain."""
    rl = Relabeling(NOW, rate_now=0.2, rate_after=0.05, n_classes=2)
    eq = round(N0 * (rl.multiplier - 1.0))                      # 640 labels
    dec = relabel_vs_new(curves, COSTS, rl, n_draws=400)
    assert dec.equivalent_q05 == dec.equivalent_q50 == dec.equivalent_q95 == eq
    assert dec.method == "effective-sample rule"
    assert dec.relabel_cost_usd == pytest.approx(N0 * 2 * 0.1)   # two opinions on 512
    assert dec.new_labels_cost_usd == pytest.approx(eq * 0.1)
    # $64 of new labels against $102.40 of relabeling: new labels
    assert dec.p_relabel_cheaper == 0.0 and dec.choice == "label new items"
    assert "worth 640 new labels by the effective-sample rule" in dec.sentence
    opts = evaluate_options(curves, COSTS, current_model=NOW, models=[NOW], add=[eq],
                            grid=(), n_draws=400, relabel=rl)
    assert opts.get(f"{NOW}+0@relabel").gain_mean == pytest.approx(
        opts.get(f"{NOW}+{eq}").gain_mean, rel=1e-12)
    # and priced alike, a labeling round's fixed cost included on both sides
    fixed = CostSpec(price_per_label_usd=0.1, value_per_point_usd=2000.0,
                     fixed_cost_per_round_usd=50.0)
    dec = relabel_vs_new(curves, fixed, rl, n_draws=100)
    opts = evaluate_options(curves, fixed, current_model=NOW, models=[NOW], add=[eq],
                            grid=(), n_draws=100, relabel=rl)
    assert dec.relabel_cost_usd == pytest.approx(opts.get(f"{NOW}+0@relabel").cost_usd)
    assert dec.new_labels_cost_usd == pytest.approx(opts.get(f"{NOW}+{eq}").cost_usd)
    assert dec.relabel_cost_usd == pytest.approx(102.4 + 50.0)


def test_relabel_vs_new_with_a_pilot_follows_its_measured_gap(curves) -> None:
    rl = Relabeling(NOW, rate_now=0.2, rate_after=0.0, cleaner=AFTER)
    dec = relabel_vs_new(curves, COSTS, rl, n_draws=400)
    assert dec.method == "the cleaner arm" and "as measured on logreg" in dec.sentence
    assert 0 < dec.equivalent_q05 <= dec.equivalent_q50 <= dec.equivalent_q95
    # on flights the 20 % noisy arm's learned curve mostly never gains the measured gap
    # (0.039) within 64x: the equivalent is "never" in the draws where its gain at 64x
    # stays below relabeling's, and the sentence says so
    gained, _ = rl.gain_draws(curves, [], 400)
    far = curves.gain_draws(NOW, [63 * N0], 400)[:, 0]
    assert dec.equivalent_q50 == np.inf and np.mean(far < gained) > 0.5
    assert dec.equivalent_q05 < np.inf and np.mean(far < gained) < 0.95
    assert "do not reach that score within 64× today's labels" in dec.sentence
    cheaper = dec.p_relabel_cheaper
    assert dec.choice == ("relabel" if cheaper >= 0.5 else "label new items")
    assert dec.sentence.endswith(f"(P(relabeling is cheaper) = {cheaper:.2f})")
    with pytest.raises(UsageError, match="price_per_label_usd"):
        relabel_vs_new(curves, CostSpec(value_per_point_usd=1.0), rl)


def test_the_noise_arms_check_reads_the_measured_gaps(trials: pd.DataFrame, curves) -> None:
    arms = [VariantSpec("logreg", "noise", f"noise={r}", {"noise": "symmetric", "rate": r})
            for r in (0.05, 0.2)]
    text = noise_arms_check(curves, trials, "logreg", arms, 2)
    at = trials[trials["n_train"] == N0].pivot_table(index="repeat", columns="model",
                                                     values="value")
    for r in (0.05, 0.2):
        measured = (at["logreg"] - at[f"logreg[noise={r}]"]).mean()
        assert f"logreg[noise={r}] trails by {measured:+.4f} today" in text
    assert text.startswith("logreg's noise arms against the effective-sample rule")
    # a class-conditional arm, an arm of another model, or no classes: nothing to check
    cc = VariantSpec("logreg", "noise", "cc-noise", {"noise": "class_conditional",
                                                     "rate": None})
    assert noise_arms_check(curves, trials, "logreg", [cc], 2) is None
    assert noise_arms_check(curves, trials, "hgb", arms, 2) is None
    assert noise_arms_check(curves, trials, "logreg", arms, None) is None
