"""The portfolio of a ledger with real studies (iris, real scikit-learn models): every
figure against what the study itself says, the comparison, the pages and the command."""

from __future__ import annotations

import json

import pytest
import yaml

import dataroi
from dataroi.cli import main
from dataroi.ledger import open_ledger
from dataroi.portfolio import differences, read_portfolio, render_portfolio, study_file
from tests._specs import logreg_and_tree
from tests.conftest import iris_spec

COSTS = {"price_per_label_usd": 0.5, "value_per_point_usd": 100,
         "compute_price_per_hour_usd": 3.0}


@pytest.fixture(scope="module")
def ledger_with_studies(tmp_path_factory):
    folder = tmp_path_factory.mktemp("portfolio")
    url = f"sqlite:///{folder / 'ledger.db'}"
    paths = {}
    for name, repeats, models in (("iris-a", 2, logreg_and_tree()),
                                  ("iris-b", 3, {"logreg": logreg_and_tree()["logreg"]})):
        spec = iris_spec(name=name, models=models, costs=COSTS,
                         schedule={"sizes": [15, 40, 90], "repeats": repeats, "seed": 0})
        path = folder / f"{name}.yaml"
        path.write_text(yaml.safe_dump(spec, sort_keys=False))
        assert main(["run", str(path), "--ledger", url, "--no-progress", "--jobs", "1"]) == 0
        paths[name] = path
    assert main(["plan", str(paths["iris-a"]), "--ledger", url]) == 0
    return url, paths, folder


def test_every_figure_is_the_studys_own(ledger_with_studies):
    url, paths, _ = ledger_with_studies
    with open_ledger(url, create=False) as ledger:
        p = read_portfolio(ledger, ledger_url=ledger.url)
    assert {s.name for s in p.studies} == {"iris-a", "iris-b"}
    for name, path in paths.items():
        row = p.study(name)
        study = dataroi.load_study(path, ledger=url, build_models=False)
        st = study.status()
        assert row.trials_complete == st.counts["complete"]
        assert row.trials_failed == st.counts["failed"]
        trials = study.trials()
        cpu = trials.drop_duplicates("trial_id")["cpu_seconds"].sum()
        assert row.cpu_hours == pytest.approx(cpu / 3600)
        assert row.compute_usd == pytest.approx(cpu / 3600 * 3.0)
        with study.analyze() as analysis:
            curves = analysis.curves
            best = curves.best_today()
            assert row.best_model == best and row.best_n == curves.current_n
            assert row.best_score == pytest.approx(curves.observed_today(best))
        assert row.metric == "accuracy" and row.versions == 1 and row.improvement is None
        assert set(row.models) == {m.name for m in study.spec.models}
    a = p.study("iris-a")
    assert a.recommendation is not None and a.recommendations == 1
    assert a.recommendation["current_n"] == 90
    assert p.study("iris-b").recommendation is None


def test_the_comparison_shows_only_what_differs(ledger_with_studies):
    url, _, _ = ledger_with_studies
    with open_ledger(url, create=False) as ledger:
        p = read_portfolio(ledger)
    rows = {f: (x, y) for f, x, y in differences(p.study("iris-a"), p.study("iris-b"))}
    assert rows["spec.schedule.repeats"] == (2, 3)
    assert rows["name"] == ("iris-a", "iris-b")
    assert "spec.models.tree.estimator" in rows
    assert "spec.costs.price_per_label_usd" not in rows  # equal: left out
    assert "spec.data.source" not in rows and "metric" not in rows
    assert differences(p.study("iris-a"), p.study("iris-a")) == []


def test_the_page_lists_every_study_and_escapes_names(ledger_with_studies, tmp_path):
    url, _, _ = ledger_with_studies
    with open_ledger(url, create=False) as ledger:
        p = read_portfolio(ledger, ledger_url=ledger.url)
    html = render_portfolio(p)
    for s in p.studies:
        assert f'href="{study_file(s)}"' in html
    assert "script-src 'unsafe-inline'" in html and "connect-src" not in html
    assert "http://" not in html and "https://" not in html  # nothing to load
    # a study name with markup is text, in the table and in the embedded fields
    import dataclasses

    hostile = dataclasses.replace(p, studies=(dataclasses.replace(
        p.studies[0], name="<img src=x onerror=alert(1)>"), *p.studies[1:]))
    html = render_portfolio(hostile)
    assert "<img src=x" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


