"""Compare ways of combining curve families on LCDB records (does a non-linear selector pay?).

The shipped gate (:mod:`dataroi.curves._stack`) is a *linear* softmax over families. On LCDB
the best family per curve has less than half the error of the gate, which suggests a
richer selector might close the gap. This script measures that claim: it trains each
alternative on the records of the training data sets and evaluates it on the held-out
data sets (same split as ``bench_extrapolation.py``), at N = 128 and 512 → 4N and 16N
(MAE, each data set counts once):

* ``linear gate``: the shipped form, refitted on these records (λ = 1e-4);
* ``MLP gate``: the same objective with a tanh hidden layer over the shared features;
* ``GBM selector``: gradient-boosted trees predict each family's log error from the gate's
  features; weights are a softmax of minus that prediction;
* ``direct GBM``: gradient-boosted trees predict the change from the largest size to 4N
  and 16N straight from the prefix (errors at N/8, N/4, N/2, N) — no family at all —, alone
  and blended half-and-half with the gate;
* ``kNN``: the median continuation of the 30 training curves with the most similar
  prefix;
* ``gain × α``: the gate's predicted change scaled by a constant (is it biased?).

Records come from ``bench_extrapolation.py --collect-only --cache FILE``; the prefixes are
read from LCDB itself. Run::

    python benchmarks/bench_extrapolation.py --lcdb /work/lcdb --collect-only \\
        --per-dataset-train 10 --cache /work/recs10.pkl
    python benchmarks/explore_selectors.py --cache /work/recs10.pkl --lcdb /work/lcdb

LCDB: MIT License, Copyright (c) 2021 Felix Mohr.
"""

from __future__ import annotations

import argparse
import pickle
import sys
from pathlib import Path
from typing import Any

import numpy as np
from scipy.optimize import minimize

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _lcdb import load_lcdb_curves
from bench_extrapolation import CANDIDATES
from dataroi.curves._stack import expand
from learn_curve_model import (
    MIN_RATIO,
    _arrays,
    _mae_at,
    _subset,
    ensemble_loss,
    fit_gate,
    predict_gate,
)

RATIOS = (2, 4, 8, 16)
Arrays = dict[str, np.ndarray]


# ----------------------------------------------------------------------------- MLP gate


def _mlp_parts(theta: np.ndarray, k: int, ns: int, no: int, h: int) -> list[np.ndarray]:
    shapes = [(k,), (k, ns), (k, no), (h, ns), (h,), (k, h)]
    out, i = [], 0
    for s in shapes:
        n = int(np.prod(s))
        out.append(theta[i:i + n].reshape(s))
        i += n
    return out


