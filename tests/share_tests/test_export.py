"""``dataroi export``: what a bundle holds, ``--with-data`` round trips with the CSV moved
away, no data value in a bundle without it (nor in any report), project code bundled."""

from __future__ import annotations

import io
import json
import shutil
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

from dataroi.cli import main
from tests._specs import IRIS_DATA, LOGREG
from tests.cli_tests._refusals import snapshot
from tests.share_tests._bundles import MARKER_NUMBERS, MARKER_TEXTS, parquet_rows


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {name: z.read(name) for name in z.namelist()}


def test_the_bundle_holds_every_part_and_a_hash_of_each(bundle: Path,
                                                        full_study: tuple[Any, Path]):
    from dataroi.ledger import STUDY_TABLES

    study, spec = full_study
    members = _members(bundle)
    manifest = json.loads(members.pop("manifest.json"))
    assert manifest["kind"] == "dataroi.study-bundle" and manifest["format"] == 1
    assert sorted(manifest["members"]) == sorted(members)  # every member, and only them
    import hashlib

    for name, data in members.items():
        assert manifest["members"][name]["sha256"] == hashlib.sha256(data).hexdigest()
    assert members["spec/study.yaml"] == spec.read_bytes()
    for table in STUDY_TABLES:
        assert f"ledger/{table}.parquet" in members
    trials = parquet_rows(members["ledger/trials.parquet"])
    assert len(trials) == 24 and manifest["ledger"]["tables"]["trials"] == 24
    digests = {r["predictions_digest"] for r in trials}
    assert {n for n in members if n.startswith("artifacts/")} == {
        f"artifacts/{d[:2]}/{d}.npz" for d in digests}
    metrics = parquet_rows(members["ledger/trial_metrics.parquet"])
    assert {m["name"] for m in metrics} >= {"accuracy", "log_loss"}
    docs = parquet_rows(members["ledger/documents.parquet"])
    assert any(d["kind"] == "decision_rule" for d in docs), [d["kind"] for d in docs]
    report = json.loads(members["report/report.json"])
    assert report["kind"] == "dataroi.report" and report["study"]["spec_path"] == "study.yaml"
    assert members["report/report.html"].startswith(b"<!DOCTYPE html>")
    lock = json.loads(members["environment/lock.json"])
    assert {"dataroi", "numpy", "scipy", "scikit-learn"} <= set(lock["numeric"])
    from importlib.metadata import version

    assert lock["packages"]["scikit-learn"] == version("scikit-learn")
    assert f"numpy=={version('numpy')}" in members["environment/requirements.txt"].decode()
    fingerprint = json.loads(members["data/fingerprint.json"])
    assert fingerprint["fingerprint"] == manifest["fingerprint"] == study.status().fingerprint
    assert fingerprint["source"] == "sklearn:iris" and fingerprint["n_rows"] == 150
    assert manifest["with_data"] is False and manifest["data"][0]["builtin"] is True
    assert not any(n.startswith(("data/files/", "code/")) for n in members)


