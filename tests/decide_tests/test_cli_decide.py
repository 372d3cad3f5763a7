"""`dataroi value`, `dataroi plan`, `dataroi register` on a real (small) study."""

from __future__ import annotations

import json
import re

import pytest

from dataroi.cli import main
from tests.value_tests.helpers import iris_two_models, run_study, write


def _run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.slow
def test_value_plan_register(capsys, tmp_path):
    spec = iris_two_models(costs={"price_per_label_usd": 0.2, "value_per_point_usd": 80},
                           decision={"target": 0.9, "risk": 0.2})
    path = write(tmp_path / "s", spec)
    code, out, err = _run(capsys, "register", str(path))
    assert code == 0 and "before any result existed" in out
    run_study(tmp_path / "s", spec)
    code, out, err = _run(capsys, "value", str(path), "--add", "1000,2k", "--json")
    assert code == 0, err
    data = json.loads(out)
    deltas = {r["delta_n"] for r in data["marginal_value"]["rows"]}
    assert {1000, 2000} <= deltas
    assert data["labels_to_target"]["target"] == 0.9
    assert data["tipping_points"]["rows"][0]["source"] == "break-even"
    assert len(data["comparison"]["pairs"]) == 1
    # 5 sizes: one hidden by default (two would leave 3, too few to refit), as the report
    bt = data["backtest"]
    assert bt["cut_n"] == 80 and bt["held"] == [120] and bt["points"] == 2
    code, out, err = _run(capsys, "value", str(path), "--hold", "2", "--json")
    assert code == 0, err
    assert json.loads(out)["backtest"] is None  # the JSON says why
    assert any(n.startswith("no backtest: ") for n in json.loads(out)["notes"])
    code, out, err = _run(capsys, "value", str(path), "--hold", "1", "--json")
    assert code == 0, err
    bt = json.loads(out)["backtest"]
    assert bt["cut_n"] == 80 and bt["held"] == [120] and bt["points"] == 2
    gaps = {g["model"]: g for g in json.loads(out)["train_vs_test"]}
    assert set(gaps) == {"logreg", "tree"}
    assert gaps["tree"]["train"] >= 0.97  # a full tree fits its rows (iris repeats a few)
    assert all(g["gap"] == g["train"] - g["test"] for g in gaps.values())
    assert {g["curve_gate"] for g in gaps.values()} == {"train"}
    assert all(isinstance(g["gap_closed"], bool) for g in gaps.values())
    assert not gaps["tree"]["gap_closed"]  # a full tree: training rows fit, test not
    code, out, err = _run(capsys, "value", str(path), "--threshold", "0.001", "--hold", "1")
    assert code == 0 and "value of added labels" in out and "tipping points" in out
    assert "backtest: curves refitted on sizes up to 80" in out and "of 2 measured" in out
    flat = " ".join(out.split())
    assert "test vs training score today (120 labels)" in flat
    assert "A hint, not a bound" in flat and "train + test" in flat
    assert "within noise" in flat and "gap_closed" in flat
    code, out, err = _run(capsys, "plan", str(path), "--budget", "150", "--json")
    assert code == 0, err
    rec = json.loads(out)
    assert rec["chosen"]["cost_usd"] <= 150 and rec["plan"]["budget_usd"] == 150
    assert rec["registration"]["status"] == "not_registered"  # the budget overrides the rule
    code, out, err = _run(capsys, "plan", str(path), "--target", "0.95", "--risk", "0.1",
                          "--rule", "target", "--no-save")
    assert code == 0, err
    assert "recommendation" in out
    # logreg scores 1.0 on the 30 test rows at n=120: the target is met, nothing to plan
    assert "already reached by logreg today; no labeling plan needed" in " ".join(out.split())


@pytest.mark.slow
def test_the_spec_budget_passed_again_keeps_the_registered_rule(capsys, tmp_path):
    spec = iris_two_models(costs={"price_per_label_usd": 0.2, "value_per_point_usd": 80},
                           decision={"budget_usd": 150, "risk": 0.2})
    path = write(tmp_path / "s", spec)
    assert _run(capsys, "register", str(path))[0] == 0
    run_study(tmp_path / "s", spec)
    for extra in ((), ("--budget", "150"), ("--budget", "150.0")):
        code, out, err = _run(capsys, "plan", str(path), *extra, "--json", "--no-save")
        assert code == 0, err
        assert json.loads(out)["registration"]["status"] == "before_results", extra
    code, out, err = _run(capsys, "plan", str(path), "--budget", "151", "--json", "--no-save")
    assert json.loads(out)["registration"]["status"] == "not_registered"


