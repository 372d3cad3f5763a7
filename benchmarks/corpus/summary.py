"""What the curve corpus holds: per data set and learner, the metric at 512, 4,096 and the
largest size, and how the curves behave — every number from the committed files.

Per curve (the mean over its repeats at each size):

* **still rising** at its largest size: the gain over the last doubling is above 2
  standard errors of that difference (the repeats are paired: the same subsets);
* **non-monotone** (ill-behaved, as LCDB 1.1 counts them): somewhere the mean gets worse
  from one size to the next by more than 2 standard errors of the paired difference;
* **best learner kept**: is the data set's best learner at 512 still the best at the
  largest size every learner reached?

Run::

    python benchmarks/corpus/summary.py                 # accuracy
    python benchmarks/corpus/summary.py --metric roc_auc
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

from load import curve, load_curves, load_manifest

HIGHER = {"accuracy": True, "roc_auc": True, "log_loss": False}


def _paired_steps(matrix: np.ndarray, sign: float) -> tuple[np.ndarray, np.ndarray]:
    """Per consecutive pair of sizes: the mean improvement and its standard error
    (paired over the repeats both sizes have)."""
    means, ses = [], []
    for i in range(matrix.shape[0] - 1):
        d = sign * (matrix[i + 1] - matrix[i])
        d = d[np.isfinite(d)]
        means.append(float(d.mean()) if len(d) else math.nan)
        ses.append(float(d.std(ddof=1) / math.sqrt(len(d))) if len(d) > 1 else math.nan)
    return np.array(means), np.array(ses)


def curve_facts(frame: pd.DataFrame, dataset: str, learner: str, metric: str
                ) -> dict[str, object]:
    sizes, m = curve(frame, dataset, learner, metric)
    sign = 1.0 if HIGHER[metric] else -1.0
    mean = np.nanmean(m, axis=1)
    steps, ses = _paired_steps(m, sign)
    tol = np.where(np.isfinite(ses) & (ses > 0), 2 * ses, 1e-9)
    at = {int(n): float(v) for n, v in zip(sizes, mean, strict=True)}
    return {
        "dataset": dataset, "learner": learner, "largest": int(sizes[-1]),
        "at_512": at.get(512, math.nan), "at_4096": at.get(4096, math.nan),
        "at_largest": float(mean[-1]),
        "rising": bool(len(steps) and steps[-1] > tol[-1]),
        "non_monotone": bool(np.any(steps < -tol)),
    }


def best_kept(facts: pd.DataFrame, metric: str) -> dict[str, object]:
    """Per data set: the best learner at 512 and at the largest shared size."""
    out = {}
    pick = max if HIGHER[metric] else min
    for ds, g in facts.groupby("dataset"):
        g = g[np.isfinite(g["at_512"])]
        if len(g) < 2:
            continue
        shared = int(g["largest"].min())
        at_shared = {r.learner: r.at_largest if r.largest == shared else math.nan
                     for r in g.itertuples()}
        if any(not math.isfinite(v) for v in at_shared.values()):
            continue  # a learner capped below the others: no common largest size
        first = pick(g.itertuples(), key=lambda r: r.at_512).learner
        last = pick(at_shared, key=at_shared.get)
        out[ds] = {"best_512": first, "best_largest": last, "kept": first == last}
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--metric", default="accuracy", choices=sorted(HIGHER))
    args = ap.parse_args(argv)
    frame = load_curves()
    manifest = load_manifest()
    metric = args.metric
    sub = frame[frame["metric"] == metric]
    pairs = sub[["dataset", "learner"]].drop_duplicates().itertuples(index=False)
    facts = pd.DataFrame([curve_facts(frame, d, lr, metric) for d, lr in pairs])
    kept = best_kept(facts, metric)
    n_sets, n_curves = facts["dataset"].nunique(), len(facts)
    n_16x = int((facts["largest"] >= 16 * 1024).sum())
    print(f"curve corpus: {n_sets} data sets, {n_curves} curves (data set × learner), "
          f"{frame.groupby(['dataset', 'learner', 'n_train', 'repeat']).ngroups:,} trials, "
          f"{len(frame):,} rows; {n_16x} curves reach 16 × 1,024 = 16,384 labels")
    kinds = manifest.groupby("kind")["dataset"].count().to_dict()
    print("kinds: " + ", ".join(f"{k} {v}" for k, v in sorted(kinds.items())))
    print(f"\n{metric} (mean over repeats) per data set and learner; rising = the last "
          "doubling gained > 2 SE; non-monotone = a drop > 2 SE somewhere")
    pd.set_option("display.width", 200)
    pd.set_option("display.max_rows", 500)
    show = facts.assign(
        rising=facts["rising"].map({True: "yes", False: ""}),
        non_monotone=facts["non_monotone"].map({True: "yes", False: ""}))
    print(show.to_string(index=False, float_format=lambda v: f"{v:.4f}"))
    print(f"\nshare of curves still rising at their largest size: "
          f"{facts['rising'].mean():.1%} ({int(facts['rising'].sum())} of {n_curves})")
    for lo, label in ((16384, "largest >= 16,384"), (0, "all")):
        part = facts[facts["largest"] >= lo]
        print(f"  {label}: {part['rising'].mean():.1%} of {len(part)}")
    print(f"share of non-monotone curves: {facts['non_monotone'].mean():.1%} "
          f"({int(facts['non_monotone'].sum())} of {n_curves}; LCDB 1.1 finds 14-15 % "
          "ill-behaved)")
    n_kept = sum(v["kept"] for v in kept.values())
    print(f"best learner at 512 still best at the largest size: {n_kept} of {len(kept)} "
          f"data sets ({n_kept / max(len(kept), 1):.0%})")
    changed = {d: v for d, v in kept.items() if not v["kept"]}
    if changed:
        print("  changed: " + "; ".join(f"{d} {v['best_512']} -> {v['best_largest']}"
                                        for d, v in sorted(changed.items())))
    print("\nreproduce: python benchmarks/corpus/summary.py --metric " + metric)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