def test_force_overwrites_and_a_failed_export_leaves_nothing(
        full_study: tuple[Any, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    _, spec = full_study
    out = tmp_path / "b.zip"
    out.write_bytes(b"an older bundle")
    code, _, err = _run(capsys, "export", str(spec), "-o", str(out))
    assert code == 2 and "exists; use --force" in err and out.read_bytes() == b"an older bundle"
    code, stdout, err = _run(capsys, "export", str(spec), "-o", str(out), "--force", "--json")
    assert code == 0, err
    result = json.loads(stdout)
    assert result["n_trials"] == 24 and result["bytes"] == out.stat().st_size
    assert zipfile.is_zipfile(out)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b.zip"]  # no temporary file left


def test_with_data_round_trip_with_the_csv_moved_away(flowers: Path, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]):
    share = tmp_path / "share"
    share.mkdir()
    code, _, err = _run(capsys, "export", str(flowers), "-o", str(share / "full.zip"),
                        "--with-data")
    assert code == 0, err
    code, _, err = _run(capsys, "export", str(flowers), "-o", str(share / "plain.zip"))
    assert code == 0, err
    csv = flowers.parent / "flowers.csv"
    moved = tmp_path / "moved.csv"
    shutil.move(csv, moved)
    try:
        monkeypatch.chdir(share)
        code, out, err = _run(capsys, "verify", "full.zip", "--sample", "2")
        assert code == 0, out + err
        assert out.strip().splitlines()[-1].startswith("VERIFIED: full.zip")
        # the bundle's own data is what is checked; a --data beside it is said unused
        code, out, err = _run(capsys, "verify", "full.zip", "--sample", "0", "--data",
                              str(moved))
        assert code == 0 and f"--data {moved} is not used: the bundle holds the data" in (
            out + err)
        # without the data: the spec's source must be reachable
        code, out, err = _run(capsys, "verify", "plain.zip", "--sample", "1")
        assert code == 2
        assert "the bundle holds no data (exported without --with-data) and data.source " \
               "flowers.csv is not at" in err and "give --data PATH" in err
        code, out, err = _run(capsys, "verify", "plain.zip", "--sample", "1", "--data",
                              str(moved))
        assert code == 0, out + err
    finally:
        shutil.move(moved, csv)


def test_with_data_refuses_data_that_changed_since_the_run(flowers: Path, tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]):
    folder = tmp_path / "copy"
    shutil.copytree(flowers.parent, folder)
    with open(folder / "flowers.csv", "a") as fh:
        fh.write("5.0,3.0,1.5,0.2,red,0\n")
    before = snapshot(tmp_path)
    code, _, err = _run(capsys, "export", str(folder / "study.yaml"), "-o",
                        str(tmp_path / "b.zip"), "--with-data")
    assert code == 2
    assert "--with-data: the data at flowers.csv has changed since the trials ran" in err
    assert snapshot(tmp_path) == before


def _texts(name: str, data: bytes) -> list[bytes]:
    """What a member says: its bytes, and decoded where they are compressed."""
    out = [data]
    if name.endswith(".parquet"):
        out.append(json.dumps(parquet_rows(data), default=str).encode())
    return out


def _numbers(name: str, data: bytes) -> np.ndarray:
    """The numbers a member holds (Parquet columns, arrays of predictions)."""
    values: list[float] = []
    if name.endswith(".npz"):
        with np.load(io.BytesIO(data)) as z:
            for key in z.files:
                values += np.asarray(z[key], dtype=float).ravel().tolist()
    elif name.endswith(".parquet"):
        for row in parquet_rows(data):
            values += [float(v) for v in row.values() if isinstance(v, (int, float))]
    return np.asarray(values, dtype=float)


def test_no_data_value_in_a_bundle_without_data_nor_in_any_report(
        flowers: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    from dataroi.report import Report

    for fmt in ("html", "md", "json"):  # dataroi report, every format
        out = tmp_path / f"report.{fmt}"
        code, _, err = _run(capsys, "report", str(flowers), "-o", str(out))
        assert code == 0, err
        text = out.read_text()
        assert not [m for m in MARKER_TEXTS if m in text], fmt
    for name, flag in (("plain.zip", ()), ("full.zip", ("--with-data",))):
        code, _, err = _run(capsys, "export", str(flowers), "-o", str(tmp_path / name), *flag)
        assert code == 0, err
    plain = _members(tmp_path / "plain.zip")
    for name, data in plain.items():
        for text in _texts(name, data):
            assert not [m for m in MARKER_TEXTS if m.encode() in text], name
        assert not np.isin(np.round(_numbers(name, data), 4), MARKER_NUMBERS).any(), name
    document = json.loads(plain["report/report.json"])
    assert not [m for m in MARKER_TEXTS if m in Report(document).to_markdown()]
    # the search finds the markers where they are: in the data file of --with-data only
    full = _members(tmp_path / "full.zip")
    holding = sorted(n for n, d in full.items() if MARKER_TEXTS[0].encode() in d)
    assert holding == ["data/files/data.source/flowers.csv"]


FACTORY = """from sklearn.linear_model import LogisticRegression


def make(C=1.0):
    return LogisticRegression(C=C, max_iter=500)
"""


def test_a_models_own_module_travels_with_the_bundle(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]):
    import uuid

    import dataroi

    project = tmp_path / "project"
    package = f"models_{uuid.uuid4().hex[:8]}"
    (project / package).mkdir(parents=True)
    (project / package / "__init__.py").write_text("")
    (project / package / "factories.py").write_text(FACTORY)
    spec = project / "study.yaml"
    spec.write_text(yaml.safe_dump({
        "name": "own-code", "data": dict(IRIS_DATA),
        "models": {"mine": {"factory": f"{package}.factories:make", "params": {"C": 0.5}},
                   "lr": dict(LOGREG)},
        "schedule": {"sizes": [30, 60], "repeats": 2, "seed": 0}}, sort_keys=False))
    dataroi.load_study(spec).run(jobs=1, progress=False)
    code, _, err = _run(capsys, "export", str(spec), "-o", str(tmp_path / "own.zip"))
    assert code == 0, err
    members = _members(tmp_path / "own.zip")
    assert members[f"code/{package}/factories.py"] == FACTORY.encode()
    assert f"code/{package}/__init__.py" in members
    shutil.rmtree(project)  # only the bundle is left
    monkeypatch.chdir(tmp_path)
    code, out, err = _run(capsys, "verify", "own.zip", "--sample", "8")
    assert code == 0, out + err
    assert "8 of 8 re-run trials identical" in out.strip().splitlines()[-1]


