"""Issue #23: keyed resampling streams, honest segment intervals with few disagreeing
rows, counts that take numpy integers, probabilities and scenarios worded as they are."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from dataroi.cli._main import main
from dataroi.impact import ImpactAssessment, load_value_model, paired_bootstrap
from dataroi.impact._bootstrap import format_share, stream_means

from .conftest import PAYOFF

VALUE = {"expression": "gain * (pred == 1) * (y == 1) - alert_cost * (pred == 1)",
         "terms": {"gain": 30.0, "alert_cost": 8.0}}


def _assess(table: pd.DataFrame, segments: list[str], **kw):
    kw.setdefault("n_resamples", 400)
    return ImpactAssessment(load_value_model(VALUE), target="delayed", segments=segments,
                            **kw).run(table, baseline="col:p_base", candidate="col:p_cand",
                                      baseline_threshold=0.3, candidate_threshold=0.3)


# -- keyed streams ----------------------------------------------------------------------
def test_overall_interval_and_p_worse_do_not_depend_on_the_segment_list(
        flights: pd.DataFrame) -> None:
    t = flights.iloc[:12000]
    runs = [_assess(t, segs) for segs in ([], ["carrier"], ["origin", "carrier"],
                                          ["carrier", "origin"])]
    first = runs[0]
    for res in runs[1:]:
        assert res.value_diff == first.value_diff
        assert res.accuracy_diff == first.accuracy_diff
        assert res.p_candidate_worse == first.p_candidate_worse
        assert res.var_per_period == first.var_per_period
    # a segment's interval does not depend on the other columns either
    alone = {s.level: s.value_diff for s in runs[1].segments}
    together = {s.level: s.value_diff for s in runs[2].segments if s.column == "carrier"}
    assert alone == together
    # and a different seed gives a different stream
    assert _assess(t, [], seed=1).value_diff.ci_low != first.value_diff.ci_low


def test_a_group_stream_is_keyed_by_its_label() -> None:
    rng = np.random.default_rng(0)
    d = rng.normal(size=3000)
    groups = np.repeat(["a", "b", "c"], 1000)
    full = paired_bootstrap(d, groups=groups, n_resamples=300, seed=5)
    # drop group "b": "a" and "c" keep their replicates exactly
    keep = groups != "b"
    part = paired_bootstrap(d[keep], groups=groups[keep], n_resamples=300, seed=5)
    np.testing.assert_array_equal(full.group_replicates[:, 0], part.group_replicates[:, 0])
    np.testing.assert_array_equal(full.group_replicates[:, 2], part.group_replicates[:, 1])
    # the overall stream does not depend on the groups at all
    np.testing.assert_array_equal(full.replicates,
                                  paired_bootstrap(d, n_resamples=300, seed=5).replicates)


def test_the_zero_cell_resampling_is_exact_in_distribution() -> None:
    # a sparse difference: 3 % of rows disagree, values from the real payoff
    rng = np.random.default_rng(1)
    d = np.zeros((20_000, 1))
    hit = rng.random(20_000) < 0.03
    d[hit, 0] = rng.choice([-20.0, -100.0, 50.0, 70.0], hit.sum())
    jitter = d + np.where(d != 0, rng.normal(0, 1e-9, d.shape), 0.0)   # forces row draws
    for values in (d, jitter):
        means = stream_means(values, 4000, np.random.default_rng(2))
        # bootstrap variance of a mean: var(d, ddof=0) / n
        assert means.mean() == pytest.approx(values.mean(), abs=0.05 * values.std())
        assert means.var() == pytest.approx(values.var() / values.shape[0], rel=0.08)


# -- intervals with few disagreeing rows ---------------------------------------------------
def test_min_segment_size_counts_disagreeing_rows(flights: pd.DataFrame) -> None:
    t = flights.iloc[:12000]
    res = _assess(t, ["carrier"], min_segment_size=8)
    for s in res.segments:
        assert s.too_small == (s.n_disagree < 8)
        assert (s.value_diff is None) == s.too_small
    big_but_untested = [s for s in res.segments if s.too_small and s.n_rows >= 100]
    small_but_tested = [s for s in res.segments if not s.too_small and s.n_rows < 400]
    assert big_but_untested or small_but_tested
    y = t["delayed"].to_numpy()
    b = (t["p_base"] >= 0.3).to_numpy()
    c = (t["p_cand"] >= 0.3).to_numpy()
    for s in res.segments:
        mask = t["carrier"].to_numpy() == s.level
        assert s.n_disagree == int((b != c)[mask].sum())
    assert len(y) == sum(s.n_rows for s in res.segments)
    # the interval: t with borrowed variance under 50 non-zero differences, else BCa
    for s in res.segments:
        if s.value_diff is not None:
            assert s.value_diff.method == ("BCa" if s.n_disagree >= 50 else "t")
    with pytest.raises(Exception, match=r"min_segment_size: must be an integer >= 2"):
        _assess(t, ["carrier"], min_segment_size=2.5)


def test_segment_intervals_cover_with_few_disagreeing_rows(flights: pd.DataFrame) -> None:
    """Small simulation: the flights fixture is the population; carrier segments of
    1,500-row samples, those with at most 10 disagreeing rows."""
    vm = load_value_model(VALUE)
    y = flights["delayed"].to_numpy()
    b = (flights["p_base"].to_numpy() >= 0.3).astype(int)
    c = (flights["p_cand"].to_numpy() >= 0.3).astype(int)
    d = vm.row_values({}, y=y, pred=c) - vm.row_values({}, y=y, pred=b)
    carrier = flights["carrier"].to_numpy()
    truth = {k: d[carrier == k].mean() for k in np.unique(carrier)}
    table = flights.assign(pred_base=b, pred_cand=c)
    covered = bca_covered = total = 0
    for r in range(40):
        idx = np.random.default_rng(100 + r).integers(0, len(table), 1500)
        sample = table.iloc[idx].reset_index(drop=True)
        sample["id"] = np.arange(len(sample))
        res = ImpactAssessment(vm, target="delayed", segments=["carrier"], n_resamples=400,
                               min_segment_size=2, seed=r).run(
            sample, baseline="col:pred_base", candidate="col:pred_cand")
        for s in res.segments:
            if s.value_diff is None or s.n_disagree > 10:
                continue
            mu = truth[s.level]
            covered += s.value_diff.ci_low <= mu <= s.value_diff.ci_high
            mask = sample["carrier"].to_numpy() == s.level
            old = paired_bootstrap(d[idx][mask], n_resamples=400, seed=r).interval(0)
            bca_covered += old.ci_low <= mu <= old.ci_high
            total += 1
    assert total >= 60
    assert covered / total >= 0.9
    assert bca_covered < covered            # the bootstrap alone under-covers here


# -- counts and wording ---------------------------------------------------------------------
def test_numpy_integers_are_counts(cancer: dict) -> None:
    vm = load_value_model(PAYOFF)
    res = ImpactAssessment(vm, target="target", n_resamples=np.int64(500),
                           min_segment_size=np.int32(5), seed=np.int64(3),
                           segments=["size_band"]).run(
        cancer["table"], baseline="col:pred_base", candidate="col:pred_cand")
    assert res.settings["n_resamples"] == 500 and type(res.settings["n_resamples"]) is int
    ref = ImpactAssessment(vm, target="target", n_resamples=500, min_segment_size=5,
                           seed=3, segments=["size_band"]).run(
        cancer["table"], baseline="col:pred_base", candidate="col:pred_cand")
    assert res.value_diff == ref.value_diff
    with pytest.raises(Exception, match="n_resamples: must be an integer"):
        ImpactAssessment(vm, target="target", n_resamples=np.float64(500.0)).run(
            cancer["table"], baseline="col:pred_base", candidate="col:pred_cand")
    with pytest.raises(Exception, match="n_resamples: must be an integer"):
        ImpactAssessment(vm, target="target", n_resamples=True).run(
            cancer["table"], baseline="col:pred_base", candidate="col:pred_cand")


def test_a_bootstrap_share_is_worded_as_a_share(flights: pd.DataFrame, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    assert format_share(1.0, 2000) == "> 0.9995" and format_share(0.0, 500) == "< 0.002"
    assert format_share(0.25, 2000) == "0.25"
    # a candidate clearly worse: every replicate below zero
    t = flights.iloc[:8000]
    path = tmp_path / "eval.csv"
    t.to_csv(path, index=False)
    (tmp_path / "value.yaml").write_text(yaml.safe_dump(VALUE))
    md = tmp_path / "r.md"
    html = tmp_path / "r.html"
    code = main(["impact", "run", str(path), "--target", "delayed", "--baseline",
                 "col:p_cand", "--candidate", "col:p_base", "--baseline-threshold", "0.3",
                 "--candidate-threshold", "0.3", "--value", str(tmp_path / "value.yaml"),
                 "--resamples", "2000", "--no-ledger", "--no-gate", "--markdown", str(md),
                 "--report", str(html)])
    assert code == 0
    out = capsys.readouterr().out
    assert "P(candidate worse) = > 0.9995 (share of 2,000 bootstrap resamples)" in out
    assert "P(candidate worse) = 1 " not in out
    assert "P(candidate worse) = > 0.9995" in md.read_text()
    assert "&gt; 0.9995" in html.read_text()


def test_cost_scenarios_move_the_value_the_way_their_sign_says(cancer: dict) -> None:
    # payoff: a negative cell (a loss), a positive one (a gain), a zero one
    vm = load_value_model(PAYOFF)
    t = cancer["table"]
    res = ImpactAssessment(vm, target="target", n_resamples=200, cost_change_pct=10).run(
        t, baseline="col:pred_base", candidate="col:pred_cand")
    names = {s.name for s in res.scenarios if s.kind == "cost"}
    assert "missed -10% (worse: -100 → -110)" in names      # a bigger loss
    assert "missed +10% (better: -100 → -90)" in names
    assert "caught -10% (worse: 50 → 45)" in names           # a smaller gain
    assert "false_alarm -10% (worse: -20 → -22)" in names
    # the zero cell: no scenario, and a note says why
    assert not any(s.term == "payoff_0_0" for s in res.scenarios)
    assert any("payoff_0_0 (it is 0, and ±x% of 0 is 0)" in n for n in res.notes)
    # "worse" lowers both models' values: check against a hand computation
    y = t["target"].to_numpy()
    pay = np.array([[0.0, -20.0], [-110.0, 50.0]])
    d = pay[y, t["pred_cand"].to_numpy()] - pay[y, t["pred_base"].to_numpy()]
    worse = next(s for s in res.scenarios if s.term == "missed" and s.term_value == -110.0)
    assert worse.value_diff_per_row == pytest.approx(d.mean())


def test_an_expression_cost_term_grows_when_it_gets_worse(flights: pd.DataFrame) -> None:
    res = _assess(flights.iloc[:5000], [])
    by_name = {s.name: s for s in res.scenarios if s.kind == "cost"}
    assert "alert_cost -10% (worse: 8 → 8.8)" in by_name     # a cost written as positive
    assert "gain -10% (worse: 30 → 27)" in by_name
    # a term the evaluated rows never reach: said, not shown as a scenario
    vm = load_value_model({**VALUE, "expression": VALUE["expression"] + " + 0 * bonus",
                           "terms": {**VALUE["terms"], "bonus": 5.0}})
    res = ImpactAssessment(vm, target="delayed", n_resamples=200).run(
        flights.iloc[:3000], baseline="col:p_base", candidate="col:p_cand")
    assert not any(s.term == "bonus" for s in res.scenarios)
    assert any("bonus (no evaluated row depends on it)" in n for n in res.notes)
