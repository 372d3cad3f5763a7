"""The report of real studies: sections, schema, formats, escaping, atomic writes, CLI."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import jsonschema
import pytest

from dataroi.cli import main
from dataroi.report import SCHEMA_VERSION, SECTIONS, write_report
from tests.report_tests._studies import EVIL_COLUMN, EVIL_MODEL, build_report

SCHEMA_PATH = Path(__file__).resolve().parents[2] / "docs" / "report-schema.json"


@pytest.fixture(scope="module")
def schema() -> dict:
    s = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(s)
    return s


@pytest.fixture(scope="module")
def full_report(full_study):
    study, spec_path = full_study
    return build_report(study, spec_path=str(spec_path), output="report.html", n_draws=500)


def _validate(schema: dict, doc: dict) -> None:
    errors = sorted(jsonschema.Draft202012Validator(schema).iter_errors(doc),
                    key=lambda e: list(e.path))
    assert not errors, [(list(e.path), e.message[:200]) for e in errors[:5]]


def test_schema_version_matches_the_documented_schema(schema):
    assert schema["properties"]["schema_version"]["pattern"].startswith(
        "^" + SCHEMA_VERSION.split(".")[0])
    assert schema["properties"]["section_order"]["const"] == list(SECTIONS)


def test_full_study_has_every_section_in_order(full_report, schema):
    doc = full_report.document
    _validate(schema, doc)
    assert doc["section_order"] == list(SECTIONS) == list(doc["sections"])
    # the iris study has no stress: or slices: (tests/report_tests/test_stress_section.py)
    absent = [k for k in SECTIONS if doc["sections"][k] is None]
    assert absent == ["stress"], doc["missing"]
    # four sizes are too few to hide one and refit: the report says what to add
    assert [m["section"] for m in doc["missing"]] == ["learning_curves", "stress"]
    assert "no backtest" in doc["missing"][0]["message"]
    assert "training sizes" in doc["missing"][0]["message"]
    assert doc["sections"]["learning_curves"]["backtest"] is None
    answer = doc["sections"]["answer"]
    assert answer["options"][0]["role"] == "recommended"
    assert answer["registration"]["status"] == "before_results"
    assert answer["rule"] == "expected_net" and answer["budget_usd"] == 2000
    lc = doc["sections"]["learning_curves"]
    assert [m["model"] for m in lc["models"]] == ["logreg", "tree"]
    assert lc["pool_size"] == 120 and lc["target"] == 0.97
    assert any(m["tipping"] is not None for m in lc["models"])
    mv = doc["sections"]["marginal_value"]
    assert mv["chart"]["break_even_per_1k"] > 0
    assert any(o["on_frontier"] for o in mv["frontier"]["options"])
    rep = doc["sections"]["reproducibility"]
    assert rep["command"].startswith("dataroi report ")
    assert rep["trial_counts"]["complete"] == 24
    assert rep["data"]["fingerprint"] == full_study_fingerprint(full_report)
    assert rep["environments"] and rep["environments"][0]["python"]


def full_study_fingerprint(report) -> str:
    return report.document["sections"]["answer"]["hashes"]["data_fingerprint"]


def test_report_recommendation_matches_dataroi_plan(full_study, full_report, capsys):
    from dataroi.cli import main

    study, spec_path = full_study
    with study.analyze(n_draws=500) as analysis:
        rec = analysis.recommend()
    answer = full_report.document["sections"]["answer"]
    assert answer["headline"] == rec.headline
    assert rec.headline.startswith(rec.first_step + ", because ") and rec.reason in rec.headline
    assert answer["hashes"]["trials"] == rec.hashes["trials"]
    assert answer["reasons"] == list(rec.reasons)
    # the command line gives the very same answer and reasons, saved or not
    assert main(["plan", str(spec_path), "--draws", "500", "--json", "--no-save"]) == 0
    planned = json.loads(capsys.readouterr().out)
    assert answer["headline"].startswith(planned["first_step"] + ", because ")
    assert planned["reasons"] == answer["reasons"]


def test_reproductions_appear(full_study):
    study, _ = full_study
    study.reproduce(sample=1)
    doc = build_report(study, n_draws=300).document
    reps = doc["sections"]["reproducibility"]["reproductions"]
    assert reps and reps[-1]["sample"] == 1 and reps[-1]["differing"] == 0


def test_html_is_self_contained(full_report):
    html = full_report.to_html()
    assert html.startswith("<!DOCTYPE html>")
    for key in SECTIONS:
        assert f'<section id="{key}">' in html
    for fig in ("fig-learning-curves", "fig-learning-curves-each", "fig-data-vs-model",
                "fig-marginal-value", "fig-cost-frontier"):
        assert f'<figure id="{fig}">' in html
    lowered = html.lower()
    assert "<script" not in lowered and "http://" not in lowered
    assert "https://" not in lowered and "@import" not in lowered
    assert "default-src 'none'" in html
    assert len(html.encode("utf-8")) < 2_000_000


def test_markdown_has_sections_and_tables(full_report):
    md = full_report.to_markdown()
    heads = [line for line in md.splitlines() if line.startswith("## ")]
    assert heads == [f"## {i}. {t}" for i, t in enumerate(SECTIONS.values(), start=1)]
    assert "| option | cost |" in md and "| --- | ---: |" in md
    assert "<" not in md.replace("&lt;", "")  # no raw HTML


def test_user_strings_are_escaped_everywhere(hostile_study, schema):
    report = build_report(hostile_study, n_draws=300)
    doc = report.document
    _validate(schema, doc)
    assert EVIL_MODEL in doc["study"]["models"]
    assert doc["sections"]["reproducibility"]["data"]["target"] == EVIL_COLUMN
    html = report.to_html()
    assert "<script" not in html.lower()
    assert "&lt;script&gt;alert(&#39;m&#39;)&lt;/script&gt;&#34;q" in html
    assert "la&#34;bel&lt;script&gt;alert(1)&lt;/script&gt;" in html
    md = report.to_markdown()
    assert "<script" not in md
    assert json.loads(report.to_json())["study"]["models"][0] == EVIL_MODEL
    # the failing model is reported, grouped by error, with what to do
    (group,) = doc["sections"]["diagnostics"]["failed_groups"]
    assert group["models"] == ["knn30"] and group["count"] == 2
    assert "n_neighbors" in group["message"] and "--retry-failed" in group["action"]


@pytest.mark.slow
def test_missing_inputs_are_named_not_fatal(bare_study, schema):
    study, _ = bare_study
    doc = build_report(study, n_draws=300).document
    _validate(schema, doc)
    s = doc["sections"]
    assert s["answer"] is None and s["data_vs_model"] is None
    assert s["learning_curves"] is not None and s["reproducibility"] is not None
    text = " ".join(m["message"] for m in doc["missing"])
    assert "costs:" in text and "decision:" in text and "second model" in text
    html = build_report(study, n_draws=300).to_html()
    assert "To complete this section" in html and '<section id="answer">' in html


def test_write_report_is_atomic(full_report, tmp_path):
    out = tmp_path / "sub" / "report.json"
    path = write_report(full_report, out)
    assert path == out and json.loads(out.read_text())["kind"] == "dataroi.report"
    from dataroi.exceptions import UsageError

    with pytest.raises(UsageError, match="format"):
        write_report(full_report, out, fmt="pdf")
    with pytest.raises(UsageError, match="ends in .json but the format asked for is html"):
        write_report(full_report, out, fmt="html")
    with pytest.raises(UsageError, match="cannot tell the report format"):
        write_report(full_report, tmp_path / "report.exe")
    assert not (tmp_path / "report.exe").exists()
    assert json.loads(out.read_text())["kind"] == "dataroi.report"  # old file intact
    assert sorted(os.listdir(out.parent)) == ["report.json"]  # no temporary file left


@pytest.mark.slow
def test_cli_report_formats(full_study, tmp_path, capsys, schema, monkeypatch):
    _, spec_path = full_study
    html = tmp_path / "r.html"
    t0 = time.perf_counter()
    assert main(["report", str(spec_path), "-o", str(html), "--draws", "300"]) == 0
    assert time.perf_counter() - t0 < 30
    assert html.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert "wrote" in capsys.readouterr().err
    assert main(["report", str(spec_path), "--format", "md", "--draws", "300"]) == 0
    assert capsys.readouterr().out.startswith("# dataroi report: iris-report")
    # -o - is standard output, as the usual convention has it, not a file named '-'
    monkeypatch.chdir(tmp_path)
    assert main(["report", str(spec_path), "--format", "md", "-o", "-", "--draws", "300"]) == 0
    assert capsys.readouterr().out.startswith("# dataroi report: iris-report")
    assert main(["report", str(spec_path), "-o", "-", "--draws", "300"]) == 0
    assert capsys.readouterr().out.startswith("<!DOCTYPE html>")
    assert not (tmp_path / "-").exists() and not (tmp_path / "report.html").exists()
    out = tmp_path / "r.json"
    assert main(["report", str(spec_path), "-o", str(out), "--draws", "300"]) == 0
    doc = json.loads(out.read_text())
    _validate(schema, doc)
    assert f"-o {out}" in doc["sections"]["reproducibility"]["command"]


def test_cli_report_errors(tmp_path, capsys, write_spec):
    from tests.conftest import iris_spec

    spec = write_spec(iris_spec())
    assert main(["report", str(spec)]) == 2  # never run: no ledger
    assert "error:" in capsys.readouterr().err
    assert main(["report", str(spec), "--draws", "5"]) == 2


def test_imports_stay_cheap():
    import subprocess
    import sys

    code = ("import sys, dataroi.plotting, dataroi.report, dataroi.cli._report; "
            "print(sorted(m for m in ('matplotlib', 'pandas', 'jinja2', 'sqlalchemy', "
            "'scipy') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "[]"


def test_rows_without_a_label_are_counted_apart_from_those_used(tmp_path, schema):
    """A study that drops unlabeled rows says how many of the rows it loaded it used:
    '64,814 rows, pool 29,435, test 7,359' did not add up (gss_abortion)."""
    import numpy as np
    import pandas as pd
    import yaml
    from sklearn.datasets import load_iris

    import dataroi

    x, y = load_iris(return_X_y=True)
    frame = pd.DataFrame(x, columns=["a", "b", "c", "d"]).assign(y=y.astype(float))
    frame.loc[::10, "y"] = np.nan  # 15 of 150 rows without a label
    frame.to_csv(tmp_path / "data.csv", index=False)
    spec = {"name": "unlabeled", "models": {"lr": "sklearn.linear_model.LogisticRegression"},
            "data": {"source": "data.csv", "target": "y", "drop_missing_target": True,
                     "task": "classification"},
            "metrics": ["accuracy"], "schedule": {"sizes": [30, 60], "repeats": 2, "seed": 0}}
    (tmp_path / "study.yaml").write_text(yaml.safe_dump(spec))
    study = dataroi.load_study(tmp_path / "study.yaml")
    study.run(jobs=1, progress=False)
    report = build_report(study, n_draws=200)
    data = report.document["sections"]["reproducibility"]["data"]
    assert data["n_rows"] == 150 and data["n_used"] == 135
    assert data["pool_size"] + data["test_size"] == 135
    _validate(schema, report.document)
    md = report.to_markdown()
    assert (f"150 rows (135 used: the others have no label; pool {data['pool_size']}, "
            f"test {data['test_size']})") in md
    html = build_report(study, n_draws=200).to_html()
    assert "(135 used: the others have no label)" in " ".join(html.split())
