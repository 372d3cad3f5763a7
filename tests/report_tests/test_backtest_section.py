"""The report's backtest: a study with enough sizes shows its own check of the curves."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

import dataroi
from tests._specs import IRIS_DATA, logreg_and_tree
from tests.report_tests._studies import build_report

SCHEMA_PATH = Path(__file__).resolve().parents[2] / "docs" / "report-schema.json"


@pytest.mark.slow
def test_report_backtests_a_study_with_six_sizes(tmp_path):
    spec = {"name": "iris-backtest", "data": dict(IRIS_DATA), "models": logreg_and_tree(),
            "metrics": ["accuracy"],
            "schedule": {"sizes": [10, 15, 25, 40, 70, 120], "repeats": 2, "seed": 0},
            "costs": {"price_per_label_usd": 0.5, "value_per_point_usd": 300}}
    path = tmp_path / "study.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    study = dataroi.load_study(path)
    study.run(jobs=1, progress=False)
    report = build_report(study, spec_path=str(path), output="report.html", n_draws=300)
    doc = json.loads(json.dumps(report.document))
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    errors = list(jsonschema.Draft202012Validator(schema).iter_errors(doc))
    assert not errors, [e.message[:200] for e in errors[:3]]
    bt = doc["sections"]["learning_curves"]["backtest"]
    assert bt["cut_n"] == 40 and bt["held"] == [70, 120]
    assert bt["points"] == 4 and {r["model"] for r in bt["rows"]} == {"logreg", "tree"}
    assert not any("backtest" in m["message"] for m in doc["missing"])
    # the answer states it as a reason, as `dataroi plan` does
    assert any(r.startswith("Backtest: refitted on sizes up to 40")
               for r in doc["sections"]["answer"]["reasons"])
    # the learning-curves table shows each model's score on its training rows today
    frame = study.trials()
    at = frame[frame["n_train"] == 120]
    for m in doc["sections"]["learning_curves"]["models"]:
        expected = float(at.loc[at["model"] == m["model"], "train_value"].mean())
        assert m["train_today"] == pytest.approx(expected)
        assert m["curve_gate"] == "train"  # the fits read the training scores too
        assert m["train_mean"]["n_train"][-1] == 120
        assert m["train_mean"]["mean"][-1] == pytest.approx(expected)
    html = report.to_html()
    flat = " ".join(html.split())
    assert "The extrapolations of logreg and tree also read the scores on the training rows" in flat
    assert "Does the extrapolation work on this study? (backtest)" in html
    assert f"{bt['in90']} of 4 measured means inside the 90 % intervals" in html
    assert "<p>Refitted on sizes up to 40 and predicted 70, 120:" in html
    md = report.to_markdown()
    assert "**Does the extrapolation work on this study? (backtest)**" in md
    assert "predicted from sizes ≤ " in md and "on its training rows" in md
    assert "Refitted on sizes up to 40" in md
    assert "The extrapolations of logreg and tree also read the scores on the training rows" in md
    # one model with the training-score gate: the sentence is singular; none: no sentence
    from dataroi.report._html import render_html
    from dataroi.report._markdown import render_markdown

    models = report.document["sections"]["learning_curves"]["models"]
    models[1]["curve_gate"] = "test"
    one = "The extrapolation of logreg also read the scores on the training rows"
    assert one in " ".join(render_html(report.document).split())
    assert one in render_markdown(report.document)
    models[0]["curve_gate"] = "test"
    assert "also read the scores" not in render_html(report.document)
    assert "also read the scores" not in render_markdown(report.document)