def test_usage_errors_exit_2(capsys, tmp_path):
    path = write(tmp_path / "e", iris_two_models())
    code, _, err = _run(capsys, "plan", str(path), "--no-save")
    assert code == 2 and err.startswith("error: ") and "run the study first" in err
    code, _, err = _run(capsys, "value", str(path), "--add", "lots")
    assert code == 2 and "--add takes comma-separated" in err
    code, _, err = _run(capsys, "value", str(path), "--hold", "-1")
    assert code == 2 and "--hold must be 0 or more" in err
    code, _, err = _run(capsys, "register", str(path))
    assert code == 2 and "no decision: section" in err


@pytest.mark.slow
def test_plan_respects_the_unlabeled_pool(capsys, tmp_path):
    spec = iris_two_models(costs={"price_per_label_usd": 0.2, "value_per_point_usd": 80,
                                  "unlabeled_items": 10},
                           decision={"target": 0.99, "risk": 0.2})
    path = write(tmp_path / "p", spec)
    run_study(tmp_path / "p", spec)
    code, out, err = _run(capsys, "plan", str(path), "--no-save", "--all")
    assert code == 0, err
    assert "unlabeled" in out and "excluded" in out
    code, out, err = _run(capsys, "plan", str(path), "--no-save", "--json")
    assert code == 0, err
    rec = json.loads(out)
    assert rec["chosen"]["delta_n"] <= 10
    excluded = rec["plan"]["excluded"]
    assert excluded and all(
        "only 10 unlabeled items are available (costs.unlabeled_items)" in " ".join(e["reasons"])
        for e in excluded if int(e["option_id"].rsplit("+", 1)[1]) > 10)
    assert rec["rounds"]["max_total"] == rec["rounds"]["current_n"] + 10
    # the reasons' counts add up to the excluded options, or the sentence says they overlap
    [line] = [r for r in rec["reasons"] if "options were excluded" in r]
    counts = [int(x) for x in re.findall(r": (\d+)", line)]
    assert line.startswith(f"{len(excluded)} of ")
    assert (sum(counts) > len(excluded)) == ("an option can have several reasons" in line)
    # crossings are looked for only within the labels there are: 10 of 120 (the horizon's
    # floor, 0.1x, gives 12)
    [statement] = rec["comparisons"]
    assert ("stays better up to +12 added labels (0.1× today's" in statement
            or "better at 12 added" in statement)
    assert "unlabeled pool" in rec["rounds"]["limited_by"]
    # `dataroi value` prices the whole pool as a row, and marks the rows beyond it
    code, out, err = _run(capsys, "value", str(path), "--json")
    assert code == 0, err
    value = json.loads(out)
    assert value["label_limits"] == {"pool": 10.0}
    assert 10 in {r["delta_n"] for r in value["marginal_value"]["rows"]}
    code, out, err = _run(capsys, "value", str(path))
    assert code == 0, err
    first_table = out.split("└")[0]
    rows = [line for line in first_table.splitlines() if line.startswith("│ logreg")]
    assert rows and all(("*" in line) == (int(line.split("│")[2].strip(" *").replace(",", ""))
                                          > 10) for line in rows)
    assert "* more labels than can be had: the unlabeled pool holds 10 " in " ".join(out.split())


def _plan_text(capsys, folder, spec):
    """Run the study, then `dataroi plan --no-save`; its output on one line."""
    path = write(folder, spec)
    run_study(folder, spec)
    code, out, err = _run(capsys, "plan", str(path), "--no-save")
    assert code == 0, err
    return path, " ".join(out.split())


@pytest.mark.slow
def test_plan_prints_bracketed_labels_and_explains_what_rounds_cannot_do(capsys, tmp_path):
    # log loss (lower is better): 0.001 is not reached today by either model
    spec = iris_two_models(metrics=["log_loss"],
                           costs={"price_per_label_usd": 0.2, "value_per_point_usd": 80,
                                  "unlabeled_items": 0},
                           decision={"target": 0.001, "risk": 0.1, "budget_usd": 5})
    path, flat = _plan_text(capsys, tmp_path / "q", spec)
    assert "E[net] $" in flat  # the column header is not eaten as Rich markup
    # no labels can be added and today's mean is under the target: never "already reached"
    assert "already reached" not in flat
    assert "not reached today and no labels can be added" in flat
    assert "no plan reaches the target with risk ≤ 0.1" in flat
    assert "one shot (all labels up to the unlabeled pool" in flat
    assert "no penalty meets the risk" in flat
    # lower is better: reaching the target means at or below it
    assert "reaching log_loss ≤ 0.001 with" in flat and "P(log_loss ≤ 0.001)" in flat
    assert "≥ 0.001" not in flat
    assert "No labeling plan reaches 0.001" in flat
    # a reachable target: already met today, so no labeling plan at all
    code, out, err = _run(capsys, "plan", str(path), "--no-save", "--target", "5")
    assert code == 0, err
    flat = " ".join(out.split())
    assert "already reached by" in flat and "no labeling plan needed" in flat
    assert "rounds (LOC" not in flat


