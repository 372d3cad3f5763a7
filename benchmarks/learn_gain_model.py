"""Learn dataroi's gain forecast (``dataroi.curves._gain``) on the curve corpus and LCDB.

Training rows: every curve of the corpus (``benchmarks/corpus``, accuracy) and of LCDB 1.0
(accuracy, five seeds per curve: a study's shape), cut at N in {128, ..., 2048}: the
features of the curve observed up to N, and the measured gain of the mean at 2N, 4N,
8N and 16N. LCDB data sets that are also corpus data sets (mushroom, optdigits,
page-blocks, pendigits, spambase, MNIST...) are left out, so that leaving a corpus data
set out leaves its data out. Every data set weighs the same.

The model: a stack, per factor, of a ridge regression (the features and their
interactions with ``log2 k``), gradient-boosted trees (absolute loss), the last-gain rule
and pow3 (the ridge's and the trees' predictions clipped to [0, headroom] first):
non-negative weights per factor (``BLEND_PARTS``), fitted by weighted least absolute
deviations to the held-out predictions of the corpus rows (each fold's weights without
that fold's rows, as its spread is calibrated; on bench_decisions' 1,012 predictions at
4x, the even ridge/trees average erred 0.79x pow3, the stack 0.74x;
``benchmarks/explore_gain_4x.py``). Its spread: a scale
``c0 + c1 |pred| + c2 |L1| + c3 se`` per factor, fitted to out-of-fold absolute errors,
and the quantiles of the errors divided by it (out of fold, leave-data-set-out).

Writes the model trained on everything to ``src/dataroi/curves/gain_model.json`` and,
with ``--folds-out DIR``, one model per fold of corpus data sets (each learned without
that fold) for the leave-data-set-out decisions benchmark. Prints the out-of-fold error
against a power law. A fresh learn may differ from the shipped file, so
to make the folds of a benchmark run add ``--keep-shipped``: the shipped model (which
every figure on record was measured with) stays as it is.

Run::

    python benchmarks/learn_gain_model.py --lcdb /path/to/lcdb --jobs 2 \\
        --folds-out /tmp/gain-folds --keep-shipped
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import sys
import time
import warnings
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(HERE), str(HERE / "corpus")]

from dataroi.curves._gain import (  # noqa: E402
    BLEND_PARTS,
    FACTORS,
    FEATURES,
    context_of,
    curve_state,
    export_trees,
    feature_matrix,
    gain_model_from_dict,
)

CUTS = (128, 256, 512, 1024, 2048)
U_GRID = (0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.6, 0.7, 0.75, 0.8, 0.85,
          0.9, 0.95, 0.975, 0.99)
#: LCDB data sets that are corpus data sets too (left out of the LCDB rows).
LCDB_OVERLAP = {"mushroom", "optdigits", "page-blocks", "pendigits", "spambase",
                "mnist_784", "texture", "twonorm", "ring", "marketing"}
N_SEEDS = 5
#: The weight of an LCDB data set against a corpus data set (chosen by the held-out error
#: of the corpus rows among 0, 0.1, 0.3 and 1: LCDB runs other learners on other anchors).
LCDB_WEIGHT = 0.1
#: The corpus metrics learned from (bounded in [0, 1], higher is better).
METRICS = ("accuracy", "roc_auc")
RIDGE_ALPHA = 3.0
HGB = {"loss": "absolute_error", "max_iter": 400, "learning_rate": 0.04,
       "max_leaf_nodes": 15, "min_samples_leaf": 30, "l2_regularization": 1.0}


# ---------------------------------------------------------------- rows
def _rows_for(group: str, metric: str, curves: dict[str, dict[str, Any]]
              ) -> list[dict[str, Any]]:
    """Training rows of one data set and metric: ``curves`` maps learner → {"sizes",
    "means", "ses", "train"} at doubling sizes (all learners share the sizes)."""
    rows = []
    for n0 in CUTS:
        states = {}
        for lr, c in curves.items():
            s = c["sizes"]
            if n0 not in s or int(np.sum(s <= n0)) < 2:
                continue
            keep = s <= n0
            j = int(np.where(s == n0)[0][0])
            states[lr] = curve_state(s[keep], c["means"][keep], se=float(c["ses"][j]),
                                     train_sizes=s[keep], train_means=c["train"][keep])
        if not states:
            continue
        ctx = context_of(states)
        for lr, st in states.items():
            c = curves[lr]
            X = feature_matrix(st, ctx)
            for j, k in enumerate(FACTORS):
                at = np.where(c["sizes"] == k * n0)[0]
                if not len(at) or not math.isfinite(c["means"][at[0]]):
                    continue
                rows.append({"group": group, "metric": metric, "learner": lr, "n0": n0,
                             "k": k,
                             "target": float(c["means"][at[0]] - st.today),
                             **dict(zip(FEATURES, X[j], strict=True))})
    return rows


Curves = dict[tuple[str, str], dict[str, dict[str, Any]]]


def _corpus_curves(frame: pd.DataFrame, metrics: tuple[str, ...]) -> Curves:
    out: Curves = {}
    for (ds, metric, lr), g in frame[frame["metric"].isin(metrics)].groupby(
            ["dataset", "metric", "learner"]):
        agg = g.groupby("n_train").agg(m=("value", "mean"), s=("value", "std"),
                                        n=("value", "count"), t=("train_value", "mean"))
        out.setdefault((f"corpus:{ds}", metric), {})[lr] = {
            "sizes": agg.index.to_numpy(float), "means": agg["m"].to_numpy(float),
            "ses": (agg["s"] / np.sqrt(agg["n"])).to_numpy(float),
            "train": agg["t"].to_numpy(float)}
    return out


def _lcdb_curves(path: str) -> Curves:
    from _lcdb import load_lcdb_curves

    names = pd.read_csv(Path(path).parent / "datasets.csv", usecols=["openmlid", "Name"]) \
        if (Path(path).parent / "datasets.csv").exists() else None
    skip = set()
    if names is not None:
        skip = set(names.loc[names["Name"].str.lower().isin(LCDB_OVERLAP), "openmlid"])
    out: Curves = {}
    doubling = 64 * 2.0 ** np.arange(0, 12)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for c in load_lcdb_curves(path):
            if c.openmlid in skip:
                continue
            keep = np.isin(c.sizes, doubling)
            if keep.sum() < 3:
                continue
            acc = 1.0 - c.error[keep]
            tr = 1.0 - c.train_error[keep]
            seeds = [j for j in range(acc.shape[1]) if np.isfinite(acc[:, j]).all()][:N_SEEDS]
            if len(seeds) < 3:
                continue
            a = acc[:, seeds]
            out.setdefault((f"lcdb:{c.openmlid}", "accuracy"), {})[c.learner] = {
                "sizes": c.sizes[keep], "means": a.mean(axis=1),
                "ses": a.std(axis=1, ddof=1) / math.sqrt(len(seeds)),
                "train": np.nanmean(tr[:, seeds], axis=1)}
    # learners of one data set must share the sizes: keep the common ones
    for learners in out.values():
        common = set.intersection(*(set(v["sizes"]) for v in learners.values()))
        for lr, v in learners.items():
            m = np.isin(v["sizes"], sorted(common))
            learners[lr] = {k: np.asarray(x)[m] for k, x in v.items()}
    return out


def _rows_job(item: tuple[tuple[str, str], dict[str, dict[str, Any]]]
              ) -> list[dict[str, Any]]:
    warnings.simplefilter("ignore")
    (group, metric), curves = item
    return _rows_for(group, metric, curves)


def build_rows(corpus_path: str, lcdb: str | None, jobs: int,
               metrics: tuple[str, ...] = METRICS) -> pd.DataFrame:
    from load import load_curves

    sets = _corpus_curves(load_curves(corpus_path), metrics)
    if lcdb:
        sets |= _lcdb_curves(lcdb)
    items = list(sets.items())
    if jobs > 1:
        with ProcessPoolExecutor(jobs) as pool:
            parts = list(pool.map(_rows_job, items, chunksize=4))
    else:
        parts = [_rows_job(i) for i in items]
    return pd.DataFrame([r for p in parts for r in p])


# ---------------------------------------------------------------- learning
def _weights(groups: pd.Series) -> np.ndarray:
    """Every corpus data set weighs the same, an LCDB data set :data:`LCDB_WEIGHT` of it."""
    counts = groups.map(groups.value_counts())
    lcdb = groups.str.startswith("lcdb:").to_numpy()
    return (np.where(lcdb, LCDB_WEIGHT, 1.0) / counts).to_numpy(float)


def fit_point(rows: pd.DataFrame) -> dict[str, Any]:
    """Ridge and trees on ``rows``; returns their parts of the JSON model."""
    from sklearn.ensemble import HistGradientBoostingRegressor
    from sklearn.linear_model import Ridge

    X = rows[list(FEATURES)].to_numpy(float)
    y = rows["target"].to_numpy(float)
    w = _weights(rows["group"])
    mu, sd = X.mean(axis=0), X.std(axis=0) + 1e-9
    z = (X - mu) / sd
    ridge = Ridge(alpha=RIDGE_ALPHA).fit(np.column_stack([z, z * z[:, :1]]), y,
                                         sample_weight=w / w.mean())
    hgb = HistGradientBoostingRegressor(random_state=0, **HGB).fit(X, y,
                                                                   sample_weight=w / w.mean())
    part = {"ridge": {"mu": mu.tolist(), "sd": sd.tolist(), "coef": ridge.coef_.tolist(),
                      "intercept": float(ridge.intercept_)},
            "hgb": export_trees(hgb),
            "blend": 0.5,  # the stack's weights are fitted later (fit_blend)
            "clip_parts": True}
    # the exported trees predict exactly what scikit-learn predicts
    probe = _model({**part, "residual": _flat_residual()})
    assert np.allclose(probe.trees.predict(X[:500]), hgb.predict(X[:500]), atol=1e-9)
    return part


def _parts(point: dict[str, Any], X: np.ndarray) -> np.ndarray:
    """The predictions of :data:`BLEND_PARTS` for rows ``X`` (before the stack)."""
    m = _model({**point, "residual": _flat_residual()})
    top = np.maximum(X[:, FEATURES.index("headroom")], 0.0)[:, None]
    models = np.column_stack([m._ridge(X), m.trees.predict(X)])
    return np.column_stack([np.clip(models, 0.0, top) if m.clip_parts else models,
                            X[:, FEATURES.index("lastgain")], X[:, FEATURES.index("pow3")]])


def fit_blend(rows: pd.DataFrame, parts: np.ndarray) -> list[list[float]]:
    """The stack's weights per factor: non-negative, minimising the weighted absolute
    error (every data set weighs the same) of held-out predictions ``parts`` (rows ×
    :data:`BLEND_PARTS`), a linear programme."""
    from scipy.optimize import linprog
    from scipy.sparse import csr_matrix, hstack, identity

    y = rows["target"].to_numpy(float)
    w = _weights(rows["group"])
    out = []
    for k in FACTORS:
        m = rows["k"].to_numpy() == k
        A, n = parts[m], int(m.sum())
        c = np.concatenate([np.zeros(A.shape[1]), w[m], w[m]]) / w[m].mean()
        eq = hstack([csr_matrix(A), identity(n), -identity(n)]).tocsr()
        res = linprog(c, A_eq=eq, b_eq=y[m], bounds=(0, None), method="highs")
        if not res.success:
            raise RuntimeError(f"the stack's weights at {k}x: {res.message}")
        out.append([float(v) for v in res.x[:A.shape[1]]])
    assert len(out[0]) == len(BLEND_PARTS)
    return out


def _stacked(parts: np.ndarray, rows: pd.DataFrame, blend: list[list[float]]
             ) -> np.ndarray:
    """The stack's predictions (clipped as :meth:`GainModel.predict_matrix` clips)."""
    w = np.asarray(blend)[[FACTORS.index(int(k)) for k in rows["k"]]]
    return np.clip((parts * w).sum(axis=1), 0.0,
                   np.maximum(rows["headroom"].to_numpy(float), 0.0))


