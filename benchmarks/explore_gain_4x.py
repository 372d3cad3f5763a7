"""Explore: the learned gain forecast's held-out extrapolation error, as bench_decisions
judges it, without running the decisions (issue #19: 4x MAE <= 0.75x pow3).

Two modes:

* ``--rows`` (fast, seconds): the corpus accuracy rows of the training-rows cache
  (``learn_gain_model.py --rows``) on bench_decisions' units (cuts 256-2048 where 4N was
  measured for every learner; factors measured for every learner), each predicted by its
  fold's model (``--gain-folds DIR``): the median of the forecast (mean + scale x the
  median of the scaled errors) and its 5/25/75/95 % quantiles, against pow3.
* ``--pipeline`` (minutes): dataroi.analyze(trials <= N, curves=fold model,
  p_calibration="none").curves.draws(...) as ``bench_decisions.dataroi_unit`` makes its
  ``preds``; the same table (checks that the fast mode agrees).

Run::

    python benchmarks/explore_gain_4x.py --gain-folds GAIN \\
        --rows ROWS.parquet
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE / "corpus")]

from dataroi.curves._gain import FACTORS, FEATURES, gain_model_from_dict  # noqa: E402

CUTS = (256, 512, 1024, 2048)


def unit_rows(rows: pd.DataFrame, frame: pd.DataFrame) -> pd.DataFrame:
    """The corpus accuracy rows bench_decisions predicts: cut N in 256-2048 where 4N was
    measured for every learner, factors up to the smallest largest size."""
    acc = frame[frame["metric"] == "accuracy"]
    largest = acc.groupby(["dataset", "learner"])["n_train"].max().groupby(
        level=0).min()
    r = rows[rows["group"].str.startswith("corpus:") & (rows["metric"] == "accuracy")
             & rows["n0"].isin(CUTS)].copy()
    r["dataset"] = r["group"].str.split(":", n=1).str[1]
    big = r["dataset"].map(largest).to_numpy(float)
    keep = (4 * r["n0"].to_numpy() <= big) & (r["k"] * r["n0"] <= big)
    return r[keep].reset_index(drop=True)


def predict_rows(r: pd.DataFrame, folds_dir: Path) -> pd.DataFrame:
    """Median and quantiles of each row's forecast by its fold's model."""
    assign = json.loads((folds_dir / "folds.json").read_text())
    out = r.copy()
    for q in ("med", "mean", "q05", "q25", "q75", "q95"):
        out[q] = np.nan
    X = r[list(FEATURES)].to_numpy(float)
    for path in sorted(set(assign.values())):
        held = r["dataset"].map(assign).eq(path).to_numpy()
        if not held.any():
            continue
        m = gain_model_from_dict(json.loads(Path(path).read_text()))
        mean = m.predict_matrix(X[held])
        scale = m.scale(X[held], mean)
        kidx = np.array([FACTORS.index(int(k)) for k in r.loc[held, "k"]])
        out.loc[held, "mean"] = mean
        for name, u in (("med", 0.5), ("q05", 0.05), ("q25", 0.25), ("q75", 0.75),
                        ("q95", 0.95)):
            z = np.array([np.interp(u, m.u, m.resid_q[i]) for i in kidx])
            out.loc[held, name] = mean + scale * z
    return out


def table(p: pd.DataFrame, pred: str = "med", label: str = "") -> dict[int, float]:
    """MAE per factor (mean over data sets of per-data-set means), ratio to pow3,
    coverage; returns the ratios."""
    ratios = {}
    if label:
        print(label)
    for k in FACTORS:
        g = p[p["k"] == k]
        if not len(g):
            continue

        def per(v: pd.Series, g: pd.DataFrame = g) -> float:
            return float(v.groupby(g["dataset"]).mean().mean())

        ours = per((g[pred] - g["target"]).abs())
        pw = per((g["pow3"] - g["target"]).abs())
        lg = per((g["lastgain"] - g["target"]).abs())
        c90 = ((g["q05"] <= g["target"]) & (g["target"] <= g["q95"])).mean()
        c50 = ((g["q25"] <= g["target"]) & (g["target"] <= g["q75"])).mean()
        ratios[k] = ours / pw
        print(f"  {k:2d}x ({len(g)} predictions): MAE dataroi {ours:.4f}, pow3 {pw:.4f}, "
              f"last_gain {lg:.4f}; dataroi/pow3 {ours / pw:.3f}; bias "
              f"{per(g[pred] - g['target']):+.4f}; coverage 50 % {c50:.0%}, 90 % {c90:.0%}")
    return ratios


def pipeline(folds_dir: Path, corpus: str, draws: int, limit: int | None) -> pd.DataFrame:
    """bench_decisions' ``preds`` of every unit, from the full dataroi pipeline."""
    from load import load_curves

    import dataroi
    from bench_decisions import _trials, measured_means, rule_gains, units

    warnings.simplefilter("ignore")
    frame = load_curves(corpus)
    assign = json.loads((folds_dir / "folds.json").read_text())
    means = measured_means(frame)
    todo = units(frame, None)[:limit]
    out = []
    for i, u in enumerate(todo):
        trials = _trials(frame, u)
        analysis = dataroi.analyze(trials, metric="accuracy", n_draws=draws, random_state=0,
                                   curves=assign[u.dataset], p_calibration="none")
        totals = [u.n0 + d for d in u.deltas]
        for lr in sorted(trials["model"].unique()):
            dr = analysis.curves.draws(lr, totals, draws)
            gains = rule_gains(frame, u, lr)
            today = means[(u.dataset, lr, u.n0)]
            for j, t in enumerate(totals):
                out.append({"dataset": u.dataset, "learner": lr, "n0": u.n0,
                            "k": t // u.n0, "target": means[(u.dataset, lr, t)] - today,
                            "med": float(np.median(dr[:, j])) - today,
                            "mean": float(dr[:, j].mean()) - today,
                            **{f"q{int(q * 100):02d}": float(np.quantile(dr[:, j], q))
                               - today for q in (0.05, 0.25, 0.75, 0.95)},
                            "pow3": gains["pow3"][j], "lastgain": gains["last_gain"][j]})
        if i % 20 == 0:
            print(f"  {i + 1}/{len(todo)} units", flush=True)
    return pd.DataFrame(out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--gain-folds", type=Path, required=True)
    ap.add_argument("--rows", type=Path, default=Path("ROWS.parquet"))
    ap.add_argument("--corpus", default=str(HERE / "corpus" / "curves.parquet"))
    ap.add_argument("--pipeline", action="store_true")
    ap.add_argument("--draws", type=int, default=1000)
    ap.add_argument("--limit", type=int)
    ap.add_argument("--save", type=Path, help="write the predictions here (parquet)")
    args = ap.parse_args(argv)
    from load import load_curves

    if args.pipeline:
        p = pipeline(args.gain_folds, args.corpus, args.draws, args.limit)
    else:
        p = predict_rows(unit_rows(pd.read_parquet(args.rows), load_curves(args.corpus)),
                         args.gain_folds)
    if args.save:
        p.to_parquet(args.save)
    table(p, "med", f"median of the forecast ({args.gain_folds}):")
    table(p, "mean", "mean of the forecast:")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
