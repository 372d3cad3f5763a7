"""``dataroi report --redact``: no column name or category value of the table in any
format of the report (text, tables, figures), pseudonyms in their place, and the same
pseudonyms every time."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from dataroi.cli import main
from dataroi.report import Redactor

COLUMNS = ("ZQXINCOME", "ZQXREGION", "ZQXCHURN")
VALUES = ("ZQXNORTH", "ZQXSOUTH", "ZQXSTAY", "ZQXLEAVE")


@pytest.fixture(scope="module")
def study(tmp_path_factory) -> Path:
    import dataroi

    folder = tmp_path_factory.mktemp("redact")
    rng = np.random.default_rng(0)
    n = 400
    region = rng.choice(["ZQXNORTH", "ZQXSOUTH"], n)
    income = rng.normal(50, 10, n) + (region == "ZQXNORTH") * 5
    p = 1 / (1 + np.exp(-(income - 52) / 5))
    churn = np.where(rng.random(n) < p, "ZQXLEAVE", "ZQXSTAY")
    pd.DataFrame({"ZQXINCOME": income, "ZQXREGION": region, "ZQXCHURN": churn}).to_csv(
        folder / "ZQXCLIENT.csv", index=False)
    # the study's and the file's names can say whose data it is: redacted too
    spec = {"name": "ZQXACME-churn", "data": {"source": "ZQXCLIENT.csv", "target": "ZQXCHURN"},
            "models": {"lr": "sklearn.linear_model.LogisticRegression",
                       "tree": "sklearn.tree.DecisionTreeClassifier"},
            "schedule": {"sizes": [40, 80, 160], "repeats": 2},
            "costs": {"price_per_label_usd": 1, "value_per_point_usd": 500},
            "slices": {"column": "ZQXREGION"}}
    (folder / "study.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    dataroi.load_study(folder / "study.yaml").run(jobs=1, progress=False)
    return folder / "study.yaml"


def _report(spec: Path, out: Path, *extra: str) -> str:
    assert main(["report", str(spec), "-o", str(out), *extra]) == 0
    return out.read_text(encoding="utf-8")


@pytest.mark.slow
@pytest.mark.parametrize("suffix", ["md", "json", "html"])
def test_a_redacted_report_names_no_column_and_no_value(study, tmp_path, suffix, capsys):
    plain = _report(study, tmp_path / f"plain.{suffix}")
    # the markers are there without --redact: the test can see them
    assert any(m in plain for m in (*COLUMNS, *VALUES))
    redacted = _report(study, tmp_path / f"r.{suffix}", "--redact")
    found = [m for m in (*COLUMNS, *VALUES, "ZQXACME", "ZQXCLIENT", str(study.parent))
             if m in redacted]
    assert not found, found
    assert "ZQXACME" in plain and "ZQXCLIENT" in plain
    assert f"dataroi report study.yaml -o r.{suffix}" in redacted and "--redact" in redacted
    assert "column_3" in redacted  # the target, by its position in the table
    if suffix == "json":
        doc = json.loads(redacted)
        assert doc["kind"] == json.loads(plain)["kind"]  # the structure is unchanged
    (tmp_path / "again").mkdir()
    again = _report(study, tmp_path / "again" / f"r.{suffix}", "--redact")
    if suffix != "html":  # stable pseudonyms (the HTML carries its build time)
        def strip(text: str) -> str:
            return "\n".join(line for line in text.splitlines()
                             if "generated" not in line and "seconds" not in line)

        assert strip(again).replace("again/", "") == strip(redacted)


def test_pseudonyms_are_positions_not_hashes():
    r = Redactor.for_table(["income", "region"], {"region": ["south", "north"]})
    assert dict(r.names) == {"income": "column_1", "region": "column_2",
                             "north": "column_2_v1", "south": "column_2_v2"}
    # numbers and the report's own short words stay; quoted short names do not
    r = Redactor.for_table(["no", "x1"], {"no": ["yes", "no", "3"]})
    assert r.text("no trial at n=3; column 'no' and x1") == \
        "no trial at n=3; column 'column_1' and column_2"
    assert r.document({"sections": {"a": {"x1": 1, "deep": {"x1": 2}}}}) == \
        {"sections": {"a": {"x1": 1, "deep": {"column_2": 2}}}}


def test_redact_needs_a_spec(tmp_path, capsys):
    trials = tmp_path / "t.csv"
    pd.DataFrame({"model": ["a"], "n_train": [10], "repeat": [0], "metric": ["accuracy"],
                  "value": [0.5]}).to_csv(trials, index=False)
    assert main(["report", "--trials", str(trials), "--redact", "-o",
                 str(tmp_path / "r.md")]) == 2
    assert "--redact needs the study's spec" in capsys.readouterr().err
    assert not (tmp_path / "r.md").exists()