def _flat_residual() -> dict[str, Any]:
    return {"u": list(U_GRID), "q": [[0.0] * len(U_GRID)] * len(FACTORS),
            "scale_coef": [[1e-3, 0.0, 0.0, 0.0]] * len(FACTORS)}


def _model(d: dict[str, Any]) -> Any:
    return gain_model_from_dict({"features": list(FEATURES), **d})


def corpus_folds(rows: pd.DataFrame, folds: int) -> dict[str, int]:
    """Corpus data set → its fold (GroupKFold over the corpus data sets)."""
    from sklearn.model_selection import GroupKFold

    sets = sorted(g for g in rows["group"].unique() if g.startswith("corpus:"))
    return {sets[i]: f for f, (_, te) in enumerate(GroupKFold(folds).split(sets, groups=sets))
            for i in te}


def fit_residual(rows: pd.DataFrame, pred: np.ndarray) -> dict[str, Any]:
    """The scale per factor (least squares of |error| on its features, weights by data
    set) and the quantiles of the scaled errors, from held-out predictions ``pred``."""
    from scipy.optimize import nnls

    r = rows["target"].to_numpy(float) - pred
    w = _weights(rows["group"])
    coefs, qs = [], []
    zs = np.full(len(rows), np.nan)
    for k in FACTORS:
        m = rows["k"].to_numpy() == k
        A = np.column_stack([np.ones(m.sum()), np.abs(pred[m]), np.abs(rows.loc[m, "L1"]),
                             rows.loc[m, "se"]])
        sw = np.sqrt(w[m] / w[m].mean())
        c, _ = nnls(A * sw[:, None], np.abs(r[m]) * sw)
        c[0] = max(c[0], 1e-4)
        coefs.append(c.tolist())
        z = r[m] / np.maximum(A @ c, 1e-4)
        zs[m] = z
        order = np.argsort(z)
        cw = np.cumsum(w[m][order])
        cw = (cw - 0.5 * w[m][order]) / cw[-1]
        qs.append(np.interp(U_GRID, cw, z[order]).tolist())
    return {"u": list(U_GRID), "q": qs, "scale_coef": coefs,
            "corr": _copula(rows.assign(z=zs)).tolist(),
            "model_corr": _model_corr(rows.assign(z=zs))}


