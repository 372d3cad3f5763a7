"""Would conditioning on more than the validation prefix make the curves better on LCDB?

The shipped intervals are ``prediction + Q(u) * s`` (:mod:`dataroi.curves._calibration`):
a learned scale ``s`` (a linear model of ``log |residual|``) and one quantile table per
extrapolation ratio and observed span. This script asks whether conditioning on more pays,
on held-out data sets (same split as ``bench_extrapolation.py``), by the coverage of the
50 / 80 / 90 % intervals and their *interval score* (width + 2/α × the miss; lower is
better; each data set counts once):

* ``learner kind in the scale model``: one-hot learner kinds (linear, kernel, tree, forest,
  boosting, neighbours, Bayes, neural net, QDA) added to the scale regression;
* ``learner kind as a scale factor``: the shipped scale times a per-kind factor (the kind's
  mean ``log |z|`` against all, shrunk towards 1 by ``sets / (sets + 10)``);
* ``tables per tercile of X``: one calibration table per tercile of the curve's noise, its
  predicted scale or its level (instead of one table for all curves);

whether the gate itself (MAE at 4N and 16N) improves with

* the learner kind among its shared features;
* the *training* error (LCDB's ``score_train``, with ``--lcdb``): the textbook diagnostic
  of a learning curve is the gap between training and validation error, which the
  validation prefix alone does not show. Shared features: the training error at N, the
  relative gap ``(val - train) / val``, the training error's change over the last three
  sizes and the log gap; per family, how far its predicted relative gain at 16N exceeds
  the gap.

and (with ``--lcdb``) how often the test error 4N or 16N later is already below the
training error at N: whether the train–test gap that ``dataroi value`` shows bounds what
more labels can buy, or only hints at it.

The learner kind would need a new input from the user (an estimator mapped to a kind),
and the training-error gate a second learned gate (trials now record their training
scores); this measures what they would buy before anyone builds them.
Records come from ``bench_extrapolation.py --collect-only``::

    python benchmarks/bench_extrapolation.py --lcdb /work/lcdb --collect-only \
        --cache /work/recs.pkl
    python benchmarks/explore_conditioning.py --cache /work/recs.pkl --lcdb /work/lcdb

LCDB: MIT License, Copyright (c) 2021 Felix Mohr.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import pickle
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _lcdb import load_lcdb_curves, load_lcdb_train_error, set_mean
from bench_extrapolation import CANDIDATES, SPLIT_SEED, lcdb_licence_text
from dataroi.curves._calibration import Calibration
from dataroi.curves._stack import SHARED_NAMES
from learn_curve_model import (
    _arrays,
    _mae_at,
    _scale_design,
    _subset,
    fit_gate,
    learn,
    learned_scale,
    log2_spans,
    normalised_residuals,
    oof_gate,
    predict_gate,
    scale_regression,
)

Arrays = dict[str, np.ndarray]
LEVELS = (0.5, 0.8, 0.9)
LOG2_GRID = np.arange(0.5, 4.01, 0.5)
#: LCDB learner (class name) → kind.
KINDS: dict[str, str] = {
    "LogisticRegression": "linear", "RidgeClassifier": "linear", "SGDClassifier": "linear",
    "Perceptron": "linear", "PassiveAggressiveClassifier": "linear", "SVC_linear": "linear",
    "LinearDiscriminantAnalysis": "linear", "SVC_rbf": "kernel", "SVC_poly": "kernel",
    "SVC_sigmoid": "kernel", "DecisionTreeClassifier": "tree", "ExtraTreeClassifier": "tree",
    "RandomForestClassifier": "forest", "ExtraTreesClassifier": "forest",
    "GradientBoostingClassifier": "boosting", "KNeighborsClassifier": "neighbours",
    "BernoulliNB": "bayes", "MultinomialNB": "bayes", "MLPClassifier": "neural net",
    "QuadraticDiscriminantAnalysis": "qda",
}


def kind(rec: dict[str, Any]) -> str:
    """The learner kind of a record."""
    return KINDS[str(rec["learner"]).rsplit(".", 1)[-1]]


def _onehot(recs: list[dict[str, Any]], rows: np.ndarray, levels: list[str]) -> np.ndarray:
    k = np.array([levels.index(kind(recs[i])) for i in rows])
    return (k[:, None] == np.arange(len(levels))[None, :]).astype(float)


def _with(d: Arrays, shared: np.ndarray, own: np.ndarray | None = None) -> Arrays:
    """Gate arrays with extra shared (and per-family) feature columns."""
    out = dict(d)
    out["S"] = np.hstack([d["S"], shared])
    if own is not None:
        out["O"] = np.concatenate([d["O"], own], axis=2)
    return out


def _gap(recs: list[dict[str, Any]], err: dict[tuple[int, str], tuple[np.ndarray, np.ndarray]]
         ) -> tuple[np.ndarray, np.ndarray]:
    """Training-error features of each record: shared ``(n, 4)`` and per family
    ``(n, k, 2)`` (see the module docstring)."""
    shared, own = [], []
    for r in recs:
        sizes, train_err = err[(int(r["openmlid"]), str(r["learner"]))]
        seen = train_err[sizes <= r["N"] * 1.01]
        val = r["y_last"]
        tr = float(seen[-1]) if seen.size and np.isfinite(seen[-1]) else val
        gap = float(np.clip((val - tr) / max(val, 1e-6), -1.0, 1.0))
        last3 = seen[-3:] if seen.size else np.array([tr])
        shared.append([tr / r["unit"], gap,
                       float(np.clip((last3[-1] - last3[0]) / (r["unit"] + 1e-6), -1, 1)),
                       float(np.log(max(val - tr, 0.0) / r["unit"] + 1e-3))])
        excess = r["own"][:, 1] - gap
        own.append(np.column_stack([np.clip(excess, -1, 1), np.maximum(excess, 0)]))
    return np.array(shared), np.array(own)


class Held:
    """Held-out residual rows: truth, prediction, scale features, ratio, span, groups."""

    def __init__(self, recs: list[dict[str, Any]], st: Any) -> None:
        d = _arrays(recs, len(CANDIDATES))
        theta = np.concatenate([st.bias, st.coef_shared.ravel(), st.coef_own.ravel()])
        w, pred = predict_gate(theta, st.mean, st.std, d)
        self.x, r, c = _scale_design(d, w, pred)
        self.r, self.recs, self.d = r, recs, d
        self.truth, self.pred = d["T"][r, c], pred[r, c]
        self.unit, self.ratio, self.span = d["unit"][r], d["R"][r, c], log2_spans(d)[r]
        self.groups = d["g"][r]
        self.n = np.array([recs[i]["N"] for i in r])

    def score(self, scale: np.ndarray, quant: Callable[[float], np.ndarray]
              ) -> dict[float, tuple[np.ndarray, np.ndarray]]:
        """Per row and level: (inside, interval score)."""
        out = {}
        for lv in LEVELS:
            lo = self.pred + quant((1 - lv) / 2) * scale
            hi = self.pred + quant((1 + lv) / 2) * scale
            miss = np.maximum(lo - self.truth, 0) + np.maximum(self.truth - hi, 0)
            inside = ((self.truth >= lo) & (self.truth <= hi)).astype(float)
            out[lv] = (inside, (hi - lo) + 2 / (1 - lv) * miss)
        return out


def _print_variant(name: str, h: Held, res: dict[float, tuple[np.ndarray, np.ndarray]]) -> None:
    cells = []
    for n_max in sorted(set(h.n.tolist())):
        for rt in (4.0, 16.0):
            sel = (h.n == n_max) & np.isclose(h.ratio, rt, rtol=0.02)
            cov = "/".join(f"{set_mean(res[lv][0][sel], h.groups[sel]):.0%}" for lv in LEVELS)
            cells.append(f"{cov:>13}")
    score = "".join(f"{set_mean(res[lv][1], h.groups):>8.4f}" for lv in LEVELS)
    print(f"{name:<40}{''.join(cells)}{score}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cache", required=True, help="records of bench_extrapolation.py")
    ap.add_argument("--lcdb", default=None,
                    help="database-accuracy.csv or its folder: adds the training-error gate")
    args = ap.parse_args(argv)
    rec = pickle.load(open(args.cache, "rb"))  # noqa: SIM115
    train, test = rec["train"], rec["test"]
    with tempfile.TemporaryDirectory() as tmp, contextlib.redirect_stdout(io.StringIO()):
        st, cal, p_oof = learn(train, CANDIDATES, rec["train_ids"], Path(tmp),
                               lcdb_licence_text(), SPLIT_SEED)
    d = _arrays(train, len(CANDIDATES))
    w_oof, _ = oof_gate(d, st.meta["lambda"])
    x, r, c, z = normalised_residuals(d, w_oof, p_oof, cal.scale_coef)
    ratio, span, groups = d["R"][r, c], log2_spans(d)[r], d["g"][r]
    h = Held(test, st)
    s_base = learned_scale(h.unit, h.x, cal.scale_coef)
    levels = sorted({kind(t) for t in train})
    print(f"training: {len(train)} fits ({len(set(groups.tolist()))} data sets); held out: "
          f"{len(test)} fits ({len(set(h.groups.tolist()))} data sets)")
    cols = "".join(f"{f'N{n} {rt}x':>13}" for n in sorted(set(h.n.tolist()))
                   for rt in (4, 16))
    print(f"\n{'coverage 50/80/90 %, interval score':<40}{cols}"
          + "".join(f"{f'IS{lv * 100:.0f}':>8}" for lv in LEVELS))
    _print_variant("shipped form (refitted here)", h,
                   h.score(s_base, lambda u: cal.quantile(u, h.ratio, h.span)))

    # learner kind in the scale regression, with its own table
    xa = np.hstack([x, _onehot(train, r, levels)])
    coef = scale_regression(d, p_oof, xa, r, c)
    za = (d["T"][r, c] - p_oof[r, c]) / learned_scale(d["unit"][r], xa, coef)
    cal_k = Calibration.learn(ratio, za, groups=groups, log2_grid=LOG2_GRID, spans=span)
    s_k = learned_scale(h.unit, np.hstack([h.x, _onehot(test, h.r, levels)]), coef)
    _print_variant("learner kind in the scale model", h,
                   h.score(s_k, lambda u: cal_k.quantile(u, h.ratio, h.span)))

    # learner kind as a shrunk multiplicative factor on the shipped scale
    logz = np.log(np.abs(z) + 1e-3)
    k_tr = np.array([kind(train[i]) for i in r])
    overall = set_mean(logz, groups)
    factor = {}
    for lev in levels:
        sel = k_tr == lev
        sets = len(set(groups[sel].tolist()))
        factor[lev] = float(np.exp(sets / (sets + 10) * (set_mean(logz[sel], groups[sel])
                                                         - overall)))
    f_te = np.array([factor[kind(test[i])] for i in h.r])
    _print_variant("learner kind as a scale factor", h,
                   h.score(s_base * f_te, lambda u: cal.quantile(u, h.ratio, h.span)))

    # one table per tercile of a curve feature
    feats = {
        "noise": (d["S0"][r, SHARED_NAMES.index("log_rel_noise")],
                  h.d["S0"][h.r, SHARED_NAMES.index("log_rel_noise")]),
        "predicted scale": (x @ cal.scale_coef, h.x @ cal.scale_coef),
        "level": (d["S0"][r, SHARED_NAMES.index("log_level")],
                  h.d["S0"][h.r, SHARED_NAMES.index("log_level")]),
    }
    for name, (v_tr, v_te) in feats.items():
        edges = np.quantile(v_tr, [1 / 3, 2 / 3])
        b_tr, b_te = np.searchsorted(edges, v_tr), np.searchsorted(edges, v_te)
        tables = [Calibration.learn(ratio[b_tr == k], z[b_tr == k], groups=groups[b_tr == k],
                                    log2_grid=LOG2_GRID, spans=span[b_tr == k])
                  for k in range(3)]

        def quant(u: float, tables: list[Calibration] = tables,
                  b_te: np.ndarray = b_te) -> np.ndarray:
            q = np.zeros(len(h.truth))
            for k, tab in enumerate(tables):
                s = b_te == k
                q[s] = tab.quantile(u, h.ratio[s], h.span[s])
            return q

        _print_variant(f"tables per tercile of {name}", h, h.score(s_base, quant))
    print("learner-kind scale factors: "
          + ", ".join(f"{k} {v:.2f}" for k, v in sorted(factor.items())))

    # the gate with more shared (and per-family) features
    print(f"\n{'gate, held-out MAE':<54}{cols}")
    dt = _arrays(test, len(CANDIDATES))
    n_te = np.array([t["N"] for t in test])
    variants: dict[str, tuple[Arrays, Arrays]] = {"shipped form (refitted here)": (d, dt)}
    variants["learner kind in the gate"] = (
        _with(d, _onehot(train, np.arange(len(train)), levels)),
        _with(dt, _onehot(test, np.arange(len(test)), levels)))
    err = load_lcdb_train_error(args.lcdb) if args.lcdb else {}
    if args.lcdb:
        variants["+ training error (shared)"] = (_with(d, _gap(train, err)[0]),
                                                 _with(dt, _gap(test, err)[0]))
        variants["+ training error (shared, per family)"] = (
            _with(d, *_gap(train, err)), _with(dt, *_gap(test, err)))
    for name, (dtr, dte) in variants.items():
        scores = {}
        for lam in (3e-5, 1e-4, 3e-4):
            p = oof_gate(dtr, lam)[1]
            scores[lam] = _mae_at(p, dtr, 4.0) + 0.5 * _mae_at(p, dtr, 16.0)
        lam = min(scores, key=scores.__getitem__)
        theta, mean, std = fit_gate(dtr, lam)
        pred = predict_gate(theta, mean, std, dte)[1]
        cells = []
        for n_max in sorted(set(n_te.tolist())):
            idx = np.nonzero(n_te == n_max)[0]
            for rt in (4.0, 16.0):
                cells.append(f"{_mae_at(pred[idx], _subset(dte, idx), rt):>13.4f}")
        print(f"{name + f' (lambda {lam:g})':<54}{''.join(cells)}")
    if args.lcdb:
        gap_is_a_hint(args.lcdb, err)
        closed_gap_gains(args.lcdb)
    return 0


def closed_gap_gains(lcdb: str) -> None:
    """What more labels bought on LCDB curves whose train-test gap at N was closed (within
    2 standard errors of the test mean), against curves with a wide gap: the evidence
    behind the ``gap_closed`` diagnostic of :mod:`dataroi.curves._diagnostics`."""
    print("\ngain of the test error from N to 4N by the train-test gap at N (all LCDB curves; "
          "mean: each data set counts once)")
    curves = load_lcdb_curves(lcdb)
    for n_max in (128, 512, 2048):
        rows: list[tuple[int, float, float, float]] = []
        for c in curves:
            i = np.nonzero(np.isclose(c.sizes, n_max, rtol=0.02))[0]
            j = np.nonzero(np.isclose(c.sizes, 4 * n_max, rtol=0.02))[0]
            if not i.size or not j.size:
                continue
            seen = c.error[i[0]][np.isfinite(c.error[i[0]])]
            tr = c.train_error[i[0]][np.isfinite(c.train_error[i[0]])]
            later = c.error[j[0]][np.isfinite(c.error[j[0]])]
            if len(seen) < 2 or not tr.size or not later.size:
                continue
            se = float(seen.std(ddof=1) / np.sqrt(len(seen)))
            rows.append((c.openmlid, float(seen.mean() - tr.mean()), se,
                         float(seen.mean() - later.mean())))
        ids = np.array([r[0] for r in rows])
        gap, se, gain = (np.array([r[k] for r in rows]) for k in (1, 2, 3))
        parts = []
        for label, sel in (("gap <= 2 SE", gap <= 2 * se), ("gap > 2 SE", gap > 2 * se)):
            parts.append(f"{label}: {int(sel.sum())} curves, median gain "
                         f"{np.median(gain[sel]):.4f}, mean {set_mean(gain[sel], ids[sel]):.4f},"
                         f" gain > 0.01 for {np.mean(gain[sel] > 0.01):.0%}")
        print(f"  N={n_max}: " + "; ".join(parts))


def gap_is_a_hint(lcdb: str, err: dict[tuple[int, str], tuple[np.ndarray, np.ndarray]]
                  ) -> None:
    """How often the test error at 4N / 16N is already below the training error at N
    (every LCDB curve): the train-test gap bounds what more labels can buy only if that
    never happens."""
    print("\ntraining error at N as a floor for the test error later (all LCDB curves)")
    for n_max in (128, 512, 2048):
        parts = []
        for ratio in (4, 16):
            below = total = 0
            for c in load_lcdb_curves(lcdb):
                sizes, train_err = err[(c.openmlid, c.learner)]
                i = np.nonzero(np.isclose(sizes, n_max, rtol=0.02))[0]
                j = np.nonzero(np.isclose(c.sizes, ratio * n_max, rtol=0.02))[0]
                if not i.size or not j.size or not np.isfinite(train_err[i[0]]):
                    continue
                later = float(np.nanmean(c.error[j[0]]))
                if not np.isfinite(later):
                    continue
                total += 1
                below += later < train_err[i[0]] - 1e-9
            parts.append(f"{ratio}N: {below}/{total} = {below / max(total, 1):.1%}")
        print(f"  N={n_max}: test error below the training error at N, at " + ", ".join(parts))


if __name__ == "__main__":
    raise SystemExit(main())