def test_an_absolute_data_path_is_verified_from_the_bundled_copy(
        flowers: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]):
    folder = tmp_path / "abs"
    shutil.copytree(flowers.parent, folder)  # the ledger too: its trials are this data's
    spec = yaml.safe_load((folder / "study.yaml").read_text())
    spec["data"]["source"] = str(folder / "flowers.csv")
    (folder / "study.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    code, _, err = _run(capsys, "export", str(folder / "study.yaml"), "-o",
                        str(tmp_path / "abs.zip"), "--with-data")
    assert code == 0, err
    (folder / "flowers.csv").unlink()
    monkeypatch.chdir(tmp_path)
    code, out, err = _run(capsys, "verify", "abs.zip", "--sample", "2")
    assert code == 0, out + err
    assert "cannot be put where the spec names it" in err
    assert out.strip().splitlines()[-1].startswith("VERIFIED: abs.zip")


def test_the_export_counts_trials_and_files_and_leaves_damaged_files_out(
        flowers: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    """'24 trial rows, 21 stored predictions' read as 3 predictions missing: trials with
    identical predictions share a file. The line says whose predictions are bundled and in
    how many files; a damaged file is counted as not bundled (it was counted as bundled)."""
    folder = tmp_path / "copy"
    shutil.copytree(flowers.parent, folder)
    spec = folder / flowers.name
    code, out, err = _run(capsys, "export", str(spec), "-o", str(tmp_path / "a.zip"), "--json")
    assert code == 0, err
    whole = json.loads(out)
    trials = parquet_rows(_members(tmp_path / "a.zip")["ledger/trials.parquet"])
    assert whole["n_predicted_trials"] == len(trials) == whole["n_trials"]
    assert whole["n_artifacts"] == len({r["predictions_digest"] for r in trials})
    victim = trials[0]["predictions_digest"]
    sharing = sum(r["predictions_digest"] == victim for r in trials)
    path = next((folder / ".dataroi" / "artifacts").glob(f"*/{victim}.npz"))
    path.write_bytes(path.read_bytes()[:-7] + b"garbage")
    code, out, err = _run(capsys, "export", str(spec), "-o", str(tmp_path / "b.zip"))
    assert code == 0, err
    files = whole["n_artifacts"] - 1
    shared = f" in {files} files" if files != len(trials) - sharing else ""
    assert (f"{len(trials)} trial rows, the predictions of {len(trials) - sharing}{shared},"
            in out)
    assert f"1 of {whole['n_artifacts']} stored predictions are damaged" in " ".join(err.split())
    manifest = json.loads(_members(tmp_path / "b.zip")["manifest.json"])
    assert manifest["artifacts"] == {"named": whole["n_artifacts"], "bundled": files}
