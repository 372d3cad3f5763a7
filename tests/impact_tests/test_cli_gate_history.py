"""The command line end to end: contract, gate exit codes, ledger history, reports."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import yaml

from dataroi.cli._main import main
from dataroi.impact import load_gate
from dataroi.ledger import open_ledger

VALUE = {"expression": "gain * (pred == 1) * (y == 1) - alert_cost * (pred == 1)",
         "terms": {"gain": 30.0, "alert_cost": 8.0},
         "volume": {"rows_per_period": 10000, "period": "month"}}
CONTRACT = {"columns": {"id": {"dtype": "int", "unique": True},
                        "delayed": {"dtype": "int", "allowed": [0, 1]},
                        "origin": {"dtype": "string", "allowed": ["EWR", "JFK", "LGA"]},
                        "distance": {"dtype": "float", "min": 0, "max": 6000},
                        "p_base": {"dtype": "float", "min": 0, "max": 1},
                        "p_cand": {"dtype": "float", "min": 0, "max": 1}},
            "rows": {"min": 1000}}


@pytest.fixture
def files(tmp_path: Path, flights: pd.DataFrame) -> dict[str, Path]:
    out = {"table": tmp_path / "eval.csv", "value": tmp_path / "value.yaml",
           "contract": tmp_path / "contract.yaml", "ledger": tmp_path / "ledger.db"}
    flights.iloc[:8000].to_csv(out["table"], index=False)
    out["value"].write_text(yaml.safe_dump(VALUE))
    out["contract"].write_text(yaml.safe_dump(CONTRACT))
    return out


def _run(files: dict[str, Path], *extra: str, table: Path | None = None) -> list[str]:
    return ["impact", "run", str(table or files["table"]), "--target", "delayed",
            "--baseline", "col:p_base", "--candidate", "col:p_cand",
            "--value", str(files["value"]), "--contract", str(files["contract"]),
            "--ledger", str(files["ledger"]), "--resamples", "300", *extra]


def _gate(tmp_path: Path, *conditions: str) -> Path:
    path = tmp_path / "gate.yaml"
    path.write_text(yaml.safe_dump({"conditions": list(conditions)}))
    return path


def test_gate_passes_with_exit_0_and_fails_with_exit_1(
        files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ok = _gate(tmp_path, "value_diff.ci_high > -1e12", "no segment significantly worse")
    assert main(_run(files, "--gate", str(ok), "--segments", "origin")) == 0
    out = capsys.readouterr().out
    assert "gate: PASSED" in out and "PASS  value_diff.ci_high > -1e12" in out
    bad = _gate(tmp_path, "value_diff.ci_low > 1e9", "accuracy_diff > -1")
    assert main(_run(files, "--gate", str(bad))) == 1
    out = capsys.readouterr().out
    assert "gate: FAILED" in out
    assert "FAIL  value_diff.ci_low > 1e9  (observed value_diff.ci_low = " in out
    assert "PASS  accuracy_diff > -1" in out


def test_contract_violations_are_all_reported_and_nothing_is_written(
        files: dict[str, Path], tmp_path: Path, flights: pd.DataFrame,
        capsys: pytest.CaptureFixture[str]) -> None:
    broken = flights.iloc[:8000].copy()
    broken.loc[3, "distance"] = -5.0
    broken.loc[4, "origin"] = "XXX"
    broken.loc[5, "id"] = broken.loc[6, "id"]
    broken.loc[7, "p_cand"] = 1.5
    path = tmp_path / "broken.csv"
    broken.to_csv(path, index=False)
    report = tmp_path / "report.html"
    code = main(_run(files, "--report", str(report), table=path))
    err = capsys.readouterr().err
    assert code == 2
    assert "data contract violated" in err and "4 problems" in err
    for part in ("'distance'", "'origin'", "'id': repeated values (unique: true)", "'p_cand'"):
        assert part in err
    assert not report.exists() and not files["ledger"].exists()


@pytest.mark.parametrize(("expression", "fragment"), [
    ("__import__('os').system('touch hacked')", "attribute access"),
    ("gain.__class__", "attribute access"),
    ("(lambda: 1)()", "lambda"),
    ("[g for g in y]", "comprehensions"),
    ("y['__class__']", "subscripts"),
    ("order_value * pred", "unknown name 'order_value'"),
])
def test_bad_value_expressions_exit_2_and_write_nothing(
        files: dict[str, Path], tmp_path: Path, expression: str, fragment: str,
        capsys: pytest.CaptureFixture[str]) -> None:
    files["value"].write_text(yaml.safe_dump({"expression": expression,
                                              "terms": {"gain": 1.0}}))
    report = tmp_path / "r.html"
    assert main(_run(files, "--report", str(report))) == 2
    err = capsys.readouterr().err.strip()
    assert fragment in err and len(err.splitlines()) == 1
    assert not report.exists() and not files["ledger"].exists()
    assert not (tmp_path / "hacked").exists() and not Path("hacked").exists()


def test_ids_problems_exit_2(files: dict[str, Path], tmp_path: Path, flights: pd.DataFrame,
                             capsys: pytest.CaptureFixture[str]) -> None:
    preds = tmp_path / "cand.csv"
    flights.iloc[:7990][["id", "p_cand"]].to_csv(preds, index=False)
    args = _run(files)
    args[args.index("col:p_cand")] = f"file:{preds}"
    assert main(args) == 2
    assert "10 ids of the evaluation table have no prediction" in capsys.readouterr().err
    assert not files["ledger"].exists()


def test_bad_gate_file_exits_2_before_computing(files: dict[str, Path], tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    bad = _gate(tmp_path, "value_diff.ci_low >> 0", "profit > 3")
    assert main(_run(files, "--gate", str(bad))) == 2
    err = capsys.readouterr().err
    assert "conditions[0]: cannot read" in err and "conditions[1]: unknown name 'profit'" in err
    assert not files["ledger"].exists()


def test_history_lists_assessments_and_flags_a_far_outlier(
        files: dict[str, Path], tmp_path: Path, flights: pd.DataFrame,
        capsys: pytest.CaptureFixture[str]) -> None:
    for seed in range(4):
        assert main(_run(files, "--seed", str(seed), "--name", "delays")) == 0
    # a value model worth 1000x more: the per-period difference is far outside the past
    files["value"].write_text(yaml.safe_dump({**VALUE, "terms": {"gain": 30000.0,
                                                                  "alert_cost": 8000.0}}))
    assert main(_run(files, "--name", "delays")) == 0
    out = capsys.readouterr().out
    assert "FAR OUTSIDE past changes" in out
    assert main(["impact", "history", "--ledger", str(files["ledger"]), "--format",
                 "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    rows = doc["assessments"]
    assert len(rows) == 5 and [r["flagged"] for r in rows] == [False] * 4 + [True]
    assert doc["trend"]["n_deployed"] == sum(r["deployed"] for r in rows)
    with open_ledger(str(files["ledger"])) as ledger:
        [first, *_] = ledger.list_documents("impact_assessment")
    pay = first["payload"]
    assert len(pay["data_fingerprint"]) == 64 and len(pay["contract_hash"]) == 64
    assert pay["value_model_hash"] and pay["candidate_id"] == "column:p_cand"
    assert main(["impact", "history", "--ledger", str(files["ledger"])]) == 0
    assert "impact assessments in" in capsys.readouterr().out


def test_reports_are_self_contained_escaped_and_verdict_first(
        files: dict[str, Path], tmp_path: Path, flights: pd.DataFrame,
        capsys: pytest.CaptureFixture[str]) -> None:
    evil = flights.iloc[:8000].copy()
    evil.loc[evil["origin"] == "JFK", "origin"] = "<script>alert(1)</script>"
    path = tmp_path / "evil.csv"
    evil.to_csv(path, index=False)
    html, md, js = tmp_path / "r.html", tmp_path / "r.md", tmp_path / "r.json"
    files["contract"].write_text(yaml.safe_dump({"rows": {"min": 10}}))
    code = main(_run(files, "--segments", "origin", "--time", "date", "--no-ledger",
                     "--report", str(html), "--markdown", str(md), "--json-output", str(js),
                     table=path))
    assert code == 0
    text = html.read_text()
    assert "<script>" not in text and "&lt;script&gt;" in text
    assert "http://" not in text and "https://" not in text and "<link" not in text
    # the one report system's page: its Content-Security-Policy and style sheet
    assert "default-src 'none'; img-src data:" in text and "<script" not in text.lower()
    assert text.index("Verdict") < text.index("Value difference") < text.index("Segments") \
        < text.index("What-if") < text.index("Data contract") < text.index("Reproducibility")
    assert text.count("data:image/svg+xml;base64,") == 2  # forest plot + periods
    doc = json.loads(js.read_text())
    assert doc["verdict"] == doc["result"]["verdict"]
    assert md.read_text().startswith("# Impact of a model change")
    # counts from a thousand up carry separators in both renderings, and no figure an
    # exponent (they read '2464' and '-1.275e+04')
    seg_rows = [s["n_rows"] for s in doc["result"]["segments"] if s["n_rows"] >= 1000]
    assert seg_rows and all(f"| {n:,} |" in md.read_text() for n in seg_rows)
    assert all(f"<td>{n:,}</td>" in text for n in seg_rows)
    assert "e+0" not in md.read_text() and "e+0" not in text
    assert not files["ledger"].exists()
    # --json prints the same document on standard output, as every command does
    capsys.readouterr()
    assert main(_run(files, "--no-ledger", "--json", table=path)) == 0
    assert json.loads(capsys.readouterr().out)["verdict"] == doc["verdict"]


def test_gate_conditions_parse_descriptions_and_aliases() -> None:
    gate = load_gate({"conditions": [
        "accuracy_diff > -0.01 (non-inferiority)",
        {"condition": "p_candidate_worse < 0.05", "description": "rarely worse"},
        "no_segment_worse"]})
    assert [c.name for c in gate.conditions] == [
        "accuracy_diff", "p_candidate_worse", "segments.n_significantly_worse"]
    assert gate.conditions[0].description == "non-inferiority"
    res = gate.evaluate({"accuracy_diff": -0.005, "p_candidate_worse": float("nan"),
                         "segments.n_significantly_worse": 0})
    assert [c.passed for c in res.conditions] == [True, False, True]


@pytest.mark.postgres
def test_history_on_a_postgres_ledger(files: dict[str, Path], postgres_url: str,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    for seed in range(2):
        args = _run(files, "--seed", str(seed), "--name", "pg")
        args[args.index("--ledger") + 1] = postgres_url
        assert main(args) == 0
    capsys.readouterr()
    assert main(["impact", "history", "--ledger", postgres_url, "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)["assessments"]
    assert len(rows) == 2
    with open_ledger(postgres_url) as ledger:
        docs = ledger.list_documents("impact_assessment")
    assert len(docs) == 2 and all(len(d["payload"]["data_fingerprint"]) == 64 for d in docs)


def test_an_observed_outcome_is_recorded_and_shown_beside_its_assessment(
        files: dict[str, Path], flights: pd.DataFrame, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    import numpy as np

    assert main(_run(files, "--name", "delays", "--json-output",
                     str(tmp_path / "pre.json"))) in (0, 1)
    rng = np.random.default_rng(0)
    outcome = flights.iloc[8000:12000].assign(
        arm=np.where(rng.random(4000) < 0.5, "new", "old"))
    outcome.to_csv(tmp_path / "outcome.csv", index=False)
    capsys.readouterr()
    assert main(["impact", "observe", "--data", str(tmp_path / "outcome.csv"), "--arm",
                 "arm", "--treatment", "new", "--value", "distance", "--predicted",
                 str(tmp_path / "pre.json"), "--ledger", str(files["ledger"]), "--name",
                 "delays", "--json"]) == 0
    seen = json.loads(capsys.readouterr().out)
    with open_ledger(files["ledger"], create=False) as ledger:
        [doc] = ledger.list_documents("impact_observation")
    assert doc["payload"]["name"] == "delays"
    assert doc["payload"]["plain"] == seen["plain"]
    assert main(["portfolio", "--ledger", str(files["ledger"]), "--json"]) == 0
    [a] = json.loads(capsys.readouterr().out)["impact"]
    assert a["name"] == "delays"
    assert a["observed"]["estimate"] == pytest.approx(seen["plain"]["estimate"])
    assert a["observed"]["covered"] is seen["prediction_covers"]
    # and the history counts the prediction checked against its outcome
    assert main(["impact", "history", "--ledger", str(files["ledger"]), "--json"]) == 0
    record = json.loads(capsys.readouterr().out)["predictions"]
    assert record["n"] == 1 and record["covered"] == int(seen["prediction_covers"])
    pre = json.loads((tmp_path / "pre.json").read_text())["result"]["value_diff"]
    assert record["mean_error"] == pytest.approx(seen["plain"]["estimate"] - pre["estimate"])
