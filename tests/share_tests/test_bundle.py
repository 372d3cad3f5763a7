"""The bundle file: atomic writing, the manifest, member names that cannot escape."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from dataroi.exceptions import BundleError
from dataroi.share import BundleReader
from dataroi.share._bundle import member_problem, write_bundle


@pytest.mark.parametrize("name", ["/etc/passwd", "../up.txt", "a/../../b", "C:/x",
                                  "a\\b", "", "a//b", "./a"])
def test_unsafe_member_names_are_refused(name: str):
    assert member_problem(name) is not None


def test_a_written_bundle_reads_back_with_its_manifest(tmp_path: Path):
    path = tmp_path / "b.zip"
    write_bundle(path, {"spec/s.yaml": b"name: s", "artifacts/ab/x.npz": b"\x00" * 10},
                 {"study": "s"})
    assert [p.name for p in tmp_path.iterdir()] == ["b.zip"]
    with BundleReader.open(path) as b:
        assert b.names == ["artifacts/ab/x.npz", "spec/s.yaml"]
        assert b.manifest["members"]["spec/s.yaml"]["bytes"] == 7
        assert b.problems() == []
    with zipfile.ZipFile(path) as z:  # compressed content is stored, text deflated
        kinds = {i.filename: i.compress_type for i in z.infolist()}
    assert kinds["artifacts/ab/x.npz"] == zipfile.ZIP_STORED
    assert kinds["spec/s.yaml"] == zipfile.ZIP_DEFLATED


def test_an_unsafe_member_in_the_zip_is_a_problem(tmp_path: Path):
    path = tmp_path / "b.zip"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("manifest.json", json.dumps({
            "kind": "dataroi.study-bundle", "format": 1,
            "members": {"../evil": {"sha256": "0"}}}))
        z.writestr("../evil", "x")
    with BundleReader.open(path) as b:
        assert ("../evil", "its path leaves the bundle") in b.problems()


def test_a_missing_member_is_a_bundle_error_when_read(tmp_path: Path):
    path = tmp_path / "b.zip"
    write_bundle(path, {}, {})
    with BundleReader.open(path) as b, pytest.raises(BundleError, match="no member x"):
        b.read("x")
