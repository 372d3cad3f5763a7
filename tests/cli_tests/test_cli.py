"""The command line: exit codes, one-line errors, nothing written on bad input."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

from dataroi.cli import main
from dataroi.spec import load_spec
from tests.conftest import iris_spec


def _run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _assert_one_line_error(err: str, pattern: str) -> None:
    lines = [ln for ln in err.strip().splitlines() if ln.strip()]
    assert lines[0].startswith("error: "), err
    assert pattern in err, err
    assert "Traceback" not in err


def test_run_says_its_notes_before_the_first_trial(capsys, write_spec):
    spec = write_spec(iris_spec())
    code, _, err = _run(capsys, "run", str(spec), "--jobs", "1")
    assert code == 0, err
    lines = err.splitlines()  # not a terminal: the progress is log lines
    start = lines.index("iris: 6 trials to run")
    notes = [i for i, ln in enumerate(lines) if ln.startswith("note: ")]
    assert notes and max(notes) < start
    assert lines[-1].startswith("iris: 6/6 trials (0 failed)")


def test_run_status_trials_and_exit_codes(capsys, write_spec, tmp_path):
    spec = write_spec(iris_spec())
    code, out, err = _run(capsys, "run", str(spec), "--jobs", "1", "--no-progress")
    assert code == 0, err
    # results on standard output, notes on standard error
    assert "6 completed and 0 failed" in out and "note: task: classification" in err
    code, out, _ = _run(capsys, "run", str(spec), "--no-progress", "--json")
    assert code == 0 and json.loads(out)["already_done"] == 6
    code, out, _ = _run(capsys, "status", str(spec))
    assert code == 0 and "complete" in out
    code, out, _ = _run(capsys, "status", str(spec), "--json")
    assert code == 0 and json.loads(out)["counts"]["complete"] == 6
    assert json.loads(out)["adaptive"] is None  # never run adaptively
    code, out, _ = _run(capsys, "trials", str(spec), "--format", "csv")
    frame = pd.read_csv(io.StringIO(out))
    assert code == 0 and len(frame) == 12
    assert {"model", "n_train", "repeat", "seed", "metric", "value", "fit_seconds"} <= set(
        frame.columns)
    code, out, _ = _run(capsys, "trials", str(spec), "--format", "json")
    assert code == 0 and len(json.loads(out)) == 12
    target = tmp_path / "out" / "trials.csv"
    assert _run(capsys, "trials", str(spec), "-o", str(target))[0] == 2  # no such folder
    assert not target.parent.exists()
    target.parent.mkdir()
    assert _run(capsys, "trials", str(spec), "-o", str(target))[0] == 0
    assert len(pd.read_csv(target)) == 12
    code, out, _ = _run(capsys, "trials", str(spec), "-o", "-")   # -: standard output
    assert code == 0 and len(pd.read_csv(io.StringIO(out))) == 12
    assert not (Path.cwd() / "-").exists()
    code, out, _ = _run(capsys, "reproduce", str(spec), "--sample", "2")
    assert code == 0 and "2 of 2 trials reproduced exactly" in out
    code, out, _ = _run(capsys, "trials", str(spec), "--json")
    assert code == 0 and len(json.loads(out)) == 12


def test_failed_trials_make_exit_code_1(capsys, write_spec):
    spec = write_spec(iris_spec(schedule={"sizes": [1, 30], "repeats": 1}))
    code, out, _ = _run(capsys, "run", str(spec), "--jobs", "1", "--no-progress")
    assert code == 1
    assert "failed trials, grouped by error" in out and "ValueError" in out


@pytest.mark.parametrize("mutate, message", [
    (lambda s: s.update(modles=s.pop("models")), "did you mean 'models'?"),
    (lambda s: s["data"].update(target="nope"), "column 'nope' not found"),
    (lambda s: s.update(schedule={"sizes": [50, 5000], "repeats": 1}),
     "exceed the training pool of 120 rows"),
    (lambda s: s.update(models={"m": "sklearn.linear_model.Nope"}), "has no attribute 'Nope'"),
    (lambda s: s.update(models={"m": {"estimator": "sklearn.svm.SVC",
                                      "params": {"C": -1}}}), "models.m.params"),
    (lambda s: s.update(metrics=["roc_auc"], data={"source": "sklearn:diabetes"}),
     "'roc_auc' is a classification metric but the task is regression"),
])
def test_bad_input_is_one_line_exit_2_and_writes_nothing(capsys, write_spec, tmp_path,
                                                         mutate, message):
    raw = iris_spec()
    mutate(raw)
    spec = write_spec(raw)
    code, _, err = _run(capsys, "run", str(spec), "--no-progress")
    assert code == 2
    _assert_one_line_error(err, message)
    assert not (tmp_path / ".dataroi").exists()


def test_yaml_errors_and_missing_file(capsys, write_spec, tmp_path):
    code, _, err = _run(capsys, "run", str(tmp_path / "missing.yaml"))
    assert code == 2
    _assert_one_line_error(err, "spec file not found")
    spec = write_spec("name: x\nmodels: [\n")
    code, _, err = _run(capsys, "run", str(spec))
    assert code == 2
    _assert_one_line_error(err, "YAML syntax error at line")
    spec = write_spec("!!python/object/new:os.system [ls]\n")
    code, _, err = _run(capsys, "run", str(spec))
    assert code == 2
    _assert_one_line_error(err, "tag refused")


def test_debug_shows_the_traceback(capsys, tmp_path):
    code, _, err = _run(capsys, "--debug", "run", str(tmp_path / "missing.yaml"))
    assert code == 2 and "Traceback" in err


def test_a_file_that_is_not_a_ledger_is_refused_and_untouched(capsys, write_spec, tmp_path):
    spec = write_spec(iris_spec())
    fake = tmp_path / "notes.db"
    fake.write_text("my notes, not a database\n" * 20)
    before = fake.read_bytes()
    code, _, err = _run(capsys, "run", str(spec), "--ledger", str(fake), "--no-progress")
    assert code == 2
    _assert_one_line_error(err, "is not a dataroi ledger")
    assert fake.read_bytes() == before


def test_usage_errors_exit_2(capsys, write_spec):
    assert _run(capsys, "frobnicate")[0] == 2
    assert _run(capsys, "run")[0] == 2
    spec = write_spec(iris_spec())
    code, _, err = _run(capsys, "run", str(spec), "--jobs", "0")
    assert code == 2 and "--jobs must be at least 1" in err
    code, _, err = _run(capsys, "run", str(spec), "--ledger", "mysql://x/y")
    assert code == 2 and "unsupported ledger URL" in err


def test_init_writes_a_template_that_validates_once_pointed_at_data(capsys, tmp_path):
    target = tmp_path / "study.yaml"
    assert _run(capsys, "init", str(target))[0] == 0
    assert _run(capsys, "init", str(target))[0] == 2  # no silent overwrite
    raw = yaml.safe_load(target.read_text())
    raw["data"] = {"source": "sklearn:breast_cancer", "target": "target"}
    target.write_text(yaml.safe_dump(raw, sort_keys=False))
    spec = load_spec(target)
    assert [m.name for m in spec.models] == ["logreg", "hgb"]
    assert spec.metrics[0] == "accuracy"


def test_ledger_upgrade_command(capsys, tmp_path):
    from dataroi.ledger import upgrade_ledger
    from dataroi.ledger._open import HEAD_REVISION

    code, _, err = _run(capsys, "ledger", "upgrade", str(tmp_path / "new.db"))
    assert code == 2 and "nothing to upgrade" in err and not (tmp_path / "new.db").exists()
    assert upgrade_ledger(tmp_path / "new.db") == (None, HEAD_REVISION)  # the API creates
    code, out, _ = _run(capsys, "ledger", "upgrade", str(tmp_path / "new.db"))
    assert code == 0 and f"already at schema {HEAD_REVISION}; nothing to do" in out


def test_console_script_is_installed_and_reports_version():
    exe = Path(sys.executable).parent / "dataroi"
    result = subprocess.run([str(exe), "--version"], capture_output=True, text=True,
                            check=False)
    assert result.returncode == 0 and result.stdout.startswith("dataroi ")


def test_import_dataroi_is_cheap():
    code = ("import sys, dataroi; heavy = [m for m in ('pandas', 'sqlalchemy', 'sklearn', "
            "'matplotlib', 'scipy') if m in sys.modules]; print(','.join(heavy))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == ""


def test_every_help_text_reads_as_written():
    """argparse %-formats a help string but not a description (unless it names
    %(prog)s): '%%' written in a description was printed as '%%'."""
    import argparse

    from dataroi.cli._main import _parser

    def walk(parser: argparse.ArgumentParser):
        yield parser
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for sub in action.choices.values():
                    yield from walk(sub)

    parsers = list(walk(_parser()))
    assert len(parsers) > 20                        # every command and sub-command
    for p in parsers:
        text = p.format_help()
        assert "%%" not in text and "%(" not in text, p.prog
