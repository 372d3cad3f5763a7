"""Reading a study runs none of its code: a spec's models are Python (``estimator:``
imports a module, ``factory:`` calls a function), so only ``run``, ``reproduce`` and
``demo`` may import them; ``status``, ``trials``, ``value``, ``plan``, ``report`` and
``register`` read the ledger and the spec's text only."""

from __future__ import annotations

import sys

import pytest
import yaml

from dataroi.cli import main

_MODULE = '''
import pathlib
pathlib.Path(__file__).with_name("IMPORTED").write_text("imported")

from sklearn.linear_model import LogisticRegression as Thing


def make():
    pathlib.Path(__file__).with_name("CALLED").write_text("called")
    return Thing(max_iter=300)
'''


@pytest.fixture
def marked_study(tmp_path, monkeypatch):
    """A finished study whose two models (a factory and an estimator of a module next to
    the spec) leave a marker file when their module is imported or the factory called."""
    (tmp_path / "marked_models.py").write_text(_MODULE)
    spec = {"name": "marked", "data": {"source": "sklearn:iris", "target": "target"},
            "models": {"made": {"factory": "marked_models:make"},
                       "named": {"estimator": "marked_models.Thing",
                                 "params": {"max_iter": 300}}},
            "metrics": ["accuracy"], "schedule": {"sizes": [20, 40, 80], "repeats": 2},
            "costs": {"price_per_label_usd": 1, "value_per_point_usd": 100}}
    (tmp_path / "study.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    monkeypatch.chdir(tmp_path)
    assert main(["run", "study.yaml", "--jobs", "1", "--no-progress"]) == 0
    assert (tmp_path / "IMPORTED").exists() and (tmp_path / "CALLED").exists()  # running does
    yield tmp_path
    sys.modules.pop("marked_models", None)


@pytest.mark.parametrize("argv", [
    ["status", "study.yaml"], ["status", "study.yaml", "--check-data"],
    ["trials", "study.yaml"], ["value", "study.yaml", "--draws", "200"],
    ["plan", "study.yaml", "--draws", "200", "--no-save"],
    ["report", "study.yaml", "-o", "r.html", "--draws", "200"],
    ["report", "study.yaml", "--format", "md", "--draws", "200"],
    ["register", "study.yaml"],
], ids=lambda a: " ".join(a[:1] + a[2:3]))
def test_reading_commands_import_and_call_no_model_code(marked_study, argv, capsys):
    for marker in ("IMPORTED", "CALLED"):
        (marked_study / marker).unlink()
    sys.modules.pop("marked_models", None)  # an import now would run the module again
    code = main(argv)
    err = capsys.readouterr().err
    assert code in (0, 2), err  # register refuses after the run; that is no code run
    assert not (marked_study / "IMPORTED").exists(), f"{argv[0]} imported the models' module"
    assert not (marked_study / "CALLED").exists(), f"{argv[0]} called the factory"
    assert "marked_models" not in sys.modules