@pytest.mark.slow
def test_plan_states_a_plan_over_budget_and_the_value_note(capsys, tmp_path):
    spec = iris_two_models(metrics=["log_loss"], costs={"price_per_label_usd": 5.0},
                           decision={"target": 0.001, "risk": 0.2, "budget_usd": 10})
    path, flat = _plan_text(capsys, tmp_path / "b", spec)
    assert "expected cost exceeds the budget of $10" in flat
    assert "E[cost]" in flat  # the recommendation's plan row keeps its brackets
    code, out, err = _run(capsys, "value", str(path))
    assert code == 0, err
    assert "note: no tipping points: give --threshold" in " ".join(out.split())
    code, out, err = _run(capsys, "value", str(path), "--json")
    data = json.loads(out)
    assert any(n.startswith("no tipping points") for n in data["notes"])
    assert data["labels_to_target"]["higher_is_better"] is False


@pytest.mark.slow
def test_plan_refuses_a_target_off_the_metric_scale_and_a_large_risk(capsys, tmp_path):
    spec = iris_two_models(costs={"price_per_label_usd": 0.2})
    path = write(tmp_path / "t", spec)
    run_study(tmp_path / "t", spec)
    code, _, err = _run(capsys, "plan", str(path), "--no-save", "--target", "92")
    assert code == 2
    assert "target 92 is beyond the best possible accuracy (1)" in err
    assert "e.g. 0.92, not 92" in err
    code, _, err = _run(capsys, "plan", str(path), "--no-save", "--risk", "0.7",
                        "--target", "0.95")
    assert code == 2 and "--risk must be in (0, 0.5]" in err


@pytest.mark.slow
def test_plan_shows_p_net_serving_costs_and_takes_max_p_loss_and_curves(capsys, tmp_path):
    spec = iris_two_models(costs={"price_per_label_usd": 0.2, "value_per_point_usd": 80,
                                  "engineering_cost_usd": 5})
    path = write(tmp_path / "s", spec)
    run_study(tmp_path / "s", spec)
    code, out, err = _run(capsys, "plan", str(path), "--no-save", "--all")
    assert code == 0, err
    flat = " ".join(out.split())
    assert "P(net>0)" in out and "ms/1k rows·size" in out and "chosen" in out
    assert " KB" in out
    assert "ends with more money than staying with P =" in flat or "Keep " in flat
    code, out, err = _run(capsys, "plan", str(path), "--no-save", "--json",
                          "--max-p-loss", "0")
    assert code == 0, err
    rec = json.loads(out)
    spending = [o for o in rec["options"]["options"]
                if o["p_net_positive"] is not None and o["p_net_positive"] < 1]
    excluded = {e["option_id"] for e in rec["plan"]["excluded"]}
    assert all(o["option_id"] in excluded for o in spending)
    assert rec["decision"]["max_p_loss"] == 0
    served = [o for o in rec["options"]["options"] if o["predict_ms_per_1k"] is not None]
    assert served and all(o["model_mb"] > 0 for o in served)
    code, out, err = _run(capsys, "plan", str(path), "--no-save", "--json",
                          "--curves", "fitted")
    assert code == 0, err
    assert json.loads(out)["hashes"]["curves"] != rec["hashes"]["curves"]
    code, out, err = _run(capsys, "plan", str(path), "--max-p-loss", "1.5")
    assert code == 2 and "--max-p-loss must be in [0, 1]" in err


@pytest.mark.slow
def test_plan_offers_relabeling_with_a_noise_rate(capsys, tmp_path):
    spec = iris_two_models(costs={"price_per_label_usd": 0.2, "value_per_point_usd": 80})
    path = write(tmp_path / "s", spec)
    # bad relabel flags: one line, exit 2, before the study is opened or fitted
    for argv, message in ((["--noise-rate", "1.5"], "--noise-rate must be in [0, 1)"),
                          (["--noise-rate", "0.1", "--rate-after", "0.2"],
                           "--rate-after must be in [0, --noise-rate = 0.1]"),
                          (["--noise-rate", "0.1", "--opinions", "0"],
                           "--opinions must be 1 or more"),
                          (["--rate-after", "0.05"], "need --noise-rate")):
        code, _, err = _run(capsys, "plan", str(path), "--no-save", *argv)
        assert code == 2 and message in err and len(err.strip().splitlines()) == 1, err
    run_study(tmp_path / "s", spec)
    code, out, err = _run(capsys, "plan", str(path), "--no-save", "--json", "--noise-rate",
                          "0.1")
    assert code == 0, err
    rec = json.loads(out)
    relabeled = [o for o in rec["options"]["options"] if o["relabel"]]
    # the labels are the data's: every model can be trained on the relabeled ones
    assert {o["model"] for o in relabeled} == {"logreg", "tree"}
    assert all(o["cost_usd"] >= 2 * 0.2 * 120 for o in relabeled)  # 2 opinions x 120 items
    assert any("noise 10.0% → 2.8% (effective-sample rule" in n
               for n in rec["options"]["notes"])
    code, out, err = _run(capsys, "plan", str(path), "--no-save", "--all", "--noise-rate",
                          "0.1", "--opinions", "1")
    assert code == 0, err
    assert "keep logreg, relabel 120 (+1" in " ".join(out.split())


