"""The report's stress section on a real study with noise and acquisition arms and slices."""

from __future__ import annotations

import copy
import dataclasses
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from dataroi.report import SECTIONS
from dataroi.report._html import render_html
from dataroi.report._markdown import render_markdown
from tests.report_tests._studies import EVIL_MODEL, build_report

pytestmark = pytest.mark.slow  # a study fixture of tens of seconds

SCHEMA_PATH = Path(__file__).resolve().parents[2] / "docs" / "report-schema.json"
HINT = "add stress: (noise, prior, shift, acquisition) or slices: to the spec"
ARMS = ["lr", "lr[noise=0.1]", "lr[noise=0.2]", "lr[al=random]", "lr[al=margin]"]

STRESS_SPEC: dict[str, Any] = {
    "name": "digits-stress",
    "data": {"source": "sklearn:digits", "target": "target"},
    "models": {"lr": {"estimator": "sklearn.linear_model.LogisticRegression",
                      "params": {"max_iter": 300}}},
    "metrics": ["accuracy"],
    "schedule": {"sizes": [60, 120, 240], "repeats": 2, "seed": 0},
    "stress": {"noise": {"rates": [0.1, 0.2]},
               "acquisition": {"strategies": ["margin"], "batch_size": 30, "initial": 30}},
    "slices": {"column": "pixel_0_2", "min_test_rows": 5},
}


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    """The documented report schema."""
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def stress_study(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The digits study with noise and acquisition arms and slices, run once."""
    import dataroi

    folder = tmp_path_factory.mktemp("stress")
    spec_path = folder / "study.yaml"
    spec_path.write_text(yaml.safe_dump(STRESS_SPEC, sort_keys=False))
    study = dataroi.load_study(spec_path)
    study.run(jobs=1, progress=False)
    return study


@pytest.fixture(scope="module")
def stress_report(stress_study: Any) -> Any:
    """The report of the stress study."""
    return build_report(stress_study, n_draws=200)


def _validate(schema: dict[str, Any], doc: dict[str, Any]) -> None:
    """Assert that ``doc`` follows the schema (first errors in the message)."""
    errors = sorted(jsonschema.Draft202012Validator(schema).iter_errors(doc),
                    key=lambda e: list(e.path))
    assert not errors, [(list(e.path), e.message[:200]) for e in errors[:5]]


def test_stress_section_sits_between_marginal_value_and_diagnostics() -> None:
    keys = list(SECTIONS)
    assert keys.index("stress") == keys.index("marginal_value") + 1
    assert keys.index("diagnostics") == keys.index("stress") + 1


def test_json_has_groups_slices_and_validates(stress_report: Any, schema: dict) -> None:
    doc = json.loads(stress_report.to_json())
    _validate(schema, doc)
    st = doc["sections"]["stress"]
    assert st["errors"] == [] and not [m for m in doc["missing"] if m["section"] == "stress"]
    assert {g["kind"] for g in st["groups"]} == {"noise", "acquisition"}
    arms = [a["arm"] for g in st["groups"] for a in g["arms"]]
    assert sorted(arms) == sorted(ARMS)
    noise = next(g for g in st["groups"] if g["kind"] == "noise")
    scores = {a["arm"]: a["score"] for a in noise["arms"]}
    assert noise["n0"] == 240
    assert scores["lr"] > scores["lr[noise=0.1]"] > scores["lr[noise=0.2]"]
    assert st["statements"] and all(s in st["statements"] for g in st["groups"]
                                    for s in g["statements"])
    sl = st["slices"]
    assert sl["column"] == "pixel_0_2" and sl["n_train"] == 240
    assert sl["rows"] and {r["model"] for r in sl["rows"]} <= set(ARMS)
    assert all(r["n_test"] >= 5 and r["low"] <= r["pooled"] <= r["high"] for r in sl["rows"])
    assert sl["statements"]


def test_html_shows_arms_statements_and_slices(stress_report: Any) -> None:
    html = stress_report.to_html()
    start, end = html.index('<section id="stress">'), html.index('<section id="diagnostics">')
    part = html[start:end]
    assert "5. Stress tests and slices" in part
    for arm in ARMS:
        assert f'<td class="l">{arm}</td>' in part
    st = stress_report.document["sections"]["stress"]
    from markupsafe import escape

    for statement in st["statements"] + st["slices"]["statements"]:
        assert str(escape(statement)) in part
    assert "Slices of pixel_0_2 at 240 labels" in part and "90 % interval" in part


def test_markdown_shows_arms_escaped_and_statements(stress_report: Any) -> None:
    md = stress_report.to_markdown()
    heads = [line for line in md.splitlines() if line.startswith("## ")]
    assert "## 5. Stress tests and slices" in heads
    assert heads.index("## 5. Stress tests and slices") == heads.index(
        "## 4. Marginal value of labels") + 1
    assert "| lr\\[noise=0.1\\] |" in md and "| lr\\[al=margin\\] |" in md
    assert "| model | slice | test rows | raw | pooled | 90 % interval | shrinkage |" in md
    assert "<" not in md.replace("&lt;", "")


def test_hostile_names_are_escaped(stress_report: Any) -> None:
    doc = copy.deepcopy(stress_report.document)
    st = doc["sections"]["stress"]
    st["groups"][0]["arms"][0]["arm"] = EVIL_MODEL
    st["groups"][0]["statements"].append(f"{EVIL_MODEL} is worse")
    st["slices"]["rows"][0]["model"] = EVIL_MODEL
    html = render_html(doc)
    assert "<script" not in html.lower()
    assert html.count("&lt;script&gt;alert(&#39;m&#39;)&lt;/script&gt;&#34;q") >= 3
    md = render_markdown(doc)
    assert "<script" not in md and md.count("&lt;script&gt;") >= 3


def test_failed_analysis_shows_its_message(stress_study: Any, schema: dict) -> None:
    from dataroi.study import Study

    spec = stress_study.spec
    strict = dataclasses.replace(spec, slices=dataclasses.replace(
        spec.slices, min_test_rows=10**6))
    report = build_report(Study(strict, ledger=stress_study.ledger_url), n_draws=200)
    doc = report.document
    _validate(schema, doc)
    st = doc["sections"]["stress"]
    assert st["groups"] and st["slices"] is None
    (err,) = st["errors"]
    assert err["part"] == "slices" and "1000000" in err["message"]
    assert err["message"] in report.to_html().replace("&#39;", "'")
    assert "**slices:**" in report.to_markdown()


def test_spec_without_stress_has_no_stress_content(bare_study: Any, schema: dict) -> None:
    study, _ = bare_study
    report = build_report(study, n_draws=200)
    doc = report.document
    _validate(schema, doc)
    assert doc["section_order"] == list(SECTIONS)
    assert doc["sections"]["stress"] is None
    assert {"section": "stress", "message": HINT} in doc["missing"]
    html = report.to_html()
    part = html[html.index('<section id="stress">'):html.index('<section id="diagnostics">')]
    assert "<table" not in part and "To complete this section" in part
    assert "noise=" not in html and "Slices of" not in html
    md = report.to_markdown()
    assert "Slices of" not in md and "add stress: (noise, prior, shift, acquisition)" in md
