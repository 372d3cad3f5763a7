"""Learn the interval scale dataroi ships for the effective-sample rule (issue #26).

dataroi forecasts a noise arm's gap to its clean model by the effective-sample rule
anchored at today's paired gap (``dataroi/stress/_noise_rule.py``). The draws' own 5-95 %
interval knows nothing of the rule's error, so it is widened about the point by a factor
per multiple of today's labels (2x, 4x, 8x, 16x): the 90 % quantile of
|truth − point| / half the interval's width over the noise arms of the curve corpus, each
data set weighing the same (``bench_label_quality.learn_scales``), at least 1.

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
    >>> doc = scale_document(pd.DataFrame({
    ...     "dataset": ["a", "b"], "k": [2, 2], "truth": [0.1, 0.2], "dataroi": [0.2, 0.2],
    ...     "dataroi_rawlo": [0.15, 0.15], "dataroi_rawhi": [0.25, 0.25]}), "cases.csv")
    >>> doc["scale"], doc["learned_on"]["data_sets"]
    ({'2': 2.0}, ['a', 'b'])
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

from bench_label_quality import DEFAULT_WORK, learn_scales  # noqa: E402

OUT = HERE.parent / "src" / "dataroi" / "stress" / "noise_rule_scale.json"
COMMAND = ("python benchmarks/bench_label_quality.py --jobs 1 && "
           "python benchmarks/learn_noise_rule_scale.py")
NEEDED = ("dataset", "k", "truth", "dataroi", "dataroi_rawlo", "dataroi_rawhi")


def scale_document(cases: pd.DataFrame, source: str) -> dict[str, Any]:
    """The shipped file's content: the scale per factor learned on every case of
    ``cases`` (columns :data:`NEEDED`), and what it was learned on."""
    missing = [c for c in NEEDED if c not in cases]
    if missing:
        raise SystemExit(f"{source} lacks {', '.join(missing)}: rerun "
                         "bench_label_quality.py (it writes the shipped path's raw "
                         "intervals)")
    scale = learn_scales(cases, "dataroi", "dataroi_rawlo", "dataroi_rawhi")
    return {
        "description": "Interval scale of dataroi's effective-sample rule for noise arms "
                       "(dataroi.stress.rule_gap_forecast): per multiple of today's labels, "
                       "the draws' 5-95 % interval is widened about the point by this "
                       "factor (the 90 % quantile of |truth - point| / half-width on the "
                       "curve corpus's noise arms, each data set equal, at least 1).",
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
    print("interval scale at 2x/4x/8x/16x: "
          + ", ".join(f"{k}x {v}" for k, v in doc["scale"].items())
          + f" ({len(doc['learned_on']['data_sets'])} data sets, "
          f"{len(cases)} case × factor rows) -> {args.out}")
    print(f"reproduce: {COMMAND}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
