"""The bad-input catalogue of ``dataroi export`` and ``dataroi verify``: exit 2, one error
line, and no file created, changed or removed (the shared harness of
``tests/cli_tests/_refusals.py``)."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from tests.cli_tests._refusals import Refusal, check_refusal
from tests.conftest import iris_spec

S = "study.yaml"
_SPEC = {"study.yaml": iris_spec()}


def _zip(members: dict[str, str]):
    def write(path: Path) -> None:
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
            for name, text in members.items():
                z.writestr(name, text)
    return write


def _manifest(**fields) -> str:
    return json.dumps({"kind": "dataroi.study-bundle", "format": 1, "members": {}, **fields})


#: (id, argv, message regex, needs the finished study, extra files)
_CASES: list[tuple[str, tuple[str, ...], str, bool, dict]] = [
    ("export-missing-spec", ("export", "nope.yaml", "-o", "b.zip"), "spec file not found",
     False, {}),
    ("export-never-run", ("export", S, "-o", "b.zip"),
     "nothing to export: study 'iris' has no finished trial", False, _SPEC),
    ("export-other-ledger", ("export", S, "-o", "b.zip", "--ledger", "other.db"),
     "nothing to export", True, {}),
    ("export-no-output", ("export", S), "export needs -o FILE.zip .*--mlflow URI", True, {}),
    ("export-with-data-no-bundle", ("export", S, "--with-data", "--mlflow", "m.db"),
     "--with-data goes with -o", True, {}),
    ("export-experiment-no-mlflow", ("export", S, "-o", "b.zip", "--experiment", "x"),
     "--experiment goes with --mlflow", True, {}),
    ("export-mlflow-empty", ("export", S, "--mlflow", ""), "--mlflow needs a tracking URI",
     True, {}),
    ("export-mlflow-no-folder", ("export", S, "--mlflow", "sqlite:///no/such/m.db"),
     "the folder no/such does not exist", True, {}),
    ("export-mlflow-file-store", ("export", S, "--mlflow", "file:./mlruns"),
     "file store is deprecated", True, {}),
    ("export-mlflow-folder", ("export", S, "--mlflow", "."),
     r"file store \(a folder\) is deprecated", True, {}),
    ("export-mlflow-not-sqlite", ("export", S, "--mlflow", "m.db"),
     "m.db exists and is not a SQLite database", True, {"m.db": "not a database"}),
    ("export-mlflow-unknown-scheme", ("export", S, "--mlflow", "ftp://host/x"),
     "not a tracking URI dataroi knows", True, {}),
    ("export-mlflow-not-a-db-name", ("export", S, "--mlflow", "runs.txt"),
     r"name a SQLite file \(\.db\)", True, {}),
    ("export-mlflow-never-run", ("export", S, "--mlflow", "m.db"),
     "nothing to log: study 'iris' has no complete trial", False, _SPEC),
    ("export-mlflow-bad-experiment", ("export", S, "--mlflow", "m.db", "--experiment", " "),
     "--experiment needs a name", True, {}),
    ("export-output-folder", ("export", S, "-o", "."), r"-o \.", True, {}),
    ("export-output-no-folder", ("export", S, "-o", "no/such/b.zip"),
     "the folder no/such does not exist", True, {}),
    ("export-output-not-zip", ("export", S, "-o", "b.tar"), "a bundle is a zip file", True, {}),
    ("export-output-exists", ("export", S, "-o", "b.zip"), "b.zip exists; use --force",
     True, {"b.zip": b"keep me"}),
    ("export-with-data-missing-spec", ("export", "nope.yaml", "-o", "b.zip", "--with-data"),
     "spec file not found", False, {}),
    ("verify-missing", ("verify", "nope.zip"), "nope.zip: no such file", False, {}),
    ("verify-folder", ("verify", "."), r"\. is not a file", False, {}),
    ("verify-not-a-zip", ("verify", "b.zip"), "is not a study bundle \\(not a zip file",
     False, {"b.zip": "name: not a zip\n"}),
    ("verify-no-manifest", ("verify", "b.zip"), "it has no manifest.json", False,
     {"b.zip": _zip({"spec/study.yaml": "name: x"})}),
    ("verify-manifest-not-json", ("verify", "b.zip"), "manifest.json is not JSON", False,
     {"b.zip": _zip({"manifest.json": "{"})}),
    ("verify-foreign-manifest", ("verify", "b.zip"), "not a dataroi study bundle's", False,
     {"b.zip": _zip({"manifest.json": json.dumps({"kind": "something else"})})}),
    ("verify-newer-format", ("verify", "b.zip"), "format 99, newer than this dataroi's 1",
     False, {"b.zip": _zip({"manifest.json": _manifest(format=99)})}),
    ("verify-sample-negative", ("verify", "b.zip", "--sample", "-1"), "argument --sample",
     False, {}),
    # a --data that is not there is refused, never replaced by the exporter's copy
    ("verify-data-missing", ("verify", "b.zip", "--data", "nope.csv"),
     "--data nope.csv: no such file", False, {"b.zip": "x"}),
    ("verify-data-folder", ("verify", "b.zip", "--data", "."),
     r"--data \.: a folder, not a file", False, {"b.zip": "x"}),
    ("verify-zip-bomb", ("verify", "b.zip"), r"b.zip is not read: member big.json would "
     r"unpack to 50,000,000 bytes from [\d,]+ \(more than 200 times\)", False,
     {"b.zip": _zip({"manifest.json": _manifest(), "big.json": "0" * 50_000_000})}),
]


@pytest.mark.parametrize("case", [Refusal(i, a, m, files=f, study=s)
                                  for i, a, m, s, f in _CASES], ids=str)
def test_refusal(case: Refusal, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                 monkeypatch: pytest.MonkeyPatch, study_folder: Path):
    check_refusal(case, tmp_path, capsys, monkeypatch, study_folder)


@pytest.mark.parametrize(("member", "content", "message"), [
    ("ledger/trials.parquet", b"not parquet", "ledger/trials.parquet cannot be read as Parquet"),
    ("environment/lock.json", b"[]", "environment/lock.json is not a JSON object"),
    ("report/report.json", b"{", "report/report.json is not JSON"),
    ("spec/study.yaml", b"name: [", "spec"),
])
def test_a_bundle_with_an_unreadable_member_is_refused(
        member: str, content: bytes, message: str, bundle: Path, tmp_path: Path,
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch):
    from tests.share_tests._bundles import rewrite

    rewrite(bundle, tmp_path / "b.zip", {member: content})  # the hash fixed: it is read
    case = Refusal(f"verify-bad-{member}", ("verify", "b.zip"), message,
                   files={"b.zip": (tmp_path / "b.zip").read_bytes()})
    (tmp_path / "run").mkdir()
    check_refusal(case, tmp_path / "run", capsys, monkeypatch)
