"""The adaptive schedule's stop weighed in money (issue #25): does a stop that reads what
deciding now is expected to lose stop sooner at the same agreement and regret?

The adaptive rule stops when its stated ``P(same recommendation with the full grid)``
reaches 0.95, or the recommendation held at three looks with ``P(same) >= 0.8`` (the
steady stop). A probability does not say what being wrong costs: the learned stop
(``explore_adaptive_stop.py``) stopped as soon on costly choices as on cheap ones and
paid for it in regret. Each look also states its *expected loss*
(``AdaptiveStep.expected_loss``): over the same simulated completions of the grid as
``P(same)``, the mean of the best allowed option's value minus the chosen one's
(dollars) — what deciding now is expected to cost against deciding after the full grid.

Stops compared, each joined by the schedule's own (``P(same) >= 0.95``, or nothing left
to offer), at every setting of a grid, on the looks of ``bench_adaptive.py --ceiling``
(the order of the trials does not depend on the stop, only where it ends):

* ``steady`` — the same recommendation at ``k`` looks in a row and ``P(same) >= p``
  (the shipped stop is ``k = 3, p = 0.8``);
* ``loss`` — the expected loss at most ``$x``;
* ``steady or loss`` — the shipped steady stop, or the expected loss at most ``$x``;
* ``steady and loss`` — ``k`` looks at ``P(same) >= p``, and the expected loss at most
  ``$x`` (a steadiness held back where much money is at stake);
* ``held and loss`` — the recommendation the same at ``k`` looks, and the expected loss
  at most ``$x`` (no probability level).

For each family, each data set is judged at the setting chosen on the other data sets
(leave-data-set-out): the least CPU among the settings whose stops agree with the full
grid in >= 95 % of the other data sets' cases (data sets weigh the same) and, with
``--regret-bound``, whose mean regret exceeds the full grid's by at most that many
dollars there; else the most agreement. Printed, grouped by data set (each weighs the
same; 90 % intervals from resampling data sets): agreement with the full grid's
recommendation, the CPU share of the full grid, the regret minus the full grid's (the
realized net value of the best option in hindsight minus the chosen one's, from the
measured means), and the difference to the shipped stop, paired by case; first, the
calibration of the stated expected loss against the regret realized at each look.

Run (after ``bench_adaptive.py --cuts 512 --jobs 2 --draws 200 --ceiling --out A.csv``,
whose look rows carry ``expected_loss`` and ``regret``)::

    python benchmarks/explore_adaptive_loss_stop.py A.csv
    python benchmarks/explore_adaptive_loss_stop.py A.csv --regret-bound 25
"""

from __future__ import annotations

import argparse
import itertools
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE / "corpus"), str(HERE)]

import bench_decisions as bd  # noqa: E402
from bench_adaptive import CUT_SHARE  # noqa: E402
from explore_adaptive_stop import KEY, features, first_at  # noqa: E402

#: expected-loss thresholds tried (dollars)
LOSSES = (0.0, 2.0, 5.0, 10.0, 20.0, 35.0, 50.0, 75.0, 100.0, 150.0, 200.0, 300.0, 500.0)
LEVELS = (0.0, 0.5, 0.6, 0.7, 0.8, 0.9)
HELD = (1, 2, 3, 4, 5)
#: the shipped steady stop
SHIPPED = ("steady", (3, 0.8))

Setting = tuple
Family = dict[Setting, Callable[[pd.DataFrame], np.ndarray]]


