"""Learn the decay and interval scale dataroi ships for the effective-sample rule (#26).

dataroi forecasts a noise arm's gap to its clean model by the effective-sample rule
anchored at today's paired gap, today's excess over the rule fading as ``(N/n)^β``
(``dataroi/stress/_noise_rule.py``). ``β``, one per kind of noise (symmetric,
class-conditional), is the one of ``bench_label_quality.DECAYS`` with the least mean
absolute error of the gap on the noise arms of that kind of the curve corpus (each data
set weighing the same, averaged over 2x-16x: ``bench_label_quality.pick_decay``).
The draws' own 5-95 % interval knows nothing of the rule's error, so it is widened about
the point by a factor per multiple of today's labels (2x, 4x, 8x, 16x): the 90 % quantile
of |truth − point| / half the interval's width at that ``β``, each data set weighing the
same (``bench_label_quality.learn_scales``), at least 1.

The cases are ``bench_label_quality.py``'s (``cases.csv`` in its work folder: every case's
point and raw interval from ``dataroi.stress.analyze_stress``, made from the trials at
sizes <= N with the gain model learned without the case's data set, and the truth
measured later). The benchmark judges each data set with the scale learned without it;
this script learns the one to ship on all of them and writes
``src/dataroi/stress/noise_rule_scale.json``.

Reproduce::

    python benchmarks/bench_label_quality.py --jobs 1
    python benchmarks/learn_noise_rule_scale.py

Example:
    >>> cols = {f"{c}@{b:g}": [v, v] for b in DECAYS
    ...         for c, v in (("dataroi", 0.2 + b), ("dataroi_rawlo", 0.15 + b),
    ...                      ("dataroi_rawhi", 0.25 + b))}
    >>> doc = scale_document(pd.DataFrame({
    ...     "dataset": ["a", "b"], "arm": ["noise=0.1", "cc-noise"], "k": [2, 2],
    ...     "truth": [0.1, 0.2], **cols}), "cases.csv")
    >>> doc["scale"], doc["excess_decay"], doc["learned_on"]["data_sets"]
    ({'2': 2.0}, {'symmetric': 0.0, 'class_conditional': 0.0}, ['a', 'b'])
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_label_quality import (  # noqa: E402
    DECAYS,
    DEFAULT_WORK,
    KINDS,
    decay_loss,
    kind_of,
    learn_scales,
    pick_decay,
)

OUT = HERE.parent / "src" / "dataroi" / "stress" / "noise_rule_scale.json"
COMMAND = ("python benchmarks/bench_label_quality.py --jobs 1 && "
           "python benchmarks/learn_noise_rule_scale.py")
NEEDED = ("dataset", "arm", "k", "truth", *(f"{c}@{b:g}" for b in DECAYS
                                     for c in ("dataroi", "dataroi_rawlo", "dataroi_rawhi")))


def scale_document(cases: pd.DataFrame, source: str) -> dict[str, Any]:
    """The shipped file's content: the decay and the scale per factor learned on every
    case of ``cases`` (columns :data:`NEEDED`), and what they were learned on."""
    missing = [c for c in NEEDED if c not in cases]
    if missing:
        raise SystemExit(f"{source} lacks {', '.join(missing[:3])}…: rerun "
                         "bench_label_quality.py (it writes the shipped path's raw "
                         "intervals at each decay)")
    kinds = kind_of(cases["arm"])
    beta = {kind: pick_decay(cases[kinds == kind]) for kind in KINDS}
    at = cases.copy()  # each arm at its kind's β
    for col in ("dataroi", "dataroi_rawlo", "dataroi_rawhi"):
        at[col] = [at.at[i, f"{col}@{beta[k]:g}"] for i, k in zip(at.index, kinds,
                                                                    strict=True)]
    scale = learn_scales(at, "dataroi", "dataroi_rawlo", "dataroi_rawhi")
    return {
        "description": "Effective-sample rule for noise arms "
                       "(dataroi.stress.rule_gap_forecast): excess_decay is the rate beta "
                       "at which today's gap beyond the rule fades, (N/n)^beta, per kind of "
                       "noise (the one with the least mean absolute error of the gap at "
                       "2x-16x on the curve corpus's noise arms of that kind, each data set "
                       "equal); per multiple of today's "
                       "labels, the draws' 5-95 % interval is widened about the point by "
                       "the scale (the 90 % quantile of |truth - point| / half-width at that "
                       "beta, each data set equal, at least 1).",
        "excess_decay": beta,
        "decay_mae": {kind: {f"{b:g}": round(decay_loss(cases[kinds == kind], b), 6)
                             for b in DECAYS} for kind in KINDS},
        "scale": {str(k): round(v, 4) for k, v in scale.items()},
        "quantile": 0.9,
        "learned_on": {
            "data_sets": sorted(cases["dataset"].unique()),
            "cases_per_factor": {str(k): int(n) for k, n in
                                 cases.groupby("k").size().items()},
            "forecasts": "analyze_stress on the trials at sizes <= N (N in 256, 512, "
                         "1024), the gain model learned without each data set "
                         "(learn_gain_model.py --folds-out)",
            "source": source,
        },
        "reproduce": COMMAND,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cases", type=Path, default=DEFAULT_WORK / "cases.csv",
                    help="bench_label_quality.py's cases.csv (default: %(default)s)")
    ap.add_argument("--out", type=Path, default=OUT, help="default: %(default)s")
    args = ap.parse_args(argv)
    if not args.cases.exists():
        print(f"no {args.cases}: run benchmarks/bench_label_quality.py --jobs 1 first "
              "(or give --cases)", file=sys.stderr)
        return 2
    cases = pd.read_csv(args.cases)
    doc = scale_document(cases, args.cases.name)
    tmp = args.out.with_suffix(".tmp")
    tmp.write_text(json.dumps(doc, indent=2) + "\n")
    tmp.replace(args.out)
    print("excess decay " + ", ".join(f"{k} {v:g}" for k, v in doc["excess_decay"].items())
          + "; interval scale at 2x/4x/8x/16x: "
          + ", ".join(f"{k}x {v}" for k, v in doc["scale"].items())
          + f" ({len(doc['learned_on']['data_sets'])} data sets, "
          f"{len(cases)} case × factor rows) -> {args.out}")
    print(f"reproduce: {COMMAND}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