def _copula(rows: pd.DataFrame) -> np.ndarray:
    """The correlation of the scaled errors of one curve's cut across the factors: rank
    correlations (pairwise) turned into the Gaussian copula's (2 sin(pi rho / 6)),
    made positive semi-definite."""
    wide = rows.pivot_table(index=["group", "metric", "learner", "n0"], columns="k",
                            values="z").reindex(columns=list(FACTORS))
    rho = 2.0 * np.sin(np.pi * wide.corr(method="spearman").to_numpy() / 6.0)
    rho = np.nan_to_num(rho, nan=0.0)
    np.fill_diagonal(rho, 1.0)
    w, v = np.linalg.eigh(rho)
    rho = (v * np.maximum(w, 1e-6)) @ v.T
    d = np.sqrt(np.diag(rho))
    return rho / np.outer(d, d)


def _model_corr(rows: pd.DataFrame) -> float:
    """The correlation of two learners' scaled errors at 2x on the same data set, metric
    and cut (every ordered pair of learners; a rank correlation turned into the Gaussian
    copula's, 2 sin(pi rho / 6)), floored at 0. A staged plan draws the models'
    measurements at 2N with it: drawn independently, some model looks much better than
    forecast far more often than it does on real data (the winner of many independent
    draws), and the plan's P(net > 0) and value of information come out too high."""
    first = rows[rows["k"] == FACTORS[0]]
    a, b = [], []
    for _, g in first.groupby(["group", "metric", "n0"]):
        z = g["z"].to_numpy(float)
        if len(z) < 2:
            continue
        i, j = np.triu_indices(len(z), k=1)
        a += [*z[i], *z[j]]
        b += [*z[j], *z[i]]
    if len(a) < 10:
        return 0.0
    rho = pd.Series(a).corr(pd.Series(b), method="spearman")
    return float(max(2.0 * np.sin(np.pi * rho / 6.0), 0.0)) if np.isfinite(rho) else 0.0


