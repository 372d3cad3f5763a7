"""Model factories on a real table: a factory module beside the spec imports without
PYTHONPATH (also in worker processes), editing it re-runs only its model's trials,
``--rerun`` runs a model again on purpose, and a misspelt path says what exists."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import uuid
from collections import Counter
from pathlib import Path

import pytest
import yaml

from dataroi.cli import main
from dataroi.ledger import open_ledger
from dataroi.spec import load_spec
from tests._specs import IRIS_DATA, LOGREG

FACTORY = """\
from sklearn.linear_model import LogisticRegression


def make(C=1.0):
    return LogisticRegression(C=C, max_iter=500)
"""


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _project(folder: Path, *, marker: Path | None = None) -> tuple[Path, str]:
    """A spec with a factory model (its module beside the spec) and a library model;
    2 sizes × 2 repeats. Returns the spec's path and the factory module's name."""
    folder.mkdir(parents=True, exist_ok=True)
    module = f"my_models_{uuid.uuid4().hex[:8]}"
    body = FACTORY if marker is None else (
        f"open({str(marker)!r}, 'a').write('imported\\n')\n" + FACTORY)
    (folder / f"{module}.py").write_text(body)
    spec = {"name": "factories", "data": dict(IRIS_DATA),
            "models": {"mine": {"factory": f"{module}:make", "params": {"C": 0.5}},
                       "lr": dict(LOGREG)},
            "schedule": {"sizes": [30, 60], "repeats": 2, "seed": 0}}
    path = folder / "study.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return path, module


def _rows(spec: Path) -> Counter[str]:
    """Every trial row in the ledger per model (superseded ones too)."""
    with open_ledger(spec.parent / ".dataroi" / "ledger.db", create=False) as ledger:
        study_id = ledger.get_study_id("factories")
        rows: Counter[str] = Counter()
        for ctx in ledger.list_contexts(study_id):
            rows.update(s.key.model for s in ledger.get_trials(ctx["context_id"]))
    return rows


def _summary(capsys, *argv: str) -> dict:
    code, out, err = _run(capsys, "run", *argv, "--no-progress", "--json")
    assert code == 0, err
    return json.loads(out)


@pytest.mark.slow
def test_a_factory_beside_the_spec_runs_and_editing_it_reruns_only_its_model(capsys,
                                                                           tmp_path):
    spec, module = _project(tmp_path / "project")
    # no PYTHONPATH: the spec's folder is importable, here and in 2 worker processes
    first = _summary(capsys, str(spec), "--jobs", "2")
    assert (first["completed"], first["failed"]) == (8, 0), first
    assert _summary(capsys, str(spec), "--jobs", "2")["already_done"] == 8

    # editing the factory re-runs that model's trials only
    path = spec.parent / f"{module}.py"
    path.write_text(path.read_text().replace("max_iter=500", "max_iter=400"))
    second = _summary(capsys, str(spec), "--jobs", "2")
    assert (second["completed"], second["already_done"]) == (4, 4), second
    assert _rows(spec) == {"mine": 8, "lr": 4}

    # moving the project folder (same content) re-runs nothing
    moved = shutil.copytree(spec.parent, tmp_path / "moved")
    assert _summary(capsys, str(moved / "study.yaml"), "--jobs", "1")["already_done"] == 8


def test_the_model_identity_is_the_same_in_every_process_and_reading_runs_no_code(
        capsys, tmp_path):
    marker = tmp_path / "imported.txt"
    spec, module = _project(tmp_path / "project", marker=marker)
    # reading commands hash the factory's file but import none of it
    code, out, err = _run(capsys, "status", str(spec), "--json")
    assert code == 0, err
    assert json.loads(out)["counts"]["not planned yet"] == 8
    assert not marker.exists() and module not in sys.modules

    here = load_spec(spec).model_hash("mine")
    code = ("import sys; from dataroi.spec import load_spec; "
            "print(load_spec(sys.argv[1]).model_hash('mine'))")
    there = subprocess.run([sys.executable, "-c", code, str(spec)], capture_output=True,
                           text=True, check=True, cwd=tmp_path).stdout.strip()
    assert here == there
    assert load_spec(spec).model_hash("lr") != here
    assert not marker.exists()


def test_rerun_runs_a_model_again_and_keeps_its_old_trials(capsys, tmp_path):
    spec, _ = _project(tmp_path / "project")
    assert _summary(capsys, str(spec), "--jobs", "1")["completed"] == 8

    code, out, err = _run(capsys, "run", str(spec), "--jobs", "1", "--no-progress",
                          "--rerun", "lr")
    assert code == 0, err
    assert "4 completed" in out and "4 already finished" in out
    assert "--rerun lr: its 4 finished trials stay in the ledger, superseded" in " ".join(
        err.split())
    assert _rows(spec) == {"mine": 4, "lr": 8}
    # the re-run is the model's identity from now on: nothing runs again by itself
    assert _summary(capsys, str(spec), "--jobs", "1")["already_done"] == 8
    code, out, _ = _run(capsys, "status", str(spec), "--json")
    assert json.loads(out)["counts"]["complete"] == 8

    # repeatable and comma-separated
    again = _summary(capsys, str(spec), "--jobs", "1", "--rerun", "lr,mine")
    assert again["completed"] == 8
    assert _rows(spec) == {"mine": 8, "lr": 12}


def test_an_unknown_rerun_model_is_one_line_and_writes_nothing(capsys, tmp_path):
    spec, _ = _project(tmp_path / "project")
    code, _, err = _run(capsys, "run", str(spec), "--no-progress", "--rerun", "lrr")
    assert code == 2
    assert err.strip().splitlines() == [
        "error: --rerun: 'lrr' is not a model of the study (did you mean 'lr'?); "
        "models: mine, lr"]
    assert not (spec.parent / ".dataroi").exists()


@pytest.mark.parametrize(("model", "message"), [
    ("sklearn.linear_model.LogisticRegresion",
     "did you mean 'sklearn.linear_model.LogisticRegression'?"),
    ("sklearn.linear_modle.LogisticRegression",
     "did you mean 'sklearn.linear_model.LogisticRegression'?"),
    ("{module_typo}:make", "did you mean '{module}:make'?"),
    ("{module}:mkae", "did you mean '{module}:make'?"),
])
def test_a_misspelt_import_path_is_one_line_with_did_you_mean(capsys, tmp_path, model,
                                                               message):
    spec, module = _project(tmp_path / "project")
    raw = yaml.safe_load(spec.read_text())
    typo = module.replace("models", "modles")
    raw["models"]["lr"] = model.format(module=module, module_typo=typo)
    spec.write_text(yaml.safe_dump(raw, sort_keys=False))
    code, _, err = _run(capsys, "run", str(spec), "--no-progress")
    assert code == 2
    lines = [ln for ln in err.strip().splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: invalid study spec: models.lr: ")
    assert message.format(module=module) in lines[0], err
    assert not (spec.parent / ".dataroi").exists()