@pytest.mark.slow
def test_a_model_whose_trials_all_failed_is_named_and_plan_exits_1(capsys, tmp_path):
    import dataroi
    from tests._specs import logreg_and_tree

    models = logreg_and_tree()
    # valid parameters one by one, refused together at fit time: every trial fails
    models["broken"] = {"estimator": "sklearn.linear_model.LogisticRegression",
                        "params": {"solver": "liblinear", "penalty": "elasticnet",
                                   "l1_ratio": 0.5}}
    spec = iris_two_models(models=models, costs={"price_per_label_usd": 0.2,
                                                 "value_per_point_usd": 80})
    path = write(tmp_path / "s", spec)
    summary = dataroi.load_study(path).run(jobs=1, progress=False)
    assert summary.failed == 15
    code, out, err = _run(capsys, "plan", str(path), "--no-save")
    assert code == 1
    flat = " ".join(out.split())
    assert "not compared" in flat and "broken: all 15 trials failed (ValueError" in flat
    assert "--allow-missing-models" in err
    code, out, err = _run(capsys, "plan", str(path), "--no-save", "--json",
                          "--allow-missing-models")
    assert code == 0
    rec = json.loads(out)
    assert list(rec["left_out"]) == ["broken"]
    assert rec["headline"].endswith("(not compared: broken, whose trials all failed)")
    assert rec["reasons"][0].startswith("Not compared: broken (all 15 trials failed")


def test_a_budget_without_a_price_per_label_is_refused_before_curves_are_fitted(
        capsys, tmp_path):
    spec = iris_two_models()  # no costs: section
    path = write(tmp_path / "s", spec)
    run_study(tmp_path / "s", spec)
    code, out, err = _run(capsys, "plan", str(path), "--budget", "500", "--no-save")
    assert code == 2 and out == ""
    assert err.startswith("error: a budget needs costs.price_per_label_usd"), err


def test_an_unreachable_target_gets_no_plan_to_reach_it(capsys, tmp_path):
    # log loss 0.001 is far below what either model's curve approaches: the multi-round
    # search still returns its closest plan, which misses with P near 1 — it is said as
    # the cost of trying, not as "To reach 0.001: label in 3 rounds"
    spec = iris_two_models(metrics=["log_loss"],
                           costs={"price_per_label_usd": 0.2, "value_per_point_usd": 80},
                           decision={"target": 0.001, "risk": 0.1, "budget_usd": 5000})
    _, flat = _plan_text(capsys, tmp_path / "q", spec)
    assert "To reach 0.001" not in flat
    assert "No labeling plan reaches 0.001 with" in flat and "at risk ≤ 0.1" in flat
    said = re.search(r"the closest, \d rounds up to [+\d,]+(, [+\d,]+)*, would cost "
                     r"\$[\d,]+ in expectation and still miss with P = (\d\.\d\d)", flat)
    assert said is not None, flat
    assert float(said.group(2)) > 0.1
    assert "(over the risk limit 0.1: no plan reaches the target)" in flat


def test_value_hides_as_many_sizes_as_the_report(capsys, tmp_path):
    # five sizes: the report hides one, and `dataroi value` said "no backtest: hiding 2
    # sizes needs at least 6" beside it
    spec = iris_two_models()
    path = write(tmp_path / "five", spec)
    run_study(tmp_path / "five", spec)
    code, out, err = _run(capsys, "value", str(path))
    assert code == 0, err
    flat = " ".join(out.split())
    assert "backtest: curves refitted on sizes up to 80, checked at the hidden sizes" in flat
    assert "no backtest" not in flat
    code, out, _ = _run(capsys, "value", str(path), "--hold", "2")
    assert "no backtest: a backtest hiding 2 sizes needs at least 6" in " ".join(out.split())