@dataclass
class Learned:
    """The model on every row, one model per fold of corpus data sets (learned without
    the fold), and the corpus rows' held-out predictions and calibrations."""

    model: dict[str, Any]
    fold_models: list[dict[str, Any]]
    fold_of: dict[str, int]
    corpus: np.ndarray
    pred: np.ndarray


def learn(rows: pd.DataFrame, folds: int) -> Learned:
    """Point models on everything and per fold; the spread is calibrated on the corpus
    rows' held-out errors only (LCDB's curves, one learner run per seed on other anchors,
    err more widely than a dataroi study's: calibrated on them, the corpus's 90 %
    intervals covered 92-98 % at twice the width)."""
    fold_of = corpus_folds(rows, folds)
    corpus = rows["group"].str.startswith("corpus:").to_numpy()
    fold = rows["group"].map(fold_of).fillna(-1).to_numpy(int)
    X = rows[list(FEATURES)].to_numpy(float)
    parts = np.full((len(rows), len(BLEND_PARTS)), np.nan)
    points = []
    for f in range(folds):
        point = fit_point(rows[fold != f])
        points.append(point)
        held = fold == f
        parts[held] = _parts(point, X[held])
    # each fold's stack is fitted to the other folds' held-out predictions
    pred = np.full(len(rows), np.nan)
    for f, point in enumerate(points):
        point["blend"] = fit_blend(rows[corpus & (fold != f)], parts[corpus & (fold != f)])
        held = fold == f
        pred[held] = _stacked(parts[held], rows[held], point["blend"])
    fold_models = []
    for f, point in enumerate(points):
        calib = corpus & (fold != f)
        fold_models.append({"features": list(FEATURES), **point,
                            "residual": fit_residual(rows[calib], pred[calib]),
                            "meta": {"fold": f, "held_out": sorted(
                                g.split(":", 1)[1] for g, ff in fold_of.items() if ff == f)}})
    model = {"features": list(FEATURES), **fit_point(rows),
             "blend": fit_blend(rows[corpus], parts[corpus]),
             "residual": fit_residual(rows[corpus], pred[corpus]),
             "meta": {"rows": len(rows), "data_sets": int(rows["group"].nunique()),
                      "corpus_data_sets": len(fold_of), "factors": list(FACTORS),
                      "cuts": list(CUTS), "learned_by": "benchmarks/learn_gain_model.py"}}
    return Learned(model, fold_models, fold_of, corpus, pred)


