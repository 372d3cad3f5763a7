"""Read the committed curve corpus: the loader the benchmarks share.

``curves.parquet`` holds one row per (data set, learner, training size, repeat, metric):
``dataset, learner, n_train, repeat, metric, value, train_value, fit_seconds,
predict_seconds``. ``manifest.csv`` describes each data set (source, licence, rows,
classes, majority share, what was dropped).

``noise_curves.parquet`` (``build_noise.py``) holds the noise arms of 16 of the data sets:
the same columns plus ``arm`` (``clean``, ``noise=0.05``, ``noise=0.1``, ``noise=0.2``,
``cc-noise``), ``noise_kind`` (``none``, ``symmetric``, ``class_conditional``) and
``noise_rate``; ``noise_manifest.csv`` describes them. :func:`noise_trials` gives a data
set's arms as a trials frame with dataroi's arm names (``logreg[noise=0.1]``).

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

__all__ = ["CORPUS_DIR", "curve", "load_curves", "load_manifest", "load_noise_curves",
           "load_noise_manifest", "noise_trials", "trials"]

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


def load_noise_curves(path: str | Path | None = None) -> pd.DataFrame:
    """The noise arms (``noise_curves.parquet``), categories as plain strings.

    Raises:
        FileNotFoundError: the file is not built yet (``build_noise.py --export-only``).
    """
    path = Path(path or CORPUS_DIR / "noise_curves.parquet")
    if not path.exists():
        raise FileNotFoundError(f"{path} does not exist yet: build it with "
                                "python benchmarks/corpus/build_noise.py")
    frame = pd.read_parquet(path)
    for col in ("dataset", "learner", "metric", "arm", "noise_kind"):
        frame[col] = frame[col].astype(str)
    return frame


def load_noise_manifest(path: str | Path | None = None) -> pd.DataFrame:
    """The data sets of the noise arms (``noise_manifest.csv``)."""
    return pd.read_csv(path or CORPUS_DIR / "noise_manifest.csv", keep_default_na=False)


def noise_trials(frame: pd.DataFrame, dataset: str, *, max_n: int | None = None,
                 learners: Any = None, arms: Any = None) -> pd.DataFrame:
    """One data set's noise arms as a tidy trials frame: ``model`` is dataroi's name of
    the arm (``logreg`` for the clean arm, ``logreg[noise=0.1]``, ``logreg[cc-noise]``),
    as a study with a ``stress:`` section lists them; only sizes ``<= max_n`` when given.

    Example:
        >>> import pandas as pd
        >>> f = pd.DataFrame({"dataset": "d", "learner": "lr", "arm": ["clean", "noise=0.1"],
        ...                   "noise_kind": ["none", "symmetric"], "noise_rate": [0.0, 0.1],
        ...                   "n_train": 64, "repeat": 0, "metric": "accuracy",
        ...                   "value": [0.8, 0.7]})
        >>> list(noise_trials(f, "d")["model"])
        ['lr', 'lr[noise=0.1]']
    """
    sub = frame[frame["dataset"] == dataset]
    if learners is not None:
        sub = sub[sub["learner"].isin(list(learners))]
    if arms is not None:
        sub = sub[sub["arm"].isin(list(arms))]
    if max_n is not None:
        sub = sub[sub["n_train"] <= max_n]
    model = sub["learner"].where(sub["arm"] == "clean", sub["learner"] + "[" + sub["arm"] + "]")
    out = sub.drop(columns=["dataset", "learner", "arm", "noise_kind", "noise_rate"])
    return out.assign(model=model, state="complete").reset_index(drop=True)


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
