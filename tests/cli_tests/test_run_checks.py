"""``dataroi run`` on a real table (ISLR/Default): the data checks print on standard
error, one line each, before the first trial; results on standard output; a hard
problem is a one-line error (exit 2) and creates no ledger."""

from __future__ import annotations

import json

import numpy as np
import yaml

from dataroi.cli import main
from tests._default_table import default_spec, default_table, write_parquet


def _spec_file(tmp_path, frame, **extra):
    source = write_parquet(frame, tmp_path / "default.parquet")
    spec = default_spec(source, models={"lr": "sklearn.linear_model.LogisticRegression"},
                        schedule={"sizes": [50, 200], "repeats": 1, "seed": 0}, **extra)
    path = tmp_path / "study.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return str(path)


def test_warnings_on_stderr_before_the_first_trial_results_on_stdout(tmp_path, capsys):
    frame = default_table()
    frame["default_flag"] = frame["default"]  # a leaked copy of the target
    spec = _spec_file(tmp_path, frame)
    code = main(["run", spec, "--jobs", "1"])  # the progress lines go to stderr too
    out, err = capsys.readouterr()
    assert code == 0, err
    lines = err.splitlines()
    warned = [i for i, line in enumerate(lines) if line.startswith("warning: ")]
    assert [lines[i] for i in warned] == [
        "warning: leak? column 'default_flag' alone gives the class of 100.0 % of rows "
        "(always guessing the commonest class: 96.7 %); if it is known only with or after "
        "the label, leave it out with data.features",
        "warning: schedule: at 50 rows the rarest class 'Yes' has about 1-2 rows (3.3 % of "
        "the training pool); scores at that size will be noisy or undefined; start at 150 "
        "rows"]
    first_trial = next(i for i, line in enumerate(lines) if "trials (0 failed)" in line)
    assert max(warned) < first_trial
    assert "warning:" not in out and "2 completed and 0 failed" in out

    code = main(["run", spec, "--json"])  # nothing left to run: the checks still speak
    out, err = capsys.readouterr()
    assert code == 0 and json.loads(out)["warnings"][1].startswith("schedule: at 50 rows")
    assert err.count("warning: ") == 2


def test_a_hard_problem_is_one_line_exit_2_and_no_ledger(tmp_path, capsys):
    spec = _spec_file(tmp_path, default_table().assign(empty=np.nan), preprocess="none")
    code = main(["run", spec, "--jobs", "1"])
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    assert err.startswith("error: the data cannot be used as it is: column 'empty' (empty): "
                          "no model of the spec takes it: lr (ValueError: Input X contains "
                          "NaN")
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert not (tmp_path / ".dataroi").exists()


def test_a_misspelt_column_and_misspelt_models_in_one_message(tmp_path, capsys):
    source = write_parquet(default_table(dirty=False), tmp_path / "default.parquet")
    spec = default_spec(source, models={
        "lr": "sklearn.linear_model.LogisticRegresion",
        "hgb": "sklearn.ensemble.HistGradientBoostingClasifier"})
    spec["data"]["target"] = "defualt"
    path = tmp_path / "study.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    code = main(["run", str(path)])
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    assert err.startswith("error: invalid study spec: 3 problems"), err
    assert "column 'defualt' not found (did you mean 'default'?)" in err
    assert "did you mean 'sklearn.linear_model.LogisticRegression'?" in err
    assert "did you mean 'sklearn.ensemble.HistGradientBoostingClassifier'?" in err
    assert "Traceback" not in err
    assert not (tmp_path / ".dataroi" / "ledger.db").exists()