def report(rows: pd.DataFrame, learned: Learned) -> None:
    """Held-out error against the rules, and the coverage of the intervals, each corpus
    row judged by the model and calibration of the fold that left its data set out."""
    X = rows[list(FEATURES)].to_numpy(float)
    pred = learned.pred
    fold = rows["group"].map(learned.fold_of).fillna(-1).to_numpy(int)
    lo = {p: np.full(len(rows), np.nan) for p in (0.05, 0.25, 0.75, 0.95)}
    for f, fm in enumerate(learned.fold_models):
        held = fold == f
        m = _model(fm)
        scale = m.scale(X[held], pred[held])
        lk = X[held, FEATURES.index("lk")]
        for p in lo:
            z = np.array([np.interp(p, m.u, m.resid_q[FACTORS.index(int(2 ** v))])
                          for v in lk])
            lo[p][held] = pred[held] + scale * z
    y_all = rows["target"].to_numpy(float)
    print("held out (leave-data-set-out, 10 folds of corpus data sets), corpus rows; "
          "each data set weighs the same:")
    for metric, k in itertools.product(rows.loc[learned.corpus, "metric"].unique(), FACTORS):
        sel = learned.corpus & (rows["k"].to_numpy() == k) & (rows["metric"] == metric
                                                              ).to_numpy()
        g = rows.loc[sel, "group"]
        y = y_all[sel]

        def per_set(v: np.ndarray, g: pd.Series = g) -> float:
            return float(pd.Series(v, index=g.index).groupby(g).mean().mean())

        ours = per_set(np.abs(pred[sel] - y))
        pow3 = per_set(np.abs(rows.loc[sel, "pow3"].to_numpy() - y))
        last = per_set(np.abs(rows.loc[sel, "lastgain"].to_numpy() - y))
        c50 = per_set((y >= lo[0.25][sel]) & (y <= lo[0.75][sel]))
        c90 = per_set((y >= lo[0.05][sel]) & (y <= lo[0.95][sel]))
        print(f"  {metric} {k:2d}x ({sel.sum()} rows): MAE {ours:.4f} vs pow3 {pow3:.4f} "
              f"(ratio {ours / pow3:.2f}), last-gain {last:.4f} "
              f"(ratio {ours / last:.2f}); bias {per_set(pred[sel] - y):+.4f}; "
              f"coverage 50 % {c50:.0%}, 90 % {c90:.0%}; median 90 % width "
              f"{np.median(lo[0.95][sel] - lo[0.05][sel]):.4f}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", default=str(HERE / "corpus" / "curves.parquet"))
    ap.add_argument("--lcdb", help="LCDB's database-accuracy.csv or its folder (see _lcdb.py)")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--folds", type=int, default=10)
    ap.add_argument("--rows", type=Path, help="cache of the training rows (parquet)")
    ap.add_argument("--out", type=Path,
                    default=ROOT / "src" / "dataroi" / "curves" / "gain_model.json")
    ap.add_argument("--folds-out", type=Path,
                    help="also write the model of each fold of corpus data sets here")
    ap.add_argument("--keep-shipped", action="store_true",
                    help="do not write --out (the shipped model): only report and write "
                    "--folds-out, as a benchmark's leave-data-set-out folds need")
    args = ap.parse_args(argv)
    if args.keep_shipped and not args.folds_out:
        ap.error("--keep-shipped writes nothing without --folds-out")
    t0 = time.perf_counter()
    if args.rows and args.rows.exists():
        rows = pd.read_parquet(args.rows)
    else:
        rows = build_rows(args.corpus, args.lcdb, args.jobs)
        if args.rows:
            rows.to_parquet(args.rows)
    print(f"{len(rows):,} rows from {rows['group'].nunique()} data sets "
          f"({rows.loc[rows['group'].str.startswith('corpus:'), 'group'].nunique()} corpus) "
          f"in {time.perf_counter() - t0:.0f} s")
    learned = learn(rows, args.folds)
    report(rows, learned)
    if args.keep_shipped:
        print(f"left {args.out} as it is (--keep-shipped)")
    else:
        args.out.write_text(json.dumps(learned.model, separators=(",", ":")) + "\n")
        print(f"wrote {args.out} ({args.out.stat().st_size / 1024:,.0f} KB) "
              f"in {time.perf_counter() - t0:.0f} s")
    if args.folds_out:
        args.folds_out.mkdir(parents=True, exist_ok=True)
        assign = {}
        for f, fm in enumerate(learned.fold_models):
            path = args.folds_out / f"fold-{f}.json"
            path.write_text(json.dumps(fm, separators=(",", ":")))
            assign |= {name: str(path) for name in fm["meta"]["held_out"]}
        (args.folds_out / "folds.json").write_text(json.dumps(assign, indent=1))
        print(f"wrote {args.folds} fold models and folds.json to {args.folds_out}")
    print(f"reproduce: python benchmarks/learn_gain_model.py --lcdb {args.lcdb} "
          f"--folds {args.folds}" + (" --folds-out DIR" if args.folds_out else "")
          + (" --keep-shipped" if args.keep_shipped else ""))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