def _mlp_forward(theta: np.ndarray, d: Arrays, mean: np.ndarray, std: np.ndarray, h: int
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    k, ns, no = d["F"].shape[1], d["S"].shape[1], d["O"].shape[2]
    b, a, c, w1, c1, a2 = _mlp_parts(theta, k, ns, no, h)
    zs = np.clip((d["S"] - mean) / std, -5, 5)
    hid = np.tanh(zs @ w1.T + c1)
    logit = b[None] + zs @ a.T + np.einsum("nko,ko->nk", d["O"], c) + hid @ a2.T
    logit = np.where(d["A"], logit, -1e9)
    e = np.exp(logit - logit.max(axis=1, keepdims=True)) * d["A"]
    return e / e.sum(axis=1, keepdims=True), zs, hid


def _mlp_objective(theta: np.ndarray, d: Arrays, mean: np.ndarray, std: np.ndarray,
                   lam: float, h: int) -> tuple[float, np.ndarray]:
    """Smoothed absolute error of the ensemble at ratios >= 2 (as the linear gate)."""
    k, ns, no = d["F"].shape[1], d["S"].shape[1], d["O"].shape[2]
    *_, a2 = _mlp_parts(theta, k, ns, no, h)
    w, zs, hid = _mlp_forward(theta, d, mean, std, h)
    loss, dlogit = ensemble_loss(w, d)
    du = (dlogit @ a2) * (1 - hid**2)
    grad = np.concatenate([
        dlogit.sum(0), (dlogit.T @ zs).ravel(), np.einsum("nk,nko->ko", dlogit, d["O"]).ravel(),
        (du.T @ zs).ravel(), du.sum(0), (dlogit.T @ hid).ravel()])
    mask = np.ones_like(theta)
    mask[:k] = 0.0
    return loss + lam * float(np.sum(mask * theta**2)), grad + 2 * lam * mask * theta


def mlp_gate(dtr: Arrays, dte: Arrays, lam: float, h: int, seed: int = 0) -> np.ndarray:
    """Held-out predictions of an MLP gate trained on ``dtr``."""
    k, ns, no = dtr["F"].shape[1], dtr["S"].shape[1], dtr["O"].shape[2]
    mean = dtr["S"].mean(0)
    std = np.where(dtr["S"].std(0) > 1e-9, dtr["S"].std(0), 1.0)
    rng = np.random.default_rng(seed)
    theta0 = np.zeros(k + k * ns + k * no + h * ns + h + k * h)
    off = k + k * ns + k * no
    theta0[off:off + h * ns] = rng.normal(0, 0.3, h * ns)
    theta0[off + h * ns + h:] = rng.normal(0, 0.1, k * h)
    res = minimize(_mlp_objective, theta0, args=(dtr, mean, std, lam, h), jac=True,
                   method="L-BFGS-B", options={"maxiter": 3000})
    w, _, _ = _mlp_forward(res.x, dte, mean, std, h)
    return np.einsum("nk,nkp->np", w, dte["F"])


# ----------------------------------------------------------------------------- GBM selector


def _selector_design(recs: list[dict[str, Any]], k: int) -> tuple[np.ndarray, np.ndarray,
                                                                    np.ndarray]:
    x, y, idx = [], [], []
    for i, r in enumerate(recs):
        sx, ox = expand(r["shared"], r["own"], r["avail"])
        m = np.isfinite(r["truth"]) & (r["ratio"] >= MIN_RATIO)
        for j in np.nonzero(r["avail"])[0]:
            f = np.where(np.isfinite(r["F"][j]), r["F"][j], r["y_last"])
            err = np.abs(f[m] - r["truth"][m]) / r["unit"]
            x.append(np.concatenate([sx, ox[j], np.eye(k)[j]]))
            y.append(float(np.mean(np.log(err + 1e-3))) if m.any() else np.nan)
            idx.append((i, j))
    return np.array(x), np.array(y), np.array(idx)


def gbm_selector(tr: list[dict], te: list[dict], dte: Arrays, k: int, tau: float
                 ) -> np.ndarray:
    """Held-out predictions of softmax(-predicted log error / tau) weights."""
    from sklearn.ensemble import HistGradientBoostingRegressor

    x, y, idx = _selector_design(tr, k)
    ok = np.isfinite(y)
    sw = _dataset_weights(np.array([tr[i]["openmlid"] for i, _ in idx]))
    model = HistGradientBoostingRegressor(max_iter=300, learning_rate=0.05, max_leaf_nodes=15,
                                          min_samples_leaf=40, l2_regularization=1.0,
                                          random_state=0)
    model.fit(x[ok], y[ok], sample_weight=sw[ok])
    xt, _, idt = _selector_design(te, k)
    logit = np.full((len(te), k), -np.inf)
    logit[idt[:, 0], idt[:, 1]] = -model.predict(xt) / tau
    w = np.exp(logit - logit.max(axis=1, keepdims=True))
    return np.einsum("nk,nkp->np", w / w.sum(axis=1, keepdims=True), dte["F"])


# ----------------------------------------------------------------------------- direct models


def _dataset_weights(groups: np.ndarray) -> np.ndarray:
    _, inv, cnt = np.unique(groups, return_inverse=True, return_counts=True)
    return 1.0 / cnt[inv]


def prefix_table(recs: list[dict], curves: dict[tuple[int, str], Any]
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Prefix features (error at N/8, N/4, N/2 minus the error at N; the error at N; log2 N)
    and the change from N to each ratio in :data:`RATIOS` (NaN where LCDB has no anchor)."""
    x, y = [], []
    for r in recs:
        c = curves[(r["openmlid"], r["learner"])]
        mean = np.nanmean(c.error, axis=1)

        def at(n: float, mean: np.ndarray = mean, sizes: np.ndarray = c.sizes) -> float:
            j = np.nonzero(np.isclose(sizes, n, rtol=0.02))[0]
            return float(mean[j[0]]) if j.size else np.nan

        big_n, y_n = r["N"], r["y_last"]
        x.append([at(big_n / 8) - y_n, at(big_n / 4) - y_n, at(big_n / 2) - y_n, y_n,
                  np.log2(big_n)])
        y.append([at(big_n * q) - y_n for q in RATIOS])
    return np.array(x), np.array(y)


def direct_gbm(xtr: np.ndarray, ytr: np.ndarray, gtr: np.ndarray, xte: np.ndarray
               ) -> np.ndarray:
    """Predicted change at each ratio of :data:`RATIOS` (absolute-error gradient boosting)."""
    from sklearn.ensemble import HistGradientBoostingRegressor

    out = np.zeros((len(xte), len(RATIOS)))
    sw = _dataset_weights(gtr)
    for j in range(len(RATIOS)):
        ok = np.isfinite(ytr[:, j]) & np.all(np.isfinite(xtr), axis=1)
        model = HistGradientBoostingRegressor(loss="absolute_error", max_iter=300,
                                              learning_rate=0.05, min_samples_leaf=40,
                                              random_state=0)
        model.fit(xtr[ok], ytr[ok, j], sample_weight=sw[ok])
        out[:, j] = model.predict(xte)
    return np.maximum(out, -xte[:, 3:4])  # the loss stays >= 0


def knn(xtr: np.ndarray, ytr: np.ndarray, xte: np.ndarray, k: int = 30) -> np.ndarray:
    """Median continuation of the k training curves with the most similar prefix."""
    from sklearn.neighbors import NearestNeighbors

    scale = np.array([0.5, 1.0, 2.0, 1.0])
    ok = np.all(np.isfinite(xtr[:, :4]), axis=1)
    nn = NearestNeighbors(n_neighbors=k).fit(xtr[ok, :4] * scale)
    _, ind = nn.kneighbors(np.nan_to_num(xte[:, :4]) * scale)
    return np.maximum(np.nanmedian(ytr[ok][ind], axis=1), -xte[:, 3:4])


def _place(base: np.ndarray, recs: list[dict], deltas: np.ndarray) -> np.ndarray:
    """Put per-ratio changes (n, len(RATIOS)) into a copy of ``base`` (the records' grid)."""
    out = base.copy()
    for i, r in enumerate(recs):
        for j, q in enumerate(RATIOS):
            hit = np.nonzero(np.isclose(r["ratio"], q, rtol=0.02))[0]
            if hit.size and np.isfinite(deltas[i, j]):
                out[i, hit[0]] = r["y_last"] + deltas[i, j]
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cache", required=True, help="records of bench_extrapolation.py")
    ap.add_argument("--lcdb", required=True, help="database-accuracy.csv or its folder")
    args = ap.parse_args(argv)
    print("reproduce: python benchmarks/explore_selectors.py " + " ".join(sys.argv[1:]))
    with open(args.cache, "rb") as fh:
        data = pickle.load(fh)
    tr, te = data["train"], data["test"]
    k = len(CANDIDATES)
    dtr, dte = _arrays(tr, k), _arrays(te, k)
    big_n = np.array([r["N"] for r in te])
    n_ds = (len({r["openmlid"] for r in tr}), len({r["openmlid"] for r in te}))
    print(f"{len(tr)} training fits ({n_ds[0]} data sets), {len(te)} held-out fits "
          f"({n_ds[1]} data sets); MAE of the predicted validation error, data sets weighted "
          "equally")

    rows: dict[str, np.ndarray] = {}
    theta, mean, std = fit_gate(dtr, 1e-4)
    _, gate = predict_gate(theta, mean, std, dte)
    rows["linear gate (refit, lambda 1e-4)"] = gate
    for h in (8, 16):
        rows[f"MLP gate, {h} hidden"] = mlp_gate(dtr, dte, 3e-4, h)
    for tau in (0.3, 1.0):
        rows[f"GBM selector, tau {tau}"] = gbm_selector(tr, te, dte, k, tau)
    curves = {(c.openmlid, c.learner): c for c in load_lcdb_curves(args.lcdb)}
    xtr, ytr = prefix_table(tr, curves)
    xte, _ = prefix_table(te, curves)
    gtr = np.array([r["openmlid"] for r in tr])
    direct = _place(gate, te, direct_gbm(xtr, ytr, gtr, xte))
    rows["direct GBM on the prefix"] = direct
    rows["  half gate, half direct GBM"] = 0.5 * (gate + direct)
    rows["kNN prefix (30 curves)"] = _place(gate, te, knn(xtr, ytr, xte))
    for alpha in (0.8, 1.2):
        y_last = dte["ylast"][:, None]
        rows[f"gate gain x {alpha}"] = y_last + alpha * (gate - y_last)
    err = np.abs(np.where(dte["A"][:, :, None], dte["F"], np.inf) - dte["T"][:, None, :])
    rows["oracle best family per curve"] = np.take_along_axis(
        dte["F"], np.argmin(err, axis=1)[:, None, :], axis=1)[:, 0, :]

    print(f"{'method':<36}" + "".join(f"{f'N{n} {q}x':>11}" for n in (128, 512)
                                       for q in (4, 16)))
    for name, pred in rows.items():
        cells = []
        for n in (128, 512):
            idx = np.nonzero(big_n == n)[0]
            sub = _subset(dte, idx)
            cells += [_mae_at(pred[idx], sub, 4.0), _mae_at(pred[idx], sub, 16.0)]
        print(f"{name:<36}" + "".join(f"{v:>11.4f}" for v in cells), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