def families() -> dict[str, Family]:
    """Each family's settings → the looks at which it would stop (before the schedule's
    own stop joins it)."""

    def steady(k: int, p: float) -> Callable[[pd.DataFrame], np.ndarray]:
        return lambda d: ((d["run"] >= k) & (d["p"] >= p)).to_numpy()

    def loss(x: float) -> Callable[[pd.DataFrame], np.ndarray]:
        return lambda d: (d["loss"] <= x).to_numpy()

    def either(x: float) -> Callable[[pd.DataFrame], np.ndarray]:
        return lambda d: steady(3, 0.8)(d) | loss(x)(d)

    def both(k: int, p: float, x: float) -> Callable[[pd.DataFrame], np.ndarray]:
        return lambda d: steady(k, p)(d) & loss(x)(d)

    return {
        "steady": {(k, p): steady(k, p) for k, p in itertools.product(HELD, LEVELS)
                   if p > 0},
        "loss": {(x,): loss(x) for x in LOSSES},
        "steady or loss": {(x,): either(x) for x in LOSSES},
        "steady and loss": {(k, p, x): both(k, p, x)
                            for k, p, x in itertools.product(HELD, LEVELS, LOSSES) if p > 0},
        "held and loss": {(k, x): both(k, 0.0, x) for k, x in itertools.product(HELD, LOSSES)},
    }


#: bins of the stated expected loss ($) for its calibration
LOSS_BINS = (0.0, 10.0, 50.0, 150.0, 400.0, 1000.0, np.inf)


def loss_calibration(d: pd.DataFrame) -> None:
    """Is the stated expected loss what stopping at the look costs? Per bin of the
    stated loss, the realized regret of the look's recommendation minus the full grid's,
    every look of the rule's order (data sets equal, 90 % intervals)."""
    print("\ncalibration of the stated expected loss, every look of the rule's order "
          "(realized: the look's regret minus the full grid's):")
    cut = pd.cut(d["loss"], LOSS_BINS, right=False)
    for interval, g in d.groupby(cut, observed=True):
        m, lo, hi = bd._boot(g["excess"].astype(float), g["dataset"])
        stated = g.groupby("dataset")["loss"].mean().mean()
        print(f"  [{interval.left:,.0f}, {interval.right:,.0f}): stated {stated:,.0f}, "
              f"realized {m:+,.0f} [{lo:+,.0f}, {hi:+,.0f}] ({len(g)} looks, "
              f"{g['dataset'].nunique()} data sets)")


def stops_at(d: pd.DataFrame, hit: np.ndarray) -> pd.DataFrame:
    """Each case's stop: its first look that ``hit`` or whose ``P(same)`` reaches the
    schedule's target, else its last (nothing left to offer; ``first_at``'s rule)."""
    return first_at(d, np.asarray(hit, dtype=float), 1.0)


def table(d: pd.DataFrame, fams: dict[str, Family]) -> pd.DataFrame:
    """Every (family, setting)'s stop per case: agreement, CPU share, regret excess."""
    out = []
    for name, fam in fams.items():
        for setting, rule in fam.items():
            s = stops_at(d, rule(d))
            out.append(s[[*KEY, "option", "agrees", "share", "excess"]].assign(
                family=name, setting=[setting] * len(s)))
    return pd.concat(out, ignore_index=True)


def held_out(tab: pd.DataFrame, family: str, target: float, bound: float | None
             ) -> pd.DataFrame:
    """Each data set's stops at the family's setting chosen on the other data sets."""
    t = tab[tab["family"] == family]
    per = t.groupby(["setting", "dataset"])[["agrees", "share", "excess"]].mean()
    out = []
    for ds in sorted(t["dataset"].unique()):
        others = per[per.index.get_level_values("dataset") != ds].groupby("setting").mean()
        ok = others["agrees"] >= target
        if bound is not None:
            ok &= others["excess"] <= bound
        pick = (others[ok]["share"].idxmin() if ok.any()
                else others["agrees"].idxmax())
        rows = t[(t["dataset"] == ds) & (t["setting"] == pick)]
        out.append(rows.assign(chosen=[pick] * len(rows)))
    return pd.concat(out, ignore_index=True)


def show(name: str, stops: pd.DataFrame) -> None:
    a = bd._boot(stops["agrees"].astype(float), stops["dataset"])
    c = bd._boot(stops["share"].astype(float), stops["dataset"])
    r = bd._boot(stops["excess"].astype(float), stops["dataset"])
    print(f"  {name:34s} agrees {a[0]:6.1%} [{a[1]:.1%}, {a[2]:.1%}], CPU {c[0]:6.1%} "
          f"[{c[1]:.1%}, {c[2]:.1%}], regret - the full grid's {r[0]:+,.0f} "
          f"[{r[1]:+,.0f}, {r[2]:+,.0f}]")


