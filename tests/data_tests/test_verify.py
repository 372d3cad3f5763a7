"""The workers' data copy is verified before it is used: quick every time, in full on
request."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from dataroi.data import materialize, prepare_data, verify_cache
from dataroi.spec import spec_from_dict


@pytest.fixture(scope="module")
def big_copy(tmp_path_factory) -> Path:
    """A copy of a real 50,000-row table (40 numeric columns and a categorical one)."""
    folder = tmp_path_factory.mktemp("big")
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(size=(50_000, 40)), columns=[f"x{i}" for i in range(40)])
    frame["colour"] = rng.choice(["red", "green", "blue"], len(frame))
    frame["target"] = (frame["x0"] + rng.normal(size=len(frame)) > 0).astype(int)
    frame.to_parquet(folder / "table.parquet")
    spec = spec_from_dict({"data": {"source": "table.parquet", "target": "target"},
                           "schedule": {"sizes": [100]},
                           "models": {"lr": "sklearn.linear_model.LogisticRegression"}},
                          base_dir=str(folder))
    return Path(materialize(prepare_data(spec), folder / "cache"))


def _rewrite(path: Path, change, *, keep_mtime: bool = False) -> None:
    """Edit a stored array in place, as a user or a tool might."""
    st = path.stat()
    arr = np.load(path)
    np.save(path, change(arr.copy()))
    if keep_mtime:
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))


def test_a_copy_as_written_passes_both_checks_and_the_quick_one_is_cheap(big_copy):
    assert verify_cache(big_copy) == [] and verify_cache(big_copy, full=True) == []
    seconds = []
    for _ in range(3):
        t0 = time.perf_counter()
        verify_cache(big_copy)
        seconds.append(time.perf_counter() - t0)
    assert min(seconds) < 0.05  # well under 50 ms on 50,000 rows × 41 columns


def _copy(big_copy: Path, tmp_path: Path) -> Path:
    import shutil

    target = tmp_path / big_copy.name
    shutil.copytree(big_copy, target)  # copy2: the modification times are kept
    return target


def test_edited_labels_are_found_even_with_the_old_modification_time(big_copy, tmp_path):
    copy = _copy(big_copy, tmp_path)

    def flip(y):
        y[25_000] = 1 - y[25_000]
        return y

    _rewrite(copy / "y.npy", flip, keep_mtime=True)
    assert verify_cache(copy) == ["y.npy changed (its content hash differs)"]


def test_an_edited_feature_is_found(big_copy, tmp_path):
    copy = _copy(big_copy, tmp_path)
    _rewrite(copy / "c3.npy", lambda x: x * 2)
    assert verify_cache(copy) == ["c3.npy changed (its content hash differs)"]


def test_an_edit_that_hides_from_the_quick_check_is_found_by_the_full_one(big_copy, tmp_path):
    copy = _copy(big_copy, tmp_path)

    def nudge(x):  # one value between the sampled blocks, the time put back
        x[20_000] += 1.0
        return x

    _rewrite(copy / "c5.npy", nudge, keep_mtime=True)
    assert verify_cache(copy) == []  # the documented limit of the quick check
    assert verify_cache(copy, full=True) == ["c5.npy changed (its content hash differs)"]


def test_a_copied_folder_with_new_times_still_verifies(big_copy, tmp_path):
    import shutil

    copy = tmp_path / "plain-copy"
    shutil.copytree(big_copy, copy, copy_function=shutil.copyfile)  # new times
    assert verify_cache(copy) == []


def test_truncated_missing_and_edited_meta_are_problems(big_copy, tmp_path):
    copy = _copy(big_copy, tmp_path)
    data = (copy / "c1.npy").read_bytes()
    (copy / "c1.npy").write_bytes(data[: len(data) // 2])
    (copy / "pool_idx.npy").unlink()
    meta = json.loads((copy / "meta.json").read_text())
    meta["n_classes"] = 3
    (copy / "meta.json").write_text(json.dumps(meta))
    assert verify_cache(copy) == ["meta.json changed since it was written",
                                  "c1.npy changed (its size differs)",
                                  "pool_idx.npy is missing"]
    meta.pop("files")
    (copy / "meta.json").write_text(json.dumps(meta))
    assert verify_cache(copy) == ["it has no checksums (written by an older dataroi)"]
