"""``dataroi verify`` on real bundles: the round trip in another folder, a number edited
inside the bundle (hash fixed), a member edited without fixing its hash, an older
scikit-learn in the lock, a metric only a re-run can see."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from dataroi.cli import main
from tests.cli_tests._refusals import snapshot
from tests.share_tests._bundles import parquet_bytes, parquet_rows, read_member, rewrite


def _verify(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(["verify", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def _verdict(out: str) -> str:
    return out.strip().splitlines()[-1]


def _trial(bundle: Path, *, model: str = "logreg", n_train: int = 24,
           repeat: int = 1) -> dict:
    rows = parquet_rows(read_member(bundle, "ledger/trials.parquet"))
    return next(r for r in rows if (r["model"], r["n_train"], r["repeat_index"])
                == (model, n_train, repeat) and r["state"] == "complete")


def _edit_metric(bundle: Path, out: Path, trial_id: int, name: str, value: float) -> float:
    """Set one metric value in the bundle's trial_metrics (hash fixed); the old value."""
    data = read_member(bundle, "ledger/trial_metrics.parquet")
    rows = parquet_rows(data)
    row = next(r for r in rows if r["trial_id"] == trial_id and r["name"] == name)
    old, row["value"] = row["value"], value
    rewrite(bundle, out, {"ledger/trial_metrics.parquet": parquet_bytes(rows, data)})
    return old


def test_round_trip_in_another_folder_is_verified(bundle: Path, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]):
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    shutil.copy(bundle, folder / "study.zip")
    monkeypatch.chdir(folder)
    before = snapshot(folder)
    code, out, err = _verify(capsys, "study.zip")
    assert code == 0, out + err
    assert _verdict(out).startswith("VERIFIED: study.zip:"), out
    assert "5 of 5 re-run trials identical" in _verdict(out)
    steps = {line.split()[0] for line in out.splitlines() if " ok " in line}
    assert {"manifest", "environment", "rows", "report", "data", "re-run"} <= steps, out
    assert "recomputed report  ok" in out and "HTML is its rendering" in out
    assert snapshot(folder) == before  # verify writes nothing beside the bundle


def test_an_edited_metric_is_named_by_the_verdict(bundle: Path, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]):
    trial = _trial(bundle)
    old = _edit_metric(bundle, tmp_path / "edited.zip", trial["id"], "accuracy", 0.125)
    code, out, _ = _verify(capsys, str(tmp_path / "edited.zip"), "--sample", "1")
    assert code == 1
    assert _verdict(out).startswith(
        "NOT VERIFIED: edited.zip: report: learning curves: logreg n_train=24 repeat=1 "
        f"(accuracy): {old!r} in report.json, 0.125 in the bundled trial rows"), out
    assert "manifest           ok" in out  # the hash was fixed: the numbers caught it


def test_a_member_edited_without_its_hash_is_named(bundle: Path, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]):
    text = read_member(bundle, "report/report.json").replace(b'"repeats": 3', b'"repeats": 4', 1)
    edited = rewrite(bundle, tmp_path / "edited.zip", {"report/report.json": text},
                     fix_hashes=False)
    code, out, _ = _verify(capsys, str(edited))
    assert code == 1
    assert _verdict(out).startswith(
        "NOT VERIFIED: edited.zip: manifest: member report/report.json: its SHA-256 is "), out
    assert "the manifest says" in _verdict(out) and "re-run" not in out  # nothing else read


def test_members_added_or_removed_are_named(bundle: Path, tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]):
    added = rewrite(bundle, tmp_path / "added.zip", {"notes.txt": b"hi"}, fix_hashes=False)
    code, out, _ = _verify(capsys, str(added))
    assert code == 1 and "member notes.txt: it is in the zip but not in the manifest" in out
    removed = rewrite(bundle, tmp_path / "removed.zip", {"report/report.html": None},
                      fix_hashes=False)
    code, out, _ = _verify(capsys, str(removed))
    assert code == 1
    assert "member report/report.html: it is listed in the manifest but missing" in out


def test_an_older_scikit_learn_in_the_lock_is_named(bundle: Path, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]):
    from importlib.metadata import version

    lock = json.loads(read_member(bundle, "environment/lock.json"))
    lock["packages"]["scikit-learn"] = "1.4.0"
    lock["packages"]["rich"] = "0.0.1"  # not a package that computes the numbers
    faked = rewrite(bundle, tmp_path / "old-sklearn.zip",
                    {"environment/lock.json": json.dumps(lock).encode()})
    code, out, err = _verify(capsys, str(faked), "--sample", "1")
    assert code == 0  # the numbers are what is verified; the difference is named
    verdict = _verdict(out)
    assert verdict.startswith("VERIFIED: old-sklearn.zip: "), verdict
    assert ("; every number matched although a package that computes the numbers differs "
            "from the bundle's lock: scikit-learn: 1.4.0 in the bundle, "
            f"{version('scikit-learn')} here; 1 warning(s)") in verdict, verdict
    assert "1 of 1 re-run trials identical" in verdict and "rich" not in verdict
    assert "warning: environment: rich: 0.0.1 in the bundle" in err


