"""The impact spec (impact.yaml): written and registered before the assessment, then
``impact run --spec``: the registration, the expected effect against the estimate and
the rollback, on the real flights table."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import yaml

from dataroi.cli._main import main
from dataroi.impact import load_impact_spec
from dataroi.ledger import open_ledger

VALUE = {"expression": "gain * (pred == 1) * (y == 1) - alert_cost * (pred == 1)",
         "terms": {"gain": 30.0, "alert_cost": 8.0},
         "volume": {"rows_per_period": 10000, "period": "month"}}


@pytest.fixture
def spec_files(tmp_path: Path, flights: pd.DataFrame) -> dict[str, Path]:
    out = {"table": tmp_path / "eval.csv", "value": tmp_path / "value.yaml",
           "spec": tmp_path / "impact.yaml", "ledger": tmp_path / "ledger.db"}
    flights.iloc[:6000].to_csv(out["table"], index=False)
    out["value"].write_text(yaml.safe_dump(VALUE))
    spec = {"name": "delays", "hypothesis": "the candidate alerts on more real delays",
            "expected": {"estimate": 0.5, "low": -1.0, "high": 3.0},
            "baseline": "col:p_base", "candidate": "col:p_cand", "target": "delayed",
            "value": "value.yaml", "segments": ["origin"], "gate": "none",
            "rollback_cost_usd": 5000}
    out["spec"].write_text(yaml.safe_dump(spec, sort_keys=False))
    return out


def _run(f: dict[str, Path], *extra: str) -> list[str]:
    return ["impact", "run", str(f["table"]), "--spec", str(f["spec"]), "--ledger",
            str(f["ledger"]), "--resamples", "300", "--json", *extra]


def test_registered_before_the_results(spec_files, capsys):
    assert main(["impact", "register", str(spec_files["spec"]), "--ledger",
                 str(spec_files["ledger"])]) == 0
    assert "before any assessment of 'delays'" in capsys.readouterr().out
    assert main(_run(spec_files)) == 0
    doc = json.loads(capsys.readouterr().out)
    block = doc["impact_spec"]
    assert block["registration"]["status"] == "before_results"
    assert not block["registration"]["changed"]
    est = doc["result"]["value_diff"]["estimate"]
    assert block["inside_expected"] is (-1.0 <= est <= 3.0)
    assert block["hypothesis"].startswith("the candidate alerts")
    with open_ledger(spec_files["ledger"], create=False) as ledger:
        [a] = ledger.list_documents("impact_assessment")
    assert a["payload"]["name"] == "delays"  # the series is the spec's
    assert a["payload"]["impact_spec"]["digest"] == block["digest"]
    # a second run: registered before the first assessment still
    assert main(_run(spec_files)) == 0
    assert json.loads(capsys.readouterr().out)["impact_spec"]["registration"]["status"] \
        == "before_results"


def test_not_registered_then_registered_late_then_changed(spec_files, capsys):
    assert main(_run(spec_files)) == 0
    reg = json.loads(capsys.readouterr().out)["impact_spec"]["registration"]
    assert reg["status"] == "not_registered"
    assert main(["impact", "register", str(spec_files["spec"]), "--ledger",
                 str(spec_files["ledger"])]) == 0
    assert "AFTER an assessment of 'delays' existed" in capsys.readouterr().out
    # editing the value model the spec names changes the spec's digest
    before = load_impact_spec(spec_files["spec"]).digest
    spec_files["value"].write_text(yaml.safe_dump({**VALUE, "terms": {"gain": 40.0,
                                                                      "alert_cost": 8.0}}))
    assert load_impact_spec(spec_files["spec"]).digest != before
    assert main(_run(spec_files)) == 0
    reg = json.loads(capsys.readouterr().out)["impact_spec"]["registration"]
    assert reg["status"] == "not_registered" and reg["changed"]
    assert "the spec CHANGED" in reg["message"]


def test_the_rollback_and_the_expected_effect_are_stated(spec_files, capsys, tmp_path):
    report = tmp_path / "report.html"
    assert main([*_run(spec_files)[:-1], "-o", str(report), "-o",
                 str(tmp_path / "report.md")]) == 0  # the text output, and the reports
    out = capsys.readouterr().out
    html = report.read_text()
    assert "<h2>Impact spec</h2>" in html and "hypothesis: the candidate alerts" in html
    assert "## Impact spec" in (tmp_path / "report.md").read_text()
    assert "hypothesis: the candidate alerts on more real delays" in out
    assert "expected +0.5 [-1, +3] per row; estimated" in out
    assert "rollback: costs $5,000" in out


def test_options_given_twice_are_refused_and_nothing_is_written(spec_files, capsys):
    assert main(_run(spec_files, "--baseline", "col:p_base", "--name", "x")) == 2
    err = capsys.readouterr().err
    assert "--baseline, --name given on the command line and by --spec" in err
    assert not spec_files["ledger"].exists()
    assert main(["impact", "run", str(spec_files["table"]), "--ledger",
                 str(spec_files["ledger"])]) == 2
    assert "impact run needs --baseline, --candidate, --value" in capsys.readouterr().err


def test_a_bad_spec_lists_every_problem(tmp_path, capsys):
    bad = tmp_path / "impact.yaml"
    bad.write_text(yaml.safe_dump({"name": "x", "hypothsis": "h", "baseline": "col:a",
                                   "candidate": "col:b", "value": "missing.yaml",
                                   "expected": {"estimate": 2, "low": 3, "high": 4},
                                   "margin": -1, "rollback_cost_usd": "lots"}))
    assert main(["impact", "register", str(bad), "--ledger", str(tmp_path / "l.db")]) == 2
    err = capsys.readouterr().err
    for part in ("hypothsis: unknown field (did you mean 'hypothesis'?)",
                 "hypothesis: required", "value: file not found",
                 "expected: needs low <= estimate <= high", "margin: must be a number >= 0",
                 "rollback_cost_usd: must be a number >= 0"):
        assert part in err, part
    assert not (tmp_path / "l.db").exists()
