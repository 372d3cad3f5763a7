"""The demo end to end, as a new user runs it, and what ``dataroi plan`` costs on it:
one read of the trials, at most two ledger connections, no write with ``--no-save``, and
the same answer as the report."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from dataroi.cli import main

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    folder = tmp_path_factory.mktemp("demo") / "dataroi-demo"
    import contextlib
    import io

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["demo", "--dir", str(folder), "--no-progress", "--jobs", "2"])
    assert code == 0, err.getvalue()
    return folder, out.getvalue(), err.getvalue()


def test_the_demo_prints_results_on_stdout_and_writes_the_report(demo):
    folder, out, err = demo
    # results on standard output; notes and the registration on standard error
    assert "recommendation" in out and "report:" in out
    assert "registered" in err and "recommendation" not in err
    html = (folder / "report.html").read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and "digits-demo" in html


def _dump(ledger: Path) -> list[str]:
    with sqlite3.connect(ledger) as conn:
        return list(conn.iterdump())


def test_plan_reads_once_opens_two_connections_and_writes_nothing(demo, capsys):
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    from dataroi.ledger import SQLLedger

    folder, _, _ = demo
    spec = folder / "demo.yaml"
    ledger = folder / ".dataroi" / "ledger.db"
    before = _dump(ledger)
    connects: list[int] = []
    reads: list[int] = []
    original = SQLLedger.get_trials

    def counting(self, *a, **k):
        reads.append(1)
        return original(self, *a, **k)

    def on_connect(*_):
        connects.append(1)

    event.listen(Engine, "connect", on_connect)
    try:
        SQLLedger.get_trials = counting
        assert main(["plan", str(spec), "--no-save", "--json"]) == 0
    finally:
        SQLLedger.get_trials = original
        event.remove(Engine, "connect", on_connect)
    plan = json.loads(capsys.readouterr().out)
    assert len(reads) == 1, "the trials are read once"
    assert len(connects) <= 2, f"{len(connects)} ledger connections"
    assert _dump(ledger) == before, "plan --no-save wrote to the ledger"
    # the same answer and reasons as the report the demo wrote
    assert main(["report", str(spec), "--json"]) == 0
    answer = json.loads(capsys.readouterr().out)["sections"]["answer"]
    assert answer["headline"] == plan["headline"]
    assert answer["reasons"] == plan["reasons"]
    # saving writes exactly one recommendation document
    assert main(["plan", str(spec)]) == 0
    capsys.readouterr()
    with sqlite3.connect(ledger) as conn:
        kinds = [k for (k,) in conn.execute("SELECT kind FROM documents")]
    assert kinds.count("recommendation") == 1 and "curve_fit" not in kinds


def test_a_trials_table_gives_the_decision_without_the_study(demo, capsys, tmp_path):
    folder, _, _ = demo
    spec = folder / "demo.yaml"
    trials = tmp_path / "trials.csv"
    assert main(["trials", str(spec), "-o", str(trials)]) == 0
    costs = tmp_path / "costs.yaml"
    import yaml

    raw = yaml.safe_load(spec.read_text())
    costs.write_text(yaml.safe_dump({"costs": raw["costs"], "decision": raw["decision"]}))
    capsys.readouterr()
    assert main(["plan", "--trials", str(trials), "--costs", str(costs), "--metric",
                 "accuracy", "--json"]) == 0
    from_table = json.loads(capsys.readouterr().out)
    assert main(["plan", str(spec), "--no-save", "--json"]) == 0
    from_study = json.loads(capsys.readouterr().out)
    # the same options and choice: the study only adds its test-set bootstrap and hashes
    assert from_table["chosen"]["model"] == from_study["chosen"]["model"]
    assert from_table["registration"] is None and from_study["registration"] is not None
    assert main(["value", "--trials", str(trials), "--metric", "accuracy", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["marginal_value"]["rows"]
