"""Where stored predictions live: beside the ledger by default, or a folder a team shares.

With a shared PostgreSQL ledger each member's runs used to keep their predictions in their
own ``.dataroi/artifacts``: another member's export bundled none of them ("72 of 72 stored
predictions are missing or damaged"). ``artifacts:`` (or ``$DATAROI_ARTIFACTS``) names one
folder for all.
"""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import numpy as np
import pytest
import yaml

import dataroi
from dataroi.cli import main
from dataroi.exceptions import SpecError
from tests.conftest import iris_spec


def _write(folder: Path, **overrides: object) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "study.yaml"
    path.write_text(yaml.safe_dump(iris_spec(**overrides), sort_keys=False))
    return path


def test_the_folder_resolves_explicit_then_environment_then_spec_then_default(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("DATAROI_ARTIFACTS", raising=False)
    plain = dataroi.load_study(_write(tmp_path / "a"), build_models=False)
    assert plain.artifacts_dir == tmp_path / "a" / ".dataroi" / "artifacts"
    beside = dataroi.load_study(_write(tmp_path / "b"), ledger=str(tmp_path / "l" / "x.db"),
                                build_models=False)
    assert beside.artifacts_dir == tmp_path / "l" / "artifacts"  # beside an SQLite ledger
    spec = _write(tmp_path / "c", artifacts="../shared")
    assert dataroi.load_study(spec, build_models=False).artifacts_dir == (
        tmp_path / "c" / ".." / "shared")  # relative to the spec, as data.source
    monkeypatch.setenv("DATAROI_ARTIFACTS", str(tmp_path / "env"))
    assert dataroi.load_study(spec, build_models=False).artifacts_dir == tmp_path / "env"
    assert dataroi.load_study(spec, build_models=False, artifacts=tmp_path / "x"
                              ).artifacts_dir == tmp_path / "x"
    # the location is not part of the study: the same trials, the same hash
    assert dataroi.load_spec(spec).spec_hash == dataroi.load_spec(
        _write(tmp_path / "d")).spec_hash


@pytest.mark.parametrize("value", [3, "", "s3://bucket/preds"])
def test_a_bad_folder_is_refused_with_its_field(tmp_path: Path, value: object):
    with pytest.raises(SpecError, match="artifacts: must be a folder path"):
        dataroi.load_spec(_write(tmp_path, artifacts=value))


def _iris_csv(folder: Path) -> dict[str, str]:
    from sklearn.datasets import load_iris

    folder.mkdir(parents=True, exist_ok=True)
    load_iris(as_frame=True).frame.to_csv(folder / "iris.csv", index=False)
    return {"source": "iris.csv", "target": "target"}


def _today_intervals(spec: Path, ledger: str) -> tuple[list[tuple[float, float]], str | None]:
    study = dataroi.load_study(spec, ledger=ledger, build_models=False)
    with study.analyze() as analysis:
        curves = analysis.curves
        return ([tuple(np.quantile(d, [0.05, 0.95])) for d in curves.test_boot.values()],
                analysis.bootstrap_skipped)


def test_a_team_on_a_shared_ledger_exports_every_members_predictions(
        tmp_path: Path, postgres_url: str, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("DATAROI_ARTIFACTS", raising=False)
    shared = tmp_path / "shared-preds"
    runner = _write(tmp_path / "alice", artifacts=str(shared),
                    data=_iris_csv(tmp_path / "alice"))
    assert main(["run", str(runner), "--ledger", postgres_url, "--jobs", "1"]) == 0
    n_trials = 6
    # the predictions, and the test labels the test-set bootstrap needs
    assert len(list(shared.glob("*/*.npz"))) == n_trials + 1
    ran, skipped = _today_intervals(runner, postgres_url)
    assert ran and skipped is None

    # a teammate with the same spec in her own folder (no data, no runs of her own)
    mate = tmp_path / "bob"
    mate.mkdir()
    shutil.copy(runner, mate / "study.yaml")
    capsys.readouterr()
    assert main(["export", str(mate / "study.yaml"), "--ledger", postgres_url,
                 "-o", str(mate / "b.zip")]) == 0
    out, err = capsys.readouterr()
    assert "not bundled" not in out + err
    with zipfile.ZipFile(mate / "b.zip") as z:  # the labels are data: not without it
        assert len([n for n in z.namelist() if n.startswith("artifacts/")]) == n_trials
    # without the data, she reads the labels from the shared folder: the runner's intervals
    assert not (mate / "iris.csv").exists()
    assert _today_intervals(mate / "study.yaml", postgres_url) == (ran, None)

    # without the shared folder, she is told where they were looked for and what to do
    alone = _write(tmp_path / "carol", data={"source": "iris.csv", "target": "target"})
    assert main(["export", str(alone), "--ledger", postgres_url,
                 "-o", str(tmp_path / "carol" / "c.zip")]) == 0
    out, err = capsys.readouterr()
    text = " ".join((out + err).split())
    assert (f"{n_trials} of {n_trials} stored predictions are not in the artifact store "
            f"{tmp_path / 'carol' / '.dataroi' / 'artifacts'}") in text
    assert "$DATAROI_ARTIFACTS" in text and "damaged" not in text
    # ... and that her intervals lack the test rows' noise, rather than narrower in silence
    none, why = _today_intervals(alone, postgres_url)
    assert none == [] and why is not None and "test-set bootstrap skipped" in why
    assert "data file not found" in why
