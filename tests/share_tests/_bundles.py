"""Helpers of the share tests: a CSV study with marker values, and bundle surgery.

``flowers_study`` writes iris as a CSV with a categorical column and unusual numbers
(markers no report, ledger row or prediction may contain) and runs a small study on it.
``rewrite`` copies a bundle with some members replaced, fixing the manifest's hashes or
not, as someone editing a bundle by hand would.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import yaml

from tests._specs import LOGREG, TREE

#: Values put into the CSV: a category and two numbers that occur nowhere else.
MARKER_CATEGORY = "ZQXMARKERCAT"
MARKER_NUMBERS = (8675309.4242, 7654321.1357)
MARKER_TEXTS = (MARKER_CATEGORY, "8675309.4242", "7654321.1357", "8675309", "7654321")


def write_flowers(folder: Path) -> Path:
    """Iris as ``flowers.csv`` with a ``colour`` column holding the marker category in
    three rows and the marker numbers in column ``a``; return the CSV's path."""
    import numpy as np
    import pandas as pd
    from sklearn.datasets import load_iris

    x, y = load_iris(return_X_y=True)
    frame = pd.DataFrame(x, columns=["a", "b", "c", "d"])
    frame["colour"] = np.random.default_rng(0).choice(["red", "green", "blue"], len(frame))
    frame.loc[[3, 50, 140], "colour"] = MARKER_CATEGORY
    frame.loc[[7, 77], "a"] = list(MARKER_NUMBERS)
    frame["label"] = y
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "flowers.csv"
    frame.to_csv(path, index=False)
    return path


def flowers_study(folder: Path) -> Path:
    """A finished study on ``flowers.csv`` (two models, 3 sizes × 2 repeats); its spec."""
    import dataroi

    write_flowers(folder)
    spec = {"name": "flowers", "data": {"source": "flowers.csv", "target": "label"},
            "models": {"logreg": dict(LOGREG), "tree": dict(TREE)},
            "metrics": ["accuracy"],
            "schedule": {"sizes": [20, 40, 80], "repeats": 2, "seed": 0}}
    path = folder / "study.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    dataroi.load_study(path).run(jobs=1, progress=False)
    return path


def rewrite(bundle: Path, out: Path, changes: Mapping[str, bytes | None], *,
            fix_hashes: bool = True,
            manifest: Callable[[dict[str, Any]], None] | None = None) -> Path:
    """Copy ``bundle`` to ``out`` with members replaced (None: removed; a new name:
    added), the manifest's hashes updated when ``fix_hashes``; ``manifest`` may edit
    the manifest too."""
    with zipfile.ZipFile(bundle) as z:
        members = {i.filename: z.read(i.filename) for i in z.infolist()}
    data = json.loads(members.pop("manifest.json"))
    for name, content in changes.items():
        if content is None:
            members.pop(name, None)
            if fix_hashes:
                data["members"].pop(name, None)
            continue
        members[name] = content
        if fix_hashes:
            data["members"][name] = {"sha256": hashlib.sha256(content).hexdigest(),
                                     "bytes": len(content)}
    if manifest is not None:
        manifest(data)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("manifest.json", json.dumps(data))
        for name, content in members.items():
            z.writestr(name, content)
    return out


def read_member(bundle: Path, name: str) -> bytes:
    with zipfile.ZipFile(bundle) as z:
        return z.read(name)


def parquet_rows(data: bytes) -> list[dict[str, Any]]:
    import pyarrow.parquet as pq

    return pq.read_table(io.BytesIO(data)).to_pylist()


def parquet_bytes(rows: list[dict[str, Any]], like: bytes) -> bytes:
    """Rows written as Parquet with the schema of the Parquet file ``like``."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = pq.read_table(io.BytesIO(like)).schema
    buf = io.BytesIO()
    pq.write_table(pa.Table.from_pylist(rows, schema=schema), buf)
    return buf.getvalue()
