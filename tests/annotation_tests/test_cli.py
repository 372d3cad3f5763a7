"""``dataroi annotations``: readable tables, JSON, one-line errors with exit code 2."""

from __future__ import annotations

import json

import numpy as np

from dataroi.cli import main

from .conftest import simulate


def _run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_table_output(capsys, tmp_path):
    sim = simulate(n_items=120, seed=2)
    items = sim.frame["item"].str[4:].astype(int).to_numpy()
    frame = sim.frame.rename(columns={"item": "doc", "label": "y"})
    frame["truth"] = np.where(items % 2 == 0, sim.truth[items], np.nan)
    path = tmp_path / "labels.csv"
    frame.to_csv(path, index=False)
    code, out, err = _run(capsys, "annotations", str(path), "--item", "doc", "--label", "y",
                          "--gold", "truth", "--boot", "100", "--boot-ds", "10")
    assert code == 0, err
    for text in ("Fleiss' kappa", "Krippendorff's alpha", "Cohen's kappa (mean pairwise)",
                 "annotators", "label-noise rate", "noise rate of one annotation",
                 "from gold", "items worth another opinion", "ann0"):
        assert text in out, text
    assert "[bold]" not in out and "[/]" not in out  # markup is styled, not printed


def test_names_in_brackets_print_as_they_are(capsys, tmp_path):
    # an annotator's name, an item and a label are the user's text, not Rich markup
    frame = simulate(n_items=60, seed=4).frame
    frame["annotator"] = "[" + frame["annotator"] + "]"
    frame["label"] = "[bold]" + frame["label"].astype(str)
    path = tmp_path / "labels.csv"
    frame.to_csv(path, index=False)
    code, out, err = _run(capsys, "annotations", str(path), "--boot", "20", "--boot-ds", "5")
    assert code == 0, err
    assert "[ann0]" in out and "[bold]" in out


def test_json_output(capsys, tmp_path):
    path = tmp_path / "labels.parquet"
    simulate(n_items=80, seed=3).frame.to_parquet(path)
    code, out, _ = _run(capsys, "annotations", str(path), "--json", "--boot", "50",
                        "--boot-ds", "5", "--items")
    assert code == 0
    data = json.loads(out)
    assert data["n_items"] == 80 and len(data["items"]) == 80
    assert data["noise_rate"]["source"] == "dawid_skene"
    assert {a["statistic"] for a in data["agreement"]} == {
        "cohen_kappa", "fleiss_kappa", "krippendorff_alpha"}


def test_bad_input_is_one_line_and_exit_2(capsys, tmp_path):
    path = tmp_path / "labels.csv"
    path.write_text("item,annotator,label\n1,a,x\n1,a,y\n")
    code, out, err = _run(capsys, "annotations", str(path))
    assert code == 2 and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "repeat an (item" in err
    code, _, err = _run(capsys, "annotations", str(path), "--label", "nope")
    assert code == 2 and "no label column 'nope'" in err and "Traceback" not in err
    code, _, err = _run(capsys, "annotations", str(tmp_path / "none.csv"))
    assert code == 2 and "not found" in err
    code, _, err = _run(capsys, "annotations", str(path), "--boot", "-1")
    assert code == 2 and "--boot must be >= 0" in err


def test_one_annotator_without_gold_gets_no_noise_rate_and_says_what_to_add(capsys,
                                                                          tmp_path):
    # Dawid–Skene fits a lone annotator to itself: it said "noise rate 0.001", which
    # `dataroi stress --annotations` then took as today's noise (and failed on)
    sim = simulate(n_items=80, seed=5)
    one = sim.frame[sim.frame["annotator"] == "ann0"]
    path = tmp_path / "one.csv"
    one.to_csv(path, index=False)
    code, out, err = _run(capsys, "annotations", str(path), "--boot", "20", "--boot-ds", "5")
    assert code == 0, err
    flat = " ".join(out.split())
    assert "noise rate of one annotation for noise curves: cannot be estimated" in flat
    assert ("note: every item has one label (one annotator): how often an annotation is "
            "wrong cannot be estimated without a second label of some items or gold "
            "labels") in flat
    code, out, _ = _run(capsys, "annotations", str(path), "--json", "--boot", "20",
                        "--boot-ds", "5")
    assert json.loads(out)["noise_rate"]["rate"] is None
    # with gold labels the rate is measured against them
    gold = one.assign(truth=sim.truth[one["item"].str[4:].astype(int).to_numpy()])
    gold.to_csv(path, index=False)
    code, out, err = _run(capsys, "annotations", str(path), "--gold", "truth", "--boot", "20",
                          "--boot-ds", "5")
    assert code == 0, err
    assert "from gold" in out and "cannot be estimated" not in out
    assert "the noise rate is measured against the gold labels" in " ".join(out.split())
