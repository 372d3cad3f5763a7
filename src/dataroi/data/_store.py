"""A read-only, memory-mapped copy of a prepared data set for worker processes.

The coordinator writes the data once per data version (one ``.npy`` file per column,
categoricals as integer codes plus their categories); each worker process opens it once
with ``mmap_mode="r"``. The operating system shares the pages between processes, so a
pool of workers holds one copy of the data, not one per worker or per trial.

Example:
    >>> import tempfile
    >>> from dataroi.spec import spec_from_dict
    >>> spec = spec_from_dict({"data": "sklearn:iris", "schedule": {"sizes": [30]},
    ...                        "models": {"lr": "sklearn.linear_model.LogisticRegression"}})
    >>> prep = prepare_data(spec)
    >>> view = WorkerData.open(materialize(prep, tempfile.mkdtemp()))
    >>> view.rows(view.test_idx[:3]).shape
    (3, 4)
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from dataroi.data._prepare import PreparedData, prepare_data  # noqa: F401  (doctest)

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["WorkerData", "cache_name", "materialize"]

_FORMAT = 2  # 2: meta.json holds the class labels (stress arms name classes)


def materialize(prep: PreparedData, cache_dir: str | os.PathLike[str]) -> str:
    """Write ``prep`` under ``cache_dir`` (once per content) and return its folder.

    The folder name holds the fingerprint and split, so an existing complete folder is
    reused; it is written to a temporary folder and renamed, so it is never half-written.
    """
    import pandas as pd

    final = Path(cache_dir) / cache_name(prep)
    if (final / "meta.json").exists():
        return str(final)
    Path(cache_dir).mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".tmp-data-", dir=cache_dir))
    try:
        columns = []
        for i, name in enumerate(prep.X.columns):
            col = prep.X[name]
            entry: dict[str, Any] = {"name": name, "file": f"c{i}.npy"}
            if isinstance(col.dtype, pd.CategoricalDtype):
                entry["kind"] = "category"
                entry["categories"] = [_plain(c) for c in col.cat.categories]
                entry["ordered"] = bool(col.cat.ordered)
                arr = col.cat.codes.to_numpy()
            else:
                entry["kind"] = "numeric"
                arr = col.to_numpy()
                if arr.dtype == object:
                    arr = col.to_numpy(dtype="float64", na_value=np.nan)
            np.save(tmp / entry["file"], np.ascontiguousarray(arr), allow_pickle=False)
            columns.append(entry)
        np.save(tmp / "y.npy", prep.y, allow_pickle=False)
        np.save(tmp / "pool_idx.npy", prep.pool_idx.astype(np.int64), allow_pickle=False)
        np.save(tmp / "test_idx.npy", prep.test_idx.astype(np.int64), allow_pickle=False)
        meta = {"format": _FORMAT, "columns": columns, "task": prep.task,
                "classes": [str(c) for c in prep.classes],
                "n_classes": prep.n_classes, "fingerprint": prep.fingerprint}
        (tmp / "meta.json").write_text(json.dumps(meta))
        try:
            os.rename(tmp, final)
        except OSError:  # another process won the race: theirs is identical
            shutil.rmtree(tmp, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return str(final)


def cache_name(prep: PreparedData) -> str:
    """The folder name of ``prep`` in a data cache: its fingerprint and split."""
    return f"data-v{_FORMAT}-{prep.fingerprint[:20]}-{_split_key(prep)}"


def _split_key(prep: PreparedData) -> str:
    import hashlib

    h = hashlib.sha256(prep.pool_idx.astype(np.int64).tobytes())
    h.update(prep.test_idx.astype(np.int64).tobytes())
    h.update(",".join(map(str, prep.X.columns)).encode())
    return h.hexdigest()[:12]


def _plain(v: Any) -> Any:
    return v.item() if isinstance(v, np.generic) else v


@dataclass
class WorkerData:
    """The worker's view of a materialized data set (arrays are memory-mapped)."""

    path: str
    columns: list[dict[str, Any]]
    arrays: list[np.ndarray]
    y: np.ndarray
    pool_idx: np.ndarray
    test_idx: np.ndarray
    task: str
    n_classes: int | None
    fingerprint: str = ""
    classes: list[str] | None = None

    @classmethod
    def open(cls, path: str) -> WorkerData:
        """Open a folder written by :func:`materialize` (memory-mapped, read-only)."""
        p = Path(path)
        meta = json.loads((p / "meta.json").read_text())
        arrays = [np.load(p / c["file"], mmap_mode="r") for c in meta["columns"]]
        return cls(
            path=str(p),
            columns=meta["columns"],
            arrays=arrays,
            y=np.load(p / "y.npy", mmap_mode="r"),
            pool_idx=np.load(p / "pool_idx.npy", mmap_mode="r"),
            test_idx=np.load(p / "test_idx.npy", mmap_mode="r"),
            task=meta["task"],
            n_classes=meta["n_classes"],
            fingerprint=meta.get("fingerprint", ""),
            classes=meta.get("classes"),
        )

    def rows(self, idx: np.ndarray) -> pd.DataFrame:
        """The feature rows at positions ``idx`` as a DataFrame with the original dtypes."""
        import pandas as pd

        data = {}
        for col, arr in zip(self.columns, self.arrays, strict=True):
            values = np.asarray(arr[idx])
            if col["kind"] == "category":
                data[col["name"]] = pd.Categorical.from_codes(
                    values, categories=col["categories"], ordered=col["ordered"])
            else:
                data[col["name"]] = values
        return pd.DataFrame(data, copy=False)
