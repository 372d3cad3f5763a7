"""Read the committed curve corpus: the loader the benchmarks share.

``curves.parquet`` holds one row per (data set, learner, training size, repeat, metric):
``dataset, learner, n_train, repeat, metric, value, train_value, fit_seconds,
predict_seconds``. ``manifest.csv`` describes each data set (source, licence, rows,
classes, majority share, what was dropped).

Example:
    >>> frame = load_curves()
    >>> sorted(frame["metric"].unique())
    ['accuracy', 'log_loss', 'roc_auc']
    >>> t = trials(frame, "digits")
    >>> sorted(t["model"].unique())
    ['hgb', 'knn', 'logreg', 'rf']
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["CORPUS_DIR", "curve", "load_curves", "load_manifest", "trials"]

CORPUS_DIR = Path(__file__).resolve().parent


def load_curves(path: str | Path | None = None) -> pd.DataFrame:
    """The corpus (``curves.parquet``), categories as plain strings."""
    frame = pd.read_parquet(path or CORPUS_DIR / "curves.parquet")
    for col in ("dataset", "learner", "metric"):
        frame[col] = frame[col].astype(str)
    return frame


def load_manifest(path: str | Path | None = None) -> pd.DataFrame:
    """The data sets of the corpus (``manifest.csv``)."""
    return pd.read_csv(path or CORPUS_DIR / "manifest.csv", keep_default_na=False)


def trials(frame: pd.DataFrame, dataset: str, *, max_n: int | None = None,
           learners: Any = None) -> pd.DataFrame:
    """One data set's trials as a tidy trials frame (what ``Study.trials()`` returns and
    ``dataroi.analyze`` takes): ``model`` for the learner, ``state`` complete; only sizes
    ``<= max_n`` when given."""
    sub = frame[frame["dataset"] == dataset]
    if learners is not None:
        sub = sub[sub["learner"].isin(list(learners))]
    if max_n is not None:
        sub = sub[sub["n_train"] <= max_n]
    out = sub.rename(columns={"learner": "model"}).drop(columns=["dataset"])
    return out.assign(state="complete").reset_index(drop=True)


def curve(frame: pd.DataFrame, dataset: str, learner: str, metric: str = "accuracy"
          ) -> tuple[np.ndarray, np.ndarray]:
    """One curve: sizes and the (size × repeat) matrix of the metric (NaN where missing)."""
    sub = frame[(frame["dataset"] == dataset) & (frame["learner"] == learner)
                & (frame["metric"] == metric)]
    wide = sub.pivot_table(index="n_train", columns="repeat", values="value",
                           aggfunc="mean").sort_index()
    return wide.index.to_numpy(dtype=float), wide.to_numpy(dtype=float)