def paired(stops: pd.DataFrame, base: pd.DataFrame) -> None:
    both = stops.merge(base, on=KEY, suffixes=("", "_base"))
    parts = []
    for col, name, fmt in (("agrees", "agreement", "{:+.1%}"), ("share", "CPU", "{:+.1%}"),
                           ("excess", "regret $", "{:+,.0f}")):
        m, lo, hi = bd._boot(both[col].astype(float) - both[f"{col}_base"].astype(float),
                             both["dataset"])
        parts.append(f"{name} {fmt.format(m)} [{fmt.format(lo)}, {fmt.format(hi)}]")
    changed = int((both["option"] != both["option_base"]).sum())
    print(f"    - the shipped stop (paired): {'; '.join(parts)}"
          + (f"; {changed} cases decide otherwise" if changed else ""))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("csv", type=Path, help="bench_adaptive.py --ceiling --out's CSV")
    ap.add_argument("--target", type=float, default=0.95,
                    help="the agreement a setting must reach on the other data sets")
    ap.add_argument("--regret-bound", type=float,
                    help="and at most this regret above the full grid's there ($)")
    ap.add_argument("--frontier", action="store_true",
                    help="also print every setting's in-sample figures")
    args = ap.parse_args(argv)
    res = pd.read_csv(args.csv)
    if "expected_loss" not in res:
        ap.error(f"{args.csv}: no expected_loss column (a CSV of bench_adaptive.py "
                 "--ceiling from before the looks recorded it)")
    d = features(res)
    d["loss"] = d["expected_loss"].astype(float)
    full = res[res["method"] == "full"][[*KEY, "regret"]].rename(
        columns={"regret": "full_regret"})
    d = d.merge(full, on=KEY, how="left")
    d["excess"] = d["regret"].astype(float) - d["full_regret"].astype(float)
    print(f"{len(d)} looks of the rule's order, {d.groupby(KEY).ngroups} cases, "
          f"{d['dataset'].nunique()} data sets; data sets weigh the same, [90 % interval "
          "from resampling data sets]; expected loss at the looks: median "
          f"${d['loss'].median():,.0f}, where the look agrees "
          f"${d[d['agrees']]['loss'].median():,.0f}, where not "
          f"${d[~d['agrees']]['loss'].median():,.0f}")
    loss_calibration(d)
    print()
    fams = families()
    tab = table(d, fams)
    keep = [*KEY, "option", "agrees", "share", "excess"]
    base = stops_at(d, fams[SHIPPED[0]][SHIPPED[1]](d))[keep]
    show("the shipped stop (steady 3 at 0.8)", base)
    for name in fams:
        stops = held_out(tab, name, args.target, args.regret_bound)
        show(f"{name}, held out", stops)
        paired(stops, base)
        chosen = stops.groupby("dataset")["chosen"].first().value_counts()
        print("    settings chosen (data sets): "
              f"{ {k: int(v) for k, v in chosen.head(4).items()} }")
    per = tab.groupby(["family", "setting", "dataset"])[["agrees", "share", "excess"]].mean()
    agg = per.groupby(["family", "setting"]).mean()
    within = agg[agg["share"] <= CUT_SHARE]
    if len(within):
        (fam, setting), top = within["agrees"].idxmax(), within["agrees"].max()
        print(f"\nin-sample, the most agreement of any setting within {CUT_SHARE:.0%} of the "
              f"CPU: {top:.1%} ({fam} {setting}, CPU {within.loc[(fam, setting), 'share']:.1%})")
    if args.frontier:
        print("\nin-sample, every setting with agreement >= 0.93:")
        print(agg[agg["agrees"] >= 0.93].sort_values("share").head(40).to_string(
            float_format=lambda v: f"{v:.3f}"))
    given = list(argv if argv is not None else sys.argv[1:])
    print("\n$ " + " ".join(["python benchmarks/explore_adaptive_loss_stop.py", *given]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
