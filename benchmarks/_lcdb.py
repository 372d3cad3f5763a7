"""Load LCDB 1.0 learning curves (Mohr et al., 2022; MIT licence) for the curve benchmark.

LCDB is read from its CSV files, never by importing the ``lcdb`` package (it imports
undeclared packages at module level). Fetch it once, outside the repository::

    pip download --no-deps lcdb==0.1.0 -d /work/lcdb_dl
    mkdir -p /work/lcdb && tar xzf /work/lcdb_dl/lcdb-0.1.0.tar.gz -C /work/lcdb \
        lcdb-0.1.0/LICENSE.txt lcdb-0.1.0/lcdb/database-accuracy.csv

and point ``DATAROI_LCDB`` (or ``--lcdb``) at the unpacked ``database-accuracy.csv`` or at a
directory that contains it. A compact cache (``lcdb-curves-accuracy.npz``) is written beside it.

LCDB copyright notice: MIT License, Copyright (c) 2021 Felix Mohr.
"""

from __future__ import annotations

import math
import os
import warnings
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["LcdbCurve", "find_lcdb_csv", "load_lcdb_curves", "load_lcdb_train_error",
           "set_mean"]


@dataclass(frozen=True)
class LcdbCurve:
    """One LCDB learning curve: validation error per anchor and seed."""

    openmlid: int
    learner: str
    sizes: np.ndarray  # (n_anchors,)
    error: np.ndarray  # (n_anchors, n_seeds), NaN where a seed is missing
    traintime: np.ndarray  # (n_anchors, n_seeds) seconds
    train_error: np.ndarray  # (n_anchors, n_seeds): 1 - score_train, on the training rows


def find_lcdb_csv(path: str | os.PathLike[str] | None = None) -> Path:
    """Locate ``database-accuracy.csv`` from an argument or ``DATAROI_LCDB``."""
    raw = path if path is not None else os.environ.get("DATAROI_LCDB")
    if not raw:
        raise SystemExit(
            "LCDB not found: pass --lcdb PATH or set DATAROI_LCDB to database-accuracy.csv "
            "(see benchmarks/_lcdb.py for the two commands that fetch it)"
        )
    p = Path(raw)
    if p.is_dir():
        hits = sorted(p.rglob("database-accuracy.csv"))
        if not hits:
            raise SystemExit(f"no database-accuracy.csv under {p}")
        p = hits[0]
    if not p.exists():
        raise SystemExit(f"LCDB file not found: {p}")
    return p


def load_lcdb_curves(path: str | os.PathLike[str] | None = None) -> list[LcdbCurve]:
    """Return every LCDB curve (validation and training error = 1 - accuracy), cached as
    ``.npz`` next to the CSV."""
    csv = find_lcdb_csv(path)
    cache = csv.with_name("lcdb-curves-accuracy-v2.npz")
    if not cache.exists():
        import pandas as pd

        df = pd.read_csv(
            csv,
            usecols=["openmlid", "learner", "size_train", "outer_seed", "inner_seed",
                     "traintime", "score_valid", "score_train"],
        )
        df["seed"] = df["outer_seed"] * 100 + df["inner_seed"]
        df = df.groupby(["openmlid", "learner", "size_train", "seed"], as_index=False).agg(
            score_valid=("score_valid", "mean"), traintime=("traintime", "mean"),
            score_train=("score_train", "mean"),
        )
        ids, learners, sizes_l, err_l, tt_l, tr_l = [], [], [], [], [], []
        for (oid, learner), g in df.groupby(["openmlid", "learner"], sort=True):
            piv = g.pivot(index="size_train", columns="seed", values="score_valid")
            tpiv = g.pivot(index="size_train", columns="seed", values="traintime")
            trpiv = g.pivot(index="size_train", columns="seed", values="score_train")
            ids.append(int(oid))
            learners.append(str(learner))
            sizes_l.append(piv.index.to_numpy(dtype=float))
            err_l.append(1.0 - piv.to_numpy(dtype=float))
            tt_l.append(tpiv.to_numpy(dtype=float))
            tr_l.append(1.0 - trpiv.to_numpy(dtype=float))
        np.savez_compressed(
            cache,
            ids=np.array(ids),
            learners=np.array(learners),
            sizes=np.array(sizes_l, dtype=object),
            error=np.array(err_l, dtype=object),
            traintime=np.array(tt_l, dtype=object),
            train_error=np.array(tr_l, dtype=object),
        )
    z = np.load(cache, allow_pickle=True)
    return [
        LcdbCurve(int(i), str(le), np.asarray(s, float), np.asarray(e, float),
                  np.asarray(t, float), np.asarray(tr, float))
        for i, le, s, e, t, tr in zip(
            z["ids"], z["learners"], z["sizes"], z["error"], z["traintime"], z["train_error"],
            strict=True,
        )
    ]


def load_lcdb_train_error(
    path: str | os.PathLike[str] | None = None,
) -> dict[tuple[int, str], tuple[np.ndarray, np.ndarray]]:
    """Mean *training* error (1 - ``score_train``, mean over seeds) of every LCDB curve,
    from :func:`load_lcdb_curves`.

    Returns:
        ``(openmlid, learner) -> (sizes, mean training error at each size)``.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a size with no seed: NaN
        return {(c.openmlid, c.learner): (c.sizes, np.nanmean(c.train_error, axis=1))
                for c in load_lcdb_curves(path)}


def set_mean(values: Any, groups: Any) -> float:
    """Mean of per-data-set means: curves of one data set are correlated, so every
    OpenML data set counts once (NaN without values).

    Example:
        >>> set_mean([1.0, 3.0, 10.0], [7, 7, 8])
        6.0
    """
    by: dict[Any, list[float]] = defaultdict(list)
    for g, v in zip(groups, values, strict=True):
        by[g].append(float(v))
    return float(np.mean([np.mean(v) for v in by.values()])) if by else math.nan
