"""Learn the calibration of the P(net > 0) dataroi states, from the decisions benchmark.

Reproduce (after a run of the decisions benchmark *without* a calibration, whose
``decisions.csv`` holds the policy's stated and realized outcomes)::

    python benchmarks/bench_decisions.py --jobs 2 --no-baseline-rev --no-p-calibration \\
        --gain-folds GAIN --workdir RUN
    python benchmarks/learn_p_calibration.py --decisions RUN/decisions.csv \\
        --gain-folds GAIN --folds-out PCAL --out src/dataroi/decide/p_calibration.json

What is learned (:mod:`dataroi.decide._calibration`): for the staged plan, an isotonic
regression (scikit-learn's ``IsotonicRegression``, increasing, clipped to [0, 1]) of
"the policy ended with more money than staying" on the stated P(net > 0), over the
decisions where dataroi's policy *at the default* ``decision.max_p_loss``
(``dataroi@<default>`` of the benchmark's sweep) followed a staged plan that spends;
data sets weigh the same (each decision weighs 1 / its data set's count). The realized
rate depends on the policy: the same stated 0.65 ended with more money in 52 % of the
decisions without a limit at the later stages (``dataroi@1.0``) and in 83 % with the
default's, so the map is learned on the policy dataroi follows. Below the smallest
stated probability it saw (the default's limit keeps plans under 1 - max_p_loss out),
the map is the identity: it knows nothing there, and at the default limit the
calibrated check holds back exactly the plans the model's did. With ``--kinds
staged,option`` the chosen one-shot options that spend get a map too.

Leave-data-set-out: one map per fold of the gain models (``learn_gain_model.py
--folds-out``'s ``folds.json``: the same partition of data sets), learned on the other
folds' decisions, written as ``PCAL/fold-K.json`` (``bench_decisions.py
--p-calibration-folds PCAL`` reads them); ``--out`` gets the map learned on every data
set, the one dataroi ships.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.isotonic import IsotonicRegression

from dataroi.spec import DecisionSpec

#: the largest probability a map states: a few hundred outcomes cannot show certainty
MAX_REALIZED = 0.995
#: the sweep entry whose decisions the maps are learned on: the default max_p_loss
SOURCE_METHOD = f"dataroi@{DecisionSpec().max_p_loss:g}"


def outcomes(dec: pd.DataFrame, kind: str) -> pd.DataFrame:
    """The decisions a map of ``kind`` learns from: stated p, realized (net > 0), data set."""
    d = dec[(dec["method"] == SOURCE_METHOD) & (dec["cost"] > 0)
            & dec["p_net_positive"].notna()]
    d = d[d["stages"] > 0] if kind == "staged" else d[d["stages"] == 0]
    return pd.DataFrame({"dataset": d["dataset"], "p": d["p_net_positive"].astype(float),
                         "won": (d["net"] > 0).astype(float)})


def fit_map(rows: pd.DataFrame) -> dict[str, list[float]]:
    """The isotonic map's knots (stated → realized), data sets weighing the same."""
    w = 1.0 / rows.groupby("dataset")["p"].transform("size")
    iso = IsotonicRegression(y_min=0.0, y_max=MAX_REALIZED, increasing=True,
                             out_of_bounds="clip")
    iso.fit(rows["p"], rows["won"], sample_weight=w)
    x = [round(float(v), 6) for v in iso.X_thresholds_]
    y = [round(float(v), 6) for v in iso.y_thresholds_]
    if len(x) < 2:  # one distinct stated value: flat from there to 1
        x, y = [x[0], 1.0], [y[0], y[0]]
    # below what it saw, the identity (up to just under its first knot)
    if x[0] > 0.0:
        lo = round(min(x[0] - 1e-6, y[0]), 6)
        x, y = [0.0, lo, *x], [0.0, lo, *y]
    return {"stated": x, "realized": y}


def learn(dec: pd.DataFrame, kinds: list[str], source: str) -> dict:
    """The calibration file's content, learned on ``dec``."""
    return {"source": source,
            "maps": {k: fit_map(outcomes(dec, k)) for k in kinds}}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--decisions", type=Path, required=True,
                    help="decisions.csv of bench_decisions.py --no-p-calibration")
    ap.add_argument("--gain-folds", type=Path, required=True,
                    help="learn_gain_model.py --folds-out folder (its folds.json)")
    ap.add_argument("--folds-out", type=Path, required=True)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--kinds", default="staged")
    args = ap.parse_args(argv)
    kinds = args.kinds.split(",")
    dec = pd.read_csv(args.decisions)
    fold_of = {d: Path(p).stem for d, p in
               json.loads((args.gain_folds / "folds.json").read_text()).items()}
    dec = dec[dec["dataset"].isin(fold_of)]
    args.folds_out.mkdir(parents=True, exist_ok=True)
    index = {}
    for fold in sorted(set(fold_of.values())):
        held = {d for d, f in fold_of.items() if f == fold}
        train = dec[~dec["dataset"].isin(held)]
        body = learn(train, kinds, f"bench_decisions outcomes without {fold} "
                                   f"({train['dataset'].nunique()} data sets)")
        (args.folds_out / f"{fold}.json").write_text(json.dumps(body, indent=1) + "\n")
        index.update({d: f"{fold}.json" for d in held})
    (args.folds_out / "folds.json").write_text(json.dumps(index, indent=1, sort_keys=True)
                                               + "\n")
    body = learn(dec, kinds, f"bench_decisions outcomes of {dec['dataset'].nunique()} "
                             f"corpus data sets ({SOURCE_METHOD}, decisions that spend)")
    args.out.write_text(json.dumps(body, indent=1) + "\n")
    for k in kinds:
        rows = outcomes(dec, k)
        m = body["maps"][k]
        print(f"{k}: {len(rows)} decisions on {rows['dataset'].nunique()} data sets; "
              "stated → realized at " + ", ".join(
                  f"{p:.2f} → {np.interp(p, m['stated'], m['realized']):.2f}"
                  for p in (0.5, 0.6, 0.7, 0.8, 0.9, 0.95)))
    print(f"wrote {args.out} and {len(set(fold_of.values()))} fold maps in {args.folds_out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
