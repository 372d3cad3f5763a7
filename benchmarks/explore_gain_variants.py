"""Explore: variants of the learned gain forecast, judged leave-data-set-out on the corpus
accuracy rows bench_decisions predicts (``explore_gain_4x.unit_rows``).

Each variant is a function ``rows, train_mask, test_mask -> predictions of the test
rows`` (the point forecast; the spread is left to ``learn_gain_model.py``); the folds are
``learn_gain_model.corpus_folds`` (the same 10 folds of corpus data sets). Prints the
MAE ratio to pow3 at 2x-16x (bench units) and at all corpus rows.

Run::

    python benchmarks/explore_gain_variants.py --rows ROWS.parquet \\
        base blend0.3
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE / "corpus")]

import learn_gain_model as L  # noqa: E402
from dataroi.curves._gain import FACTORS, FEATURES  # noqa: E402
from explore_gain_4x import unit_rows  # noqa: E402


def _w(rows: pd.DataFrame) -> np.ndarray:
    w = L._weights(rows["group"])
    return w / w.mean()


def ridge_pred(tr: pd.DataFrame, te: pd.DataFrame, alpha: float = L.RIDGE_ALPHA,
               feats: tuple[str, ...] = FEATURES) -> np.ndarray:
    from sklearn.linear_model import Ridge

    X, Xt = tr[list(feats)].to_numpy(float), te[list(feats)].to_numpy(float)
    mu, sd = X.mean(axis=0), X.std(axis=0) + 1e-9
    z, zt = (X - mu) / sd, (Xt - mu) / sd
    lk = list(feats).index("lk")
    m = Ridge(alpha=alpha).fit(np.column_stack([z, z * z[:, lk:lk + 1]]),
                               tr["target"].to_numpy(float), sample_weight=_w(tr))
    return m.predict(np.column_stack([zt, zt * zt[:, lk:lk + 1]]))


def hgb_pred(tr: pd.DataFrame, te: pd.DataFrame, feats: tuple[str, ...] = FEATURES,
             target: np.ndarray | None = None, **kw: object) -> np.ndarray:
    from sklearn.ensemble import HistGradientBoostingRegressor

    params = {**L.HGB, **kw}
    y = tr["target"].to_numpy(float) if target is None else target
    m = HistGradientBoostingRegressor(random_state=0, **params).fit(
        tr[list(feats)].to_numpy(float), y, sample_weight=_w(tr))
    return m.predict(te[list(feats)].to_numpy(float))


def clip(te: pd.DataFrame, p: np.ndarray) -> np.ndarray:
    return np.clip(p, 0.0, np.maximum(te["headroom"].to_numpy(float), 0.0))


Variant = Callable[[pd.DataFrame, pd.DataFrame], dict[str, np.ndarray]]


def run(rows: pd.DataFrame, variant: Variant, folds: int = 10) -> dict[str, np.ndarray]:
    """Out-of-fold predictions of the corpus rows (each named output of the variant)."""
    fold_of = L.corpus_folds(rows, folds)
    fold = rows["group"].map(fold_of).fillna(-1).to_numpy(int)
    out: dict[str, np.ndarray] = {}
    for f in range(folds):
        tr, te = rows[fold != f], rows[fold == f]
        for name, p in variant(tr, te).items():
            out.setdefault(name, np.full(len(rows), np.nan))[fold == f] = clip(te, p)
    return out


def score(rows: pd.DataFrame, preds: dict[str, np.ndarray], units: pd.DataFrame) -> None:
    """MAE ratio to pow3 per factor on bench units (accuracy) and on all corpus rows."""
    key = ["group", "metric", "learner", "n0", "k"]
    idx = rows.reset_index(drop=True).reset_index().merge(units[key], on=key)["index"]
    for name, p in preds.items():
        parts = []
        for label, sel_rows in (("bench", rows.iloc[idx.to_numpy()]),
                                ("all", rows[rows["group"].str.startswith("corpus:")])):
            pp = p[sel_rows.index.to_numpy()] if label == "all" else p[idx.to_numpy()]
            g = sel_rows.assign(e=np.abs(pp - sel_rows["target"].to_numpy()),
                                ep=np.abs(sel_rows["pow3"] - sel_rows["target"]))
            r = []
            for k in FACTORS:
                gk = g[g["k"] == k]
                a = gk.groupby("group")["e"].mean().mean()
                b = gk.groupby("group")["ep"].mean().mean()
                r.append(f"{a / b:.3f}")
            parts.append(f"{label} " + "/".join(r))
        print(f"  {name:28s} {' | '.join(parts)}", flush=True)


# ---------------------------------------------------------------- variants
def v_base(tr: pd.DataFrame, te: pd.DataFrame) -> dict[str, np.ndarray]:
    r, h = ridge_pred(tr, te), hgb_pred(tr, te)
    return {f"blend{b}": b * r + (1 - b) * h for b in (0.0, 0.3, 0.5, 0.7, 1.0)}


VARIANTS: dict[str, Variant] = {"base": v_base}


def v_parts(tr: pd.DataFrame, te: pd.DataFrame) -> dict[str, np.ndarray]:
    """The parts a stack could blend: ridge, trees, trees on the residual over pow3."""
    y = tr["target"].to_numpy(float)
    return {"ridge": ridge_pred(tr, te), "hgb": hgb_pred(tr, te),
            "hgb_over_pow3": te["pow3"].to_numpy(float)
            + hgb_pred(tr, te, target=y - tr["pow3"].to_numpy(float))}


VARIANTS["parts"] = v_parts


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=Path, default=Path("ROWS.parquet"))
    ap.add_argument("--save", type=Path, help="folder for the out-of-fold predictions")
    ap.add_argument("variants", nargs="*", default=["base"])
    args = ap.parse_args(argv)
    from load import load_curves

    rows = pd.read_parquet(args.rows).reset_index(drop=True)
    units = unit_rows(rows, load_curves())
    print("ratio to pow3 at 2x/4x/8x/16x (mean of the forecast, held out)")
    for v in args.variants:
        t0 = time.perf_counter()
        preds = run(rows, VARIANTS[v])
        score(rows, preds, units)
        if args.save:
            pd.DataFrame(preds).to_parquet(args.save / f"oof-{v}.parquet")
        print(f"  ({v}: {time.perf_counter() - t0:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