def test_a_package_that_does_not_compute_the_numbers_is_a_warning(
        bundle: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    lock = json.loads(read_member(bundle, "environment/lock.json"))
    lock["packages"]["rich"] = "0.0.1"
    lock["python"] = "3.0.0"
    faked = rewrite(bundle, tmp_path / "rich.zip",
                    {"environment/lock.json": json.dumps(lock).encode()})
    code, out, err = _verify(capsys, str(faked), "--sample", "0")
    assert code == 0, out
    assert _verdict(out).endswith("; 2 warning(s)"), out
    assert "warning: environment: python: 3.0.0 in the bundle" in err
    assert "re-run             skipped  no trial re-run (--sample 0)" in out


def test_a_metric_the_report_does_not_show_is_caught_by_the_rerun(
        bundle: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    trial = _trial(bundle, model="tree", n_train=12, repeat=0)
    old = _edit_metric(bundle, tmp_path / "loss.zip", trial["id"], "log_loss", 9.5)
    # every trial re-run: the edited one among them
    code, out, _ = _verify(capsys, str(tmp_path / "loss.zip"), "--sample", "100", "--json")
    assert code == 1
    result = json.loads(out)
    assert [s["status"] for s in result["steps"]][:6] == ["ok"] * 6, result["steps"]
    first = result["mismatches"][0]
    assert first["check"] == "re-run" and first["bundled"] == 9.5
    assert first["recomputed"] == old
    assert result["verdict"].startswith(
        "NOT VERIFIED: loss.zip: re-run: trial tree n_train=12 repeat=0 (log_loss): 9.5 in "
        f"the bundled trial row, {old!r} re-run here")
    assert result["rerun"]["trials"] == 24 and result["rerun"]["identical"] == 23


def test_a_study_recalibrated_by_the_ledgers_track_record_verifies(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    """30 follow-ups of another study in the ledger stretch this study's forecasts; the
    bundle carries them (unlinked), so the report is recomputed the same elsewhere."""
    from dataroi.decide import MIN_CHECKS
    from dataroi.ledger import open_ledger
    from dataroi.share import export_study
    from tests.share_tests._bundles import flowers_study

    spec = flowers_study(tmp_path / "study")
    ledger_url = f"sqlite:///{spec.parent / '.dataroi' / 'ledger.db'}"
    with open_ledger(ledger_url, create=False) as ledger:
        other = ledger.upsert_study("other", spec_hash="h", spec_text="name: other")
        for i in range(MIN_CHECKS):
            ledger.record_document("followup", {"study": "other", "checks": [{
                "error": 0.04, "inside50": False, "inside90": False,
                "z90": 2.0 if i % 2 else -2.0, "chosen": True}]}, study_id=other)
    out = tmp_path / "flowers.zip"
    export_study(spec, out)
    docs = parquet_rows(read_member(out, "ledger/documents.parquet"))
    follow = [d for d in docs if d["kind"] == "followup"]
    assert len(follow) == MIN_CHECKS and all(d["study_id"] is None for d in follow)
    report = json.loads(read_member(out, "report/report.json"))
    assert "x2.00: the ledger's track record" in json.dumps(report)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    shutil.copy(out, elsewhere / "flowers.zip")
    code, text, err = _verify(capsys, str(elsewhere / "flowers.zip"), "--sample", "1")
    assert code == 0, text + err


def test_a_bundle_from_an_earlier_minor_schema_verifies(bundle: Path, tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]):
    """A bundle whose report was written under report schema 1.6 (before the adaptive
    run's field) verifies under 1.7 — a minor version only adds optional fields — with a
    warning that says so; a number it states is still compared."""
    from dataroi.report import Report

    report = json.loads(read_member(bundle, "report/report.json"))
    assert report["schema_version"] == "1.7"
    assert report["sections"]["reproducibility"].pop("adaptive") is None
    report["schema_version"] = "1.6"

    def members(doc: dict) -> dict[str, bytes]:
        return {"report/report.json": (json.dumps(doc, indent=1, ensure_ascii=False)
                                       .encode("utf-8")),
                "report/report.html": Report(doc).to_html().encode("utf-8")}

    older = rewrite(bundle, tmp_path / "older.zip", members(report))
    code, out, err = _verify(capsys, str(older))
    assert code == 0, out + err
    assert _verdict(out).startswith("VERIFIED: older.zip:"), out
    assert "written under report schema 1.6 and recomputed here under 1.7" in out + err
    report["sections"]["reproducibility"]["seeds"]["repeats"] += 1
    edited = rewrite(bundle, tmp_path / "older-edited.zip", members(report))
    code, out, _ = _verify(capsys, str(edited))
    assert code != 0 and "NOT VERIFIED" in _verdict(out)
    assert "sections.reproducibility.seeds.repeats" in out
