"""``materialize`` reuses a data copy only when it is still as written, else rebuilds it
from the data just loaded."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

from dataroi.data import WorkerData, materialize, prepare_data, verify_cache
from dataroi.exceptions import DataWarning
from dataroi.spec import spec_from_dict


@pytest.fixture
def prep():
    return prepare_data(spec_from_dict({
        "data": "sklearn:iris", "schedule": {"sizes": [30]},
        "models": {"lr": "sklearn.linear_model.LogisticRegression"}}))


def _assert_is(folder: str, prep) -> None:
    view = WorkerData.open(folder)
    np.testing.assert_array_equal(view.y, prep.y)
    np.testing.assert_array_equal(view.rows(np.arange(len(prep.y))).to_numpy(),
                                  prep.X.to_numpy())


def test_an_intact_copy_is_reused_as_it_is(prep, tmp_path):
    folder = materialize(prep, tmp_path)
    stamp = os.stat(Path(folder) / "meta.json").st_ino
    notes: list[str] = []
    assert materialize(prep, tmp_path, notes=notes, full_check=True) == folder
    assert notes == [] and os.stat(Path(folder) / "meta.json").st_ino == stamp


@pytest.mark.parametrize("name", ["y.npy", "c2.npy"])
def test_an_edited_copy_is_rebuilt_with_a_note(prep, tmp_path, name):
    folder = materialize(prep, tmp_path)
    path = Path(folder) / name
    np.save(path, np.roll(np.load(path), 5))
    notes: list[str] = []
    assert materialize(prep, tmp_path, notes=notes) == folder
    (note,) = notes
    assert note.startswith("the data copy ") and name in note and "\n" not in note
    assert note.endswith("rebuilt it from the source data")
    assert verify_cache(folder) == []
    _assert_is(folder, prep)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # nothing left


def test_without_a_list_for_notes_the_rebuild_is_a_data_warning(prep, tmp_path):
    folder = materialize(prep, tmp_path)
    meta = json.loads((Path(folder) / "meta.json").read_text())
    del meta["files"]  # a copy written before copies had checksums
    (Path(folder) / "meta.json").write_text(json.dumps(meta))
    with pytest.warns(DataWarning, match="no checksums"):
        materialize(prep, tmp_path)
    assert verify_cache(folder) == []


def test_a_copy_that_describes_other_data_is_rebuilt(prep, tmp_path):
    folder = materialize(prep, tmp_path)
    meta = json.loads((Path(folder) / "meta.json").read_text())
    meta["classes"] = ["x", "y", "z"]
    from dataroi.data._verify import file_manifest

    names = [n for n in meta["files"] if n != "meta.json"]
    meta["files"] = file_manifest(folder, names, meta)  # consistent, but not this data
    (Path(folder) / "meta.json").write_text(json.dumps(meta))
    notes: list[str] = []
    materialize(prep, tmp_path, notes=notes)
    assert "meta.json does not describe this data" in notes[0]
    assert WorkerData.open(folder).classes == [str(c) for c in prep.classes]
