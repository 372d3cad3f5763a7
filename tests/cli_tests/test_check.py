"""``dataroi check`` and the spec's ``contract:`` section on a real CSV study: every kind
of rule, exit codes, a run refused before anything is written, and what moved when the
data changed."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from dataroi.cli import main

CONTRACT = {
    "columns": {
        "id": {"dtype": "int", "unique": True},
        "x1": {"dtype": "float", "min": -10, "max": 10},
        "x2": {"dtype": "float", "max_missing_share": 0.05},
        "shop": {"allowed": ["north", "south"]},
        "y": {"allowed": ["a", "b"], "share": {"min": 0.1, "max": 0.9}},
        "ts": {"dtype": "datetime"},
        "note": {"required": False},
    },
    "rows": {"min": 100, "max": 10_000},
    "freshness": {"column": "ts", "max_age_days": 30, "now": "2026-12-01"},
    "strict": True,
}


def _table(n: int = 300) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame({
        "id": np.arange(n), "x1": rng.normal(size=n), "x2": rng.normal(size=n),
        "shop": rng.choice(["north", "south"], size=n),
        "y": rng.choice(["a", "b"], size=n, p=[0.7, 0.3]),
        "ts": pd.date_range("2026-11-20", periods=n, freq="h").astype(str)})


def _study(folder: Path, frame: pd.DataFrame, contract: dict | None = CONTRACT) -> Path:
    frame.to_csv(folder / "data.csv", index=False)
    spec = {"name": "shops", "data": {"source": "data.csv", "target": "y",
                                      "features": ["x1", "x2", "shop"]},
            "models": {"lr": "sklearn.linear_model.LogisticRegression"},
            "schedule": {"sizes": [40, 80], "repeats": 1}}
    if contract is not None:
        spec["contract"] = contract
    (folder / "study.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    return folder / "study.yaml"


def _check(capsys, spec: Path, *extra: str) -> tuple[int, str]:
    code = main(["check", str(spec), *extra])
    out, err = capsys.readouterr()
    return code, out + err


def _break(frame: pd.DataFrame, kind: str) -> pd.DataFrame:
    f = frame.copy()
    if kind == "dtype":
        f["id"] = f["id"].astype(str) + "x"
    elif kind == "range":
        f.loc[:4, "x1"] = 50.0
    elif kind == "allowed":
        f.loc[:2, "shop"] = "east"
    elif kind == "unique":
        f.loc[1, "id"] = 0
    elif kind == "nulls":
        f.loc[:30, "x2"] = np.nan   # 10 % missing, 5 % allowed
    elif kind == "share":
        f["y"] = ["a"] * (len(f) - 10) + ["b"] * 10   # b on 3 % of rows
    elif kind == "required":
        f = f.drop(columns=["shop"])
    elif kind == "rows":
        f = f.head(50)
    elif kind == "freshness":
        f["ts"] = pd.date_range("2026-01-01", periods=len(f), freq="h").astype(str)
    elif kind == "strict":
        f["extra"] = 1
    return f


MESSAGES = {
    "dtype": "column 'id': dtype must be int (here string)",
    "range": "column 'x1': above max",
    "allowed": "column 'shop': not among allowed", "unique": "column 'id': repeated values "
    "(unique: true) on",
    "nulls": "column 'x2': missing on more than 5.0% of rows (here 10.3%)",
    "share": "column 'y': a value's share of rows outside 10.0%-90.0% (here 'a' 96.7%, "
             "'b' 3.3%)",
    "required": "column 'shop': missing from the table",
    "rows": "a row count outside rows.min 100 .. rows.max 10,000 (here 50)",
    "freshness": "older than 30 days",
    "strict": "column 'extra': not in the contract",
}


def test_data_that_meet_the_contract_pass(tmp_path, capsys):
    spec = _study(tmp_path, _table())
    code, out = _check(capsys, spec)
    assert code == 0, out
    assert "the data meet the contract (10 rules, 300 rows)" in out
    assert "each value on 10.0%-90.0% of rows" in out
    assert "missing on at most 5.0% of rows" in out
    assert "no earlier run's data" in out
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data.csv", "study.yaml"]


@pytest.mark.parametrize("kind", sorted(MESSAGES))
def test_each_kind_of_rule_is_enforced(kind, tmp_path, capsys):
    spec = _study(tmp_path, _break(_table(), kind))
    code, out = _check(capsys, spec)
    assert code == 1, out
    assert out.startswith("data contract violated")
    assert MESSAGES[kind] in out
    code, out = _check(capsys, spec, "--json")
    doc = json.loads(out)
    assert code == 1 and doc["passed"] is False
    assert any(MESSAGES[kind] in p for p in doc["problems"])


def test_every_violation_is_listed_at_once_and_a_run_writes_nothing(tmp_path, capsys):
    frame = _break(_break(_table(), "range"), "allowed")
    spec = _study(tmp_path, frame)
    code, out = _check(capsys, spec)
    assert code == 1 and "(2 problems)" in out
    before = sorted(p.name for p in tmp_path.iterdir())
    code = main(["run", str(spec), "--jobs", "1"])
    err = capsys.readouterr().err
    assert code == 2
    assert "data contract violated" in err and "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # no ledger, no cache


def test_a_bad_contract_section_is_a_spec_error(tmp_path, capsys):
    spec = _study(tmp_path, _table(), {"columns": {"x1": {"dtyp": "float"},
                                                   "y": {"share": {"min": 2}}},
                                       "rows": {"min": -1}})
    code, out = _check(capsys, spec)
    assert code == 2
    for part in ("contract.columns.x1.dtyp: unknown rule",
                 "contract.columns.y.share: must be {min: s, max: s}",
                 "contract.rows.min: must be a non-negative integer"):
        assert part in out


@pytest.mark.slow
def test_check_says_what_moved_since_the_last_run(tmp_path, capsys):
    spec = _study(tmp_path, _table())
    assert main(["run", str(spec), "--jobs", "1"]) == 0
    capsys.readouterr()
    code, out = _check(capsys, spec)
    assert code == 0 and "the data are the version the last run used" in out
    moved = _table()
    moved["x1"] = moved["x1"] + 1.0
    moved.loc[:9, "x2"] = np.nan     # 3.3 % missing: within the contract
    moved["y"] = ["a", "b"] * (len(moved) // 2)
    moved.to_csv(tmp_path / "data.csv", index=False)
    code, out = _check(capsys, spec)
    assert code == 0, out
    assert "the data changed since the last run" in out
    assert "column 'x1': mean" in out and "sd)" in out
    assert "column 'x2': missing 0.0% → 3.3%" in out
    assert "column 'y': shares moved by" in out
    # the summaries are aggregates: no row of the table is in them
    text = "".join(p.read_text() for p in (tmp_path / ".dataroi").rglob("*.json")
                   if "column-summaries" in str(p))
    assert text and "2026-11-20" not in text


def test_check_compares_with_this_studys_last_run_not_a_neighbours(tmp_path, capsys):
    """Two studies in one folder share the column summaries' cache: a study never run
    has no earlier data, whatever its neighbour ran on (it said 'the data changed since
    the last run' against the other study's data)."""
    spec = _study(tmp_path, _table())
    assert main(["run", str(spec), "--jobs", "1"]) == 0
    other = _table(280)
    other.to_csv(tmp_path / "other.csv", index=False)
    raw = yaml.safe_load(spec.read_text())
    raw["name"], raw["data"]["source"] = "shops-2", "other.csv"
    (tmp_path / "other.yaml").write_text(yaml.safe_dump(raw, sort_keys=False))
    capsys.readouterr()
    code, out = _check(capsys, tmp_path / "other.yaml")
    assert code == 0 and "no earlier run's data to compare with" in out
    code, out = _check(capsys, spec)            # the first study still reads its own
    assert code == 0 and "the data are the version the last run used" in out


def test_check_says_which_rows_a_run_drops(tmp_path, capsys):
    frame = _table()
    frame.loc[:9, "y"] = np.nan                     # 10 rows without a label
    spec = _study(tmp_path, frame, contract=None)
    raw = yaml.safe_load(spec.read_text())
    raw["data"]["drop_missing_target"] = True       # as `dataroi init` writes it,
    raw["data"]["task"] = "classification"          # with the task named
    spec.write_text(yaml.safe_dump(raw, sort_keys=False))
    code, out = _check(capsys, spec)
    left = len(frame) - 10
    assert code == 0 and f"note: dropped 10 rows with a missing target ({left} rows left)" in out
    code, out = _check(capsys, spec, "--json")
    assert json.loads(out)["notes"] == [f"dropped 10 rows with a missing target ({left} rows left)"]


def test_check_without_the_last_runs_summary_says_it_cannot_tell(tmp_path, capsys):
    """A ledger that knows a run whose column summary is not in this folder (copied
    from another machine, or the cache cleared) still says the data changed."""
    import shutil

    spec = _study(tmp_path, _table())
    assert main(["run", str(spec), "--jobs", "1"]) == 0
    shutil.rmtree(tmp_path / ".dataroi" / "cache" / "column-summaries")
    moved = _table()
    moved["x1"] = moved["x1"] + 1.0
    moved.to_csv(tmp_path / "data.csv", index=False)
    capsys.readouterr()
    code, out = _check(capsys, spec)
    assert code == 0 and "the data changed since the last run" in out
    assert "what moved cannot be said: that run's column summary is not in" in out
    code, out = _check(capsys, spec, "--json")
    assert json.loads(out)["moved"] is None


def test_check_runs_the_data_checks_a_run_makes_first(tmp_path, capsys):
    # `check` said "the data load and pass dataroi's checks" without running them
    spec = _study(tmp_path, _table(), contract=None)
    code, out = _check(capsys, spec)
    assert code == 0 and "the data load and pass dataroi's checks (300 rows)" in out
    raw = yaml.safe_load(spec.read_text())
    raw["schedule"]["sizes"] = [6, 80]  # about 2 rows of 'b' in the smallest subset
    spec.write_text(yaml.safe_dump(raw, sort_keys=False))
    code, out = _check(capsys, spec)
    text = " ".join(out.split())
    assert code == 0 and "dataroi's checks found 1 thing to look at:" in text, out
    assert "warning: schedule: at 6 rows the rarest class 'b' has about" in text
    code, out = _check(capsys, spec, "--json")
    assert json.loads(out)["warnings"][0].startswith("schedule: at 6 rows")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data.csv", "study.yaml"]


def test_check_refuses_sizes_a_run_would_refuse(tmp_path, capsys):
    # a schedule beyond the training pool: `run` refuses it, so `check` must not pass it
    spec = _study(tmp_path, _table(), contract=None)
    text = yaml.safe_load(spec.read_text())
    text["schedule"]["sizes"] = [40, 5000]
    spec.write_text(yaml.safe_dump(text, sort_keys=False))
    code, said = _check(capsys, spec)
    assert code == 2
    assert "schedule: sizes [5000] exceed the training pool of 240 rows" in said
    assert "the data load" not in said