def test_the_command_writes_the_pages(ledger_with_studies, tmp_path, capsys):
    url, _, _ = ledger_with_studies
    out = tmp_path / "site" / "index.html"
    assert main(["portfolio", "--ledger", url, "-o", str(out)]) == 0
    pages = sorted((tmp_path / "site" / "studies").glob("*.html"))
    assert len(pages) == 2
    text = pages[0].read_text()
    assert "Learning curves, latest data" in text and "← portfolio" in text
    assert "iris-a" in out.read_text() and "iris-b" in out.read_text()
    capsys.readouterr()
    assert main(["portfolio", "--ledger", url, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {s["name"] for s in data["studies"]} == {"iris-a", "iris-b"}
    assert main(["portfolio", "--ledger", url, "--compare", "iris-a", "iris-b", "--json"]) == 0
    diff = json.loads(capsys.readouterr().out)
    assert {"field": "spec.schedule.repeats", "a": 2, "b": 3} in diff


def test_bad_input_gets_one_line_and_writes_nothing(ledger_with_studies, tmp_path, capsys):
    url, _, _ = ledger_with_studies
    capsys.readouterr()
    assert main(["portfolio", "--ledger", url, "-o", str(tmp_path / "x.pdf")]) == 2
    assert "--output must be an .html file" in capsys.readouterr().err
    assert main(["portfolio", "--ledger", url, "--compare", "iris-a", "iris-c"]) == 2
    err = capsys.readouterr().err
    assert "no study 'iris-c'" in err and "Traceback" not in err
    missing = tmp_path / "none.db"
    assert main(["portfolio", "--ledger", str(missing), "-o",
                 str(tmp_path / "index.html")]) == 2
    assert not missing.exists() and not (tmp_path / "index.html").exists()
    assert main(["serve", "--ledger", str(missing), "--port", "0"]) == 2
    assert not missing.exists()
    capsys.readouterr()
    import socket

    with socket.socket() as taken:  # a port in use: one line, exit 2, nothing served
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["serve", "--ledger", url, "--port", str(port)]) == 2
    err = capsys.readouterr().err
    assert f"cannot listen on 127.0.0.1:{port}" in err and "Traceback" not in err


def test_a_studys_page_gives_a_realized_value_with_its_interval(ledger_with_studies):
    from dataclasses import replace

    from dataroi.decide import FollowUp, check_forecasts
    from dataroi.portfolio import render_study
    from dataroi.spec import CostSpec

    url, _, _ = ledger_with_studies
    [check] = check_forecasts(
        chosen_model="logreg", current_model="logreg", today=0.80, n_then=2000,
        n_now=8000, forecasts={"logreg": (0.84, 0.85, 0.86, 0.87, 0.88)},
        measured={"logreg": (0.875, 0.004, 5)}, higher_is_better=True,
        costs=CostSpec(price_per_label_usd=0.1, value_per_point_usd=1000),
        test_sd={"logreg": 0.003})
    fu = FollowUp(study="iris-a", recommendation_id=1, made_at="2026-12-07 00:00:00",
                  first_step="keep logreg, label +6,000", metric="accuracy",
                  current_model="logreg", today=0.80, chosen_model="logreg",
                  planned_n=8000, chose_stay=False, n_then=2000, n_now=8000, checks=(check,))
    old = fu.to_dict()  # a follow-up recorded before the interval was kept
    for c in old["checks"]:
        del c["realized_net_q05_usd"], c["realized_net_q95_usd"]
    with open_ledger(url) as ledger:
        p = replace(read_portfolio(ledger), followups={"iris-a": (fu.to_dict(), old)})
    html = render_study(p, "iris-a")
    assert html.count("(90 %: $6,078 – $7,722)") == 1
    assert html.count("$6,900") == 2


def test_stress_arms_are_not_the_studys_models(tmp_path, capsys):
    # a study with a noise arm and an active-learning arm: the portfolio's best model
    # was once 'logreg[al=margin]', an acquisition simulation; a table of its trials
    # offered 'switch to logreg[noise=0.1]', a model trained on corrupted labels
    spec = iris_spec(name="iris-arms", costs=COSTS,
                     schedule={"sizes": [20, 40, 90], "repeats": 2, "seed": 0},
                     stress={"noise": {"rates": [0.2]},
                             "acquisition": {"strategies": ["margin"], "batch_size": 10,
                                             "initial": 10}})
    path = tmp_path / "arms.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    assert main(["run", str(path), "--ledger", url, "--no-progress", "--jobs", "1"]) == 0
    study = dataroi.load_study(path, ledger=url, build_models=False)
    trials = study.trials()
    arms = sorted({m for m in trials["model"] if "[" in m})
    assert arms == ["logreg[al=margin]", "logreg[al=random]", "logreg[noise=0.2]"]
    with open_ledger(url, create=False) as ledger:
        p = read_portfolio(ledger, ledger_url=ledger.url)
    row = p.study("iris-arms")
    assert row.models == ("logreg",) and row.best_model == "logreg"
    assert row.best_n == 90
    # a table of the same trials (`dataroi trials -o` → `dataroi plan --trials`)
    table = tmp_path / "trials.csv"
    costs = tmp_path / "costs.yaml"
    costs.write_text(yaml.safe_dump({"costs": COSTS}))
    assert main(["trials", str(path), "--ledger", url, "--format", "csv", "-o",
                 str(table)]) == 0
    capsys.readouterr()
    assert main(["plan", "--trials", str(table), "--costs", str(costs), "--metric",
                 "accuracy", "--no-save", "--json"]) == 0
    plan = json.loads(capsys.readouterr().out)
    assert {o["model"] for o in plan["options"]["options"]} == {"logreg"}
    note = next(n for n in plan["reasons"] if "stress arms" in n)
    assert "are not models to choose" in note and all(arm in note for arm in arms)
