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
from dataroi.data._verify import file_manifest, verify_cache

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["WorkerData", "cache_name", "materialize", "verify_cache"]

_FORMAT = 2  # 2: meta.json holds the class labels (stress arms name classes)


def materialize(prep: PreparedData, cache_dir: str | os.PathLike[str], *,
                full_check: bool = False, notes: list[str] | None = None) -> str:
    """Write ``prep`` under ``cache_dir`` (once per content) and return its folder.

    The folder name holds the fingerprint and split, and the folder is written to a
    temporary folder and renamed, so it is never half-written. An existing folder is
    not trusted by its name: it is used only when its files still match the checksums
    recorded when it was written (:func:`verify_cache`: quick, or in full with
    ``full_check``) and its ``meta.json`` describes ``prep``. Otherwise it is rebuilt
    from ``prep`` — the data just loaded from its source and fingerprinted — with a
    one-line note (appended to ``notes``, else issued as a
    :class:`~dataroi.exceptions.DataWarning`): trials are never computed from data
    other than the fingerprint they are recorded under.
    """
    import warnings

    from dataroi.exceptions import DataWarning

    final = Path(cache_dir) / cache_name(prep)
    meta, arrays = _layout(prep)
    if final.exists():
        problems = verify_cache(final, full=full_check) or _describes(final, meta)
        if not problems:
            return str(final)
        note = (f"the data copy {final} was not as written: {'; '.join(problems[:2])}; "
                "rebuilt it from the source data")
        if notes is None:
            warnings.warn(note, DataWarning, stacklevel=2)
        else:
            notes.append(note)
        _remove(final)
    Path(cache_dir).mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".tmp-data-", dir=cache_dir))
    try:
        for name, arr in arrays.items():
            np.save(tmp / name, arr, allow_pickle=False)
        meta["files"] = file_manifest(tmp, arrays, meta)
        (tmp / "meta.json").write_text(json.dumps(meta))
        try:
            os.rename(tmp, final)
        except OSError:  # another process won the race: theirs is identical
            shutil.rmtree(tmp, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return str(final)


def _layout(prep: PreparedData) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """``meta.json``'s content (without its checksums) and the arrays, by file name."""
    import pandas as pd

    columns, arrays = [], {}
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
        arrays[entry["file"]] = np.ascontiguousarray(arr)
        columns.append(entry)
    arrays["y.npy"] = np.asarray(prep.y)
    arrays["pool_idx.npy"] = prep.pool_idx.astype(np.int64)
    arrays["test_idx.npy"] = prep.test_idx.astype(np.int64)
    meta = {"format": _FORMAT, "columns": columns, "task": prep.task,
            "classes": [str(c) for c in prep.classes],
            "n_classes": prep.n_classes, "fingerprint": prep.fingerprint}
    return meta, arrays


def _describes(folder: Path, meta: dict[str, Any]) -> list[str]:
    """A problem when ``folder``'s ``meta.json`` (its checksums aside) is not ``meta``."""
    try:
        stored = json.loads((folder / "meta.json").read_text())
    except (OSError, ValueError):
        return ["meta.json cannot be read"]
    stored.pop("files", None)
    return [] if stored == json.loads(json.dumps(meta)) else [
        "meta.json does not describe this data"]


def _remove(folder: Path) -> None:
    """Move a stale copy out of the way (one rename: its name is free at once), then
    delete it; a worker that still has its files open keeps reading them safely."""
    aside = folder.with_name(f".stale-{folder.name}-{os.getpid()}-{os.urandom(4).hex()}")
    try:
        os.rename(folder, aside)
    except FileNotFoundError:  # another process moved it first
        return
    shutil.rmtree(aside, ignore_errors=True)


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
