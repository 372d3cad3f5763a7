"""Adaptive studies on the curve corpus: does spending compute only where it can change
the decision reach the full grid's recommendation at a fraction of its CPU?

For every corpus data set and cut N of the decisions benchmark (``bench_decisions.py``:
the same units, current models, cost scenarios and options), the *full grid* is every
learner at every measured size <= N, 5 repeats; its recommendation is dataroi's
(``dataroi.analyze(...).recommend(...)``, the option it chooses now). The adaptive
schedule (``dataroi.study.AdaptiveSchedule``) replays the same measured trials in the
order it asks for them (``replay``), from its coarse grid until ``P(same recommendation
with the full grid) >= 0.95``, the recommendation held at three looks with ``P(same) >=
0.8`` (the steady stop; ``--learned-stop``: the learned stop instead,
``dataroi.study._stop``, learned on this replay's looks by
``explore_adaptive_stop.py``), or no trial left can move the decision. A trial's CPU cost
is its measured ``fit_seconds + predict_seconds``.

Compared in the same run, on the same trials:

* ``lccv`` — an LCCV-style discard of candidates (Mohr and van Rijn): the current model
  first, every size from the smallest up, 3 repeats a size (all 5 at N); after each
  size a candidate whose optimistic continuation (its last doubling's gain repeated up
  to N) cannot reach the incumbent's score at N is dropped; dataroi decides among the
  survivors;
* ``small_grid`` — a fixed small grid of the adaptive run's CPU cost: the largest (in
  CPU) of "the first r repeats at every size, or at every other size down from N" that
  costs no more than the adaptive run did.

With ``--ceiling``, also the ceiling of the rule's order: the same schedule replayed past
its stop (its order as long as it has trials to offer, then the missing repeats at ``N``
of the contending models — the chosen one, the best other one and the current one —
then every missing repeat at ``N``, then the full grid), and on it

* ``oracle`` — a stop that knows the full grid's recommendation: the first look from
  which dataroi's recommendation equals it and stays equal for the rest of the order
  (agreement 100 % by construction; its CPU share is the least any stopping rule on this
  order needs);
* ``oracle_40`` — the same oracle limited to 40 % of the CPU: reaches the full grid's
  recommendation when any look within 40 % does (else the last look within 40 %);
* ``adaptive_40`` — the adaptive rule cut at 40 % of the CPU: its recommendation at its
  stop, or at its last look within 40 % if it runs longer (the coarse grid's when even
  that costs more).

and, from every look of the rule's order (rows of method ``look`` in the CSV), the
calibration of the stated stability (how often a look's recommendation is the full
grid's, by its stated ``P(same)``), the rule with other targets and every setting of the
steady stop with a leave-data-set-out choice among them (the order depends on neither,
only the stop does). The rows of the looks are what ``explore_adaptive_stop.py`` learns
the learned stop from (``--out``): the shipped map was learned on every data set of this
replay, so the rule's row of a new replay is in-sample; that script prints the held-out
figure. Each look's row also carries its stated expected loss (``expected_loss``) and
the regret of its recommendation (``regret``), which ``explore_adaptive_loss_stop.py``
judges stops on.

Printed, grouped by data set (each weighs the same; 90 % intervals from resampling data
sets): the share of cases reaching the full grid's recommendation, the share of the full
grid's CPU used, the mean regret (realized net value of the best option in hindsight
minus the chosen one's, from the measured means, as in the decisions benchmark) and the
difference to the full grid's regret; and the adaptive run's CPU counting its looks'
own analysis (the replay's CPU seconds in its worker: process time, so that other work
on the machine does not count; CSVs before 2026-12-08's second run held wall seconds),
against the full grid's trials.

Run::

    python benchmarks/bench_adaptive.py --quick                   # 6 data sets, N = 512
    python benchmarks/bench_adaptive.py --cuts 512 --jobs 2       # every data set, N = 512
    python benchmarks/bench_adaptive.py --jobs 2                  # every cut (slow)
    python benchmarks/bench_adaptive.py --cuts 512 --ceiling      # + the order's ceiling
    python benchmarks/bench_adaptive.py --cuts 512 --every 3      # every 3rd data set
    python benchmarks/bench_adaptive.py --cuts 512 --initial-sizes 2   # another coarse grid
    python benchmarks/bench_adaptive.py --cuts 512 --context-weight 0  # the rule before the
                                        # other models' missing trials entered the spread
    python benchmarks/bench_adaptive.py --cuts 512 --choose-by loss  # trials chosen for
                                        # the expected loss they remove, not P(wrong)
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
import warnings
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE / "corpus"), str(HERE)]

from load import load_curves  # noqa: E402

import bench_decisions as bd  # noqa: E402

QUICK = ("digits", "flights", "star", "keel_penbased", "election_tweets", "labsup")
LCCV_REPEATS = 3
METHODS = ("adaptive", "lccv", "small_grid")
CEILING = ("oracle", "oracle_40", "adaptive_40")
#: the method name of the rows that record each look of the traced order (--ceiling)
LOOK = "look"
#: the CPU share at which the ceiling's cut methods stop (the issue's target)
CUT_SHARE = 0.40


def _costs(price: float) -> dict[str, float]:
    return {"price_per_label_usd": price, "value_per_point_usd": bd.VALUE_PER_POINT,
            "engineering_cost_usd": bd.SWITCH_USD}


def _seconds(frame: pd.DataFrame) -> float:
    from dataroi.study._adaptive import trial_seconds

    return float(trial_seconds(frame.drop_duplicates(["model", "n_train", "repeat"])).sum())


def realized(means: dict, unit: bd.Unit, cur: str, price: float, model: str, delta: int
             ) -> float:
    """The realized net value of (model, delta) as the decisions benchmark counts it."""
    today = means[(unit.dataset, cur, unit.n0)]
    cost = price * delta + (bd.SWITCH_USD if model != cur else 0.0)
    return bd.VALUE_PER_POINT * (means[(unit.dataset, model, unit.n0 + delta)]
                                 - today) / bd.POINT - cost


def lccv_trials(full: pd.DataFrame, models: list[str], sizes: list[int], current: str,
                repeats: int) -> tuple[pd.DataFrame, list[str]]:
    """The trials an LCCV-style discard runs, and the surviving models."""
    acc = full[full["metric"] == bd.METRIC]
    n = sizes[-1]
    order = [current, *(m for m in models if m != current)]
    keep_rows, survivors = [], []
    incumbent = -math.inf
    for m in order:
        mine = acc[acc["model"] == m]
        means: list[float] = []
        dropped = False
        for s in sizes:
            reps = repeats if s == n else min(LCCV_REPEATS, repeats)
            cell = mine[(mine["n_train"] == s) & (mine["repeat"] < reps)]
            keep_rows.append(full[(full["model"] == m) & (full["n_train"] == s)
                                  & (full["repeat"] < reps)])
            means.append(float(cell["value"].mean()))
            if m != current and len(means) >= 2 and s < n:
                slope = max(means[-1] - means[-2], 0.0) / max(math.log2(s / sizes[
                    sizes.index(s) - 1]), 1e-9)
                if means[-1] + slope * math.log2(n / s) < incumbent:
                    dropped = True
                    break
        if not dropped:
            survivors.append(m)
            incumbent = max(incumbent, means[-1])
    return pd.concat(keep_rows, ignore_index=True), survivors


def small_grid(full: pd.DataFrame, sizes: list[int], repeats: int, budget: float
               ) -> pd.DataFrame:
    """The fixed grid (first r repeats at every size, or every other size down from N)
    with the largest CPU cost within ``budget`` (the cheapest one if none fits)."""
    designs = []
    for stride in (1, 2):
        chosen = sizes[::-1][::stride]
        for r in range(1, repeats + 1):
            sub = full[full["n_train"].isin(chosen) & (full["repeat"] < r)]
            designs.append((_seconds(sub), len(chosen), sub))
    fits = [d for d in designs if d[0] <= budget + 1e-12]
    pick = max(fits, key=lambda d: (d[0], d[1])) if fits else min(designs,
                                                                   key=lambda d: d[0])
    return pick[2].reset_index(drop=True)


def _contenders(rec: Any) -> list[str]:
    """The models in contention of ``rec`` (the adaptive rule's own choice of them)."""
    from dataroi.study._adaptive import _contender_models, _parts

    return _contender_models(_parts(rec))


def trace(schedule: Any, full: pd.DataFrame, *, max_steps: int = 200
          ) -> list[tuple[str, float, str, float, float]]:
    """The schedule's order replayed past its stop: ``(phase, CPU seconds,
    recommendation, P(same), expected loss)`` of every look — the rule's looks while it
    has trials to offer (``schedule.target`` is set out of reach), then the missing
    repeats at ``N`` of the contending models, then every missing repeat at ``N``; the
    full grid's look is not included. The looks before the rule's own stop are the ones
    ``replay`` makes."""
    from dataroi.study._adaptive import _trial_index

    index = _trial_index(full)
    taken: list[int] = []
    asked: set[tuple[str, int, int]] = set()

    def reveal(keys: list[tuple[str, int, int]]) -> bool:
        new = [k for k in keys if k not in asked]
        for k in new:
            asked.add(k)
            taken.extend(index.get(k, []))
        return bool(new)

    schedule.target = math.inf  # never "stable": the order goes on while it has offers
    schedule.steady_looks = 0  # nor "steady"
    schedule.learned_stop = False  # nor "learned"
    reveal([c.key for c in schedule.initial()])
    n, reps = schedule.sizes[-1], range(schedule.repeats)
    looks: list[tuple[str, float, str, float, float]] = []
    phase = "rule"
    for step in range(1, max_steps + 1):
        seen = full.iloc[sorted(taken)].reset_index(drop=True)
        look = schedule.next_step(seen, step=step)
        looks.append((phase, look.cpu_seconds, look.recommendation, look.stability,
                      look.expected_loss))
        if look.stop_reason == "complete":
            break
        if phase == "rule" and look.stop_reason is None and reveal(
                [c.key for c in look.choices]):
            continue
        if phase == "rule":
            phase = "contenders"
            if reveal([(m, n, r) for m in _contenders(schedule.analyze(seen)) for r in reps]):
                continue
        if phase == "contenders":
            phase = "all at N"
            if reveal([(m, n, r) for m in schedule.models for r in reps]):
                continue
        break
    return looks


#: the stop short of the target: the steady stop's ``(steady_looks, steady_target)``, or
#: the learned stop's map (``dataroi.study._stop.StopModel``)
Stop = Any


def _default_steady() -> tuple[int, float]:
    """``AdaptiveSchedule``'s default ``(steady_looks, steady_target)``: the spec's
    (``AdaptiveSpec``, which the schedule reads them from when not given)."""
    from dataroi.spec import AdaptiveSpec

    return AdaptiveSpec.steady_looks, AdaptiveSpec.steady_target


def _default_stop() -> Stop:
    """``AdaptiveSchedule``'s default stop short of the target: the steady stop's
    settings, or the shipped learned stop's map were ``learned_stop`` on by default (the
    schedule's defaults are the spec's)."""
    from dataroi.spec import AdaptiveSpec
    from dataroi.study._stop import load_stop_model

    return load_stop_model() if AdaptiveSpec.learned_stop else _default_steady()


def _schedule_stop(schedule: Any) -> Stop:
    return (schedule.stop_model if schedule.learned_stop else
            (schedule.steady_looks, schedule.steady_target))


def stop_name(stop: Stop) -> str:
    """The stop in words."""
    if isinstance(stop, tuple):
        return f"steady: {stop[0]} looks at >= {stop[1]:.2f}" if stop[0] else "steady: off"
    return f"learned, threshold {stop.threshold:.2f}"


def rule_stop(stability: Sequence[float], recommendations: Sequence[str], target: float,
              steady: Stop) -> int:
    """The look of the traced order (its rule phase) at which the rule stops: the first
    with ``P(same) >= target`` or meeting the stop short of it (``steady``: the steady
    stop's ``(steady_looks, steady_target)`` or the learned stop's map, dataroi's own
    tests), else the last one (nothing left to offer)."""
    from dataroi.study._adaptive import is_steady

    for j, (p, rec) in enumerate(zip(stability, recommendations, strict=True)):
        early = (is_steady(rec, recommendations[:j], p, looks=steady[0], level=steady[1])
                 if isinstance(steady, tuple) else
                 steady.stops(rec, recommendations[:j], p))
        if p >= target or early:
            return j
    return len(stability) - 1


def ceiling(looks: list[tuple[str, float, str, float, float]], full_id: str, full_cpu: float,
            target: float, steady: Stop) -> dict[str, tuple[str, float]]:
    """The order's ceiling (see the module's docstring): method → (option, CPU seconds)."""
    seq = [*[(cpu, rec) for _, cpu, rec, *_ in looks], (full_cpu, full_id)]
    i = len(seq) - 1
    while i > 0 and seq[i - 1][1] == full_id:
        i -= 1
    out = {"oracle": (full_id, seq[i][0])}
    within = [j for j in range(len(seq)) if seq[j][0] <= CUT_SHARE * full_cpu] or [0]
    hit = [j for j in within if seq[j][1] == full_id]
    j = hit[0] if hit else within[-1]
    out["oracle_40"] = (seq[j][1], seq[j][0])
    rule = [j for j, (phase, *_) in enumerate(looks) if phase == "rule"]
    stop = rule_stop([looks[j][3] for j in rule], [looks[j][2] for j in rule], target,
                     steady)
    j = stop if seq[stop][0] <= CUT_SHARE * full_cpu else max(
        [k for k in within if k <= stop] or [0])
    out["adaptive_40"] = (seq[j][1], seq[j][0])
    return out


def _model_delta(option_id: str) -> tuple[str, int]:
    """``(model, added labels)`` of an option id ``"<model>+<added labels>"``."""
    model, delta = option_id.rsplit("+", 1)
    return model, int(delta)


def run_unit(args: tuple[str, bd.Unit, int, float, tuple[str, ...], bool, dict[str, int]]
             ) -> list[dict[str, Any]]:
    """Every (current model, scenario) case of one unit: the full grid's, the adaptive
    run's, LCCV's and the small grid's recommendation, CPU and regret (and with
    ``ceiling``, the order's ceiling; ``settings``: more keyword arguments of
    ``AdaptiveSchedule``, its coarse grid and batch size)."""
    corpus, unit, draws, target, roles, with_ceiling, settings = args
    from dataroi.study import AdaptiveSchedule, _adaptive, replay

    settings = dict(settings)
    if "context_weight" in settings:  # a module constant, not a schedule setting
        _adaptive._CONTEXT_WEIGHT = float(settings.pop("context_weight"))
    if "choose_by" in settings:  # the same
        _adaptive._CHOOSE_BY = str(settings.pop("choose_by"))

    warnings.simplefilter("ignore")
    frame = load_curves(corpus)
    full = bd._trials(frame, unit)
    means = bd.measured_means(frame)
    models = sorted(full["model"].unique())
    sizes = sorted(int(s) for s in full["n_train"].unique())
    repeats = int(full["repeat"].nunique())
    full_cpu = _seconds(full)
    rows: list[dict[str, Any]] = []
    done: dict[str, str] = {}  # current model → the role whose cases were run for it
    with tempfile.TemporaryDirectory(prefix="bench-adaptive-") as cache:
        for role, cur in bd._current_models(means, unit, models).items():
            if role not in roles:
                continue
            if cur in done:  # the same current model: the same cases (deterministic)
                rows += [r | {"current": role} for r in rows if r["current"] == done[cur]]
                continue
            done[cur] = role
            lccv, survivors = lccv_trials(full, models, sizes, cur, repeats)
            for scen, price in bd.SCENARIOS.items():
                kw = {"costs": _costs(price), "current_model": cur,
                      "add": list(unit.deltas), "grid": ()}
                schedule = AdaptiveSchedule(models, sizes, repeats, recommend=kw,
                                            metric=bd.METRIC, target=target,
                                            n_draws=draws, cache_dir=cache, **settings)
                t0 = time.process_time()  # the looks' CPU, not the wall: jobs share cores
                run = replay(schedule, full)
                secs = time.process_time() - t0
                options = [(m, 0) for m in models] + [(m, d) for m in models
                                                      for d in unit.deltas]
                best = max(realized(means, unit, cur, price, m, d) for m, d in options)
                picks = {"full": (schedule.analyze(full).chosen, full_cpu),
                         "adaptive": (None, run.cpu_seconds)}
                lccv_sched = AdaptiveSchedule(survivors, sizes, repeats, recommend=kw,
                                              metric=bd.METRIC, n_draws=draws,
                                              cache_dir=cache)
                picks["lccv"] = (lccv_sched.analyze(lccv[lccv["model"].isin(survivors)]
                                                    .reset_index(drop=True)).chosen,
                                 _seconds(lccv))
                grid = small_grid(full, sizes, repeats, run.cpu_seconds)
                picks["small_grid"] = (schedule.analyze(grid).chosen, _seconds(grid))
                full_id = picks["full"][0].option_id
                ids: dict[str, str] = {"adaptive": run.recommendation}
                if with_ceiling:
                    looks = trace(AdaptiveSchedule(models, sizes, repeats, recommend=kw,
                                                   metric=bd.METRIC, n_draws=draws,
                                                   cache_dir=cache, **settings), full)
                    steady = _schedule_stop(schedule)
                    for method, (oid, cpu) in ceiling(looks, full_id, full_cpu, target,
                                                      steady).items():
                        ids[method] = oid
                        picks[method] = (None, cpu)
                    rows += [{"dataset": unit.dataset, "n0": unit.n0, "current": role,
                              "scenario": scen, "method": LOOK, "look": i, "phase": phase,
                              "option": oid, "agrees": oid == full_id,
                              "cpu_share": cpu / full_cpu, "stability": p,
                              "expected_loss": loss,
                              "regret": best - realized(means, unit, cur, price,
                                                        *_model_delta(oid))}
                             for i, (phase, cpu, oid, p, loss) in enumerate(looks)]
                for method, (chosen, cpu) in picks.items():
                    if method in ids:
                        oid = ids[method]
                        model, delta = _model_delta(oid)
                    else:
                        model, delta, oid = chosen.model, chosen.delta_n, chosen.option_id
                    net = realized(means, unit, cur, price, model, int(delta))
                    rows.append({
                        "dataset": unit.dataset, "n0": unit.n0, "current": role,
                        "scenario": scen, "method": method, "option": oid,
                        "agrees": oid == full_id, "cpu_share": cpu / full_cpu,
                        "full_cpu_seconds": full_cpu, "regret": best - net,
                        "stability": run.stability if method == "adaptive" else None,
                        "stop": run.stop_reason if method == "adaptive" else None,
                        "steps": len(run.steps) if method == "adaptive" else None,
                        "trials": (len(run.choices) if method == "adaptive" else None),
                        "seconds": secs if method == "adaptive" else None})
    return rows


def report(res: pd.DataFrame, *, target: float = 0.95, steady: Stop = None) -> None:
    """Print the tables (``steady``: the schedule's stop short of the target, default
    its default: :func:`_default_stop`)."""
    steady = steady or _default_stop()
    cases = res[res["method"] == "full"]
    print(f"\n{res['dataset'].nunique()} data sets, {len(cases)} cases ((data set, N) × "
          f"current model × cost scenario); values per data set averaged, data sets weigh "
          "the same; [90 % interval from resampling data sets]")
    print("\nmethod       | reaches the full grid's recommendation | CPU share of the full "
          "grid | mean regret ($)")
    methods = [m for m in (*METHODS, *CEILING) if (res["method"] == m).any()]
    for m in ("full", *methods):
        d = res[res["method"] == m]
        agree = bd._boot(d["agrees"].astype(float), d["dataset"])
        cpu = bd._boot(d["cpu_share"], d["dataset"])
        reg = bd._boot(d["regret"], d["dataset"])
        a = f"{agree[0]:6.1%} [{agree[1]:.1%}, {agree[2]:.1%}]"
        c = f"{cpu[0]:6.1%} [{cpu[1]:.1%}, {cpu[2]:.1%}]"
        print(f"  {m:11s} | {a:38s} | {c:26s} | {reg[0]:8,.0f} [{reg[1]:,.0f}, "
              f"{reg[2]:,.0f}]")
    key = ["dataset", "n0", "current", "scenario"]
    base = res[res["method"] == "full"].set_index(key)["regret"]
    print("\nregret difference to the full grid (positive: worse than the full grid):")
    for m in methods:
        other = res[res["method"] == m].set_index(key)["regret"]
        diff = (other - base).reset_index()
        mean, lo, hi = bd._boot(diff["regret"], diff["dataset"])
        print(f"  {m:11s} {mean:+9,.0f} [{lo:+,.0f}, {hi:+,.0f}]")
    looks = (res[(res["method"] == LOOK) & (res["phase"] == "rule")] if "phase" in res
             else res.iloc[:0])
    if len(looks):
        stability_calibration(looks)
        target_frontier(looks, steady)
        steady_frontier(looks, target)
    ad = res[res["method"] == "adaptive"]
    print(f"\nadaptive runs: stop reasons {ad['stop'].value_counts().to_dict()}; "
          f"{ad['steps'].mean():.1f} looks and {ad['trials'].mean():.0f} trials on "
          f"average; {ad['seconds'].mean():.1f} s of analysis per run")
    if "full_cpu_seconds" in ad and ad["full_cpu_seconds"].notna().all():
        first = (res[(res["method"] == LOOK) & (res["look"] == 0)] if "look" in res
                 else None)
        overhead(ad, first)
    for reason, d in ad.groupby("stop", sort=False):
        print(f"  stopped as {reason} in {len(d)} cases: {d['agrees'].mean():.1%} of them "
              f"reach the full grid's recommendation, CPU {d['cpu_share'].mean():.0%}")
    by_n = ad.groupby("n0").agg(cases=("agrees", "size"), agrees=("agrees", "mean"),
                                cpu=("cpu_share", "mean"))
    print("  by N: " + "; ".join(f"N={n}: {r.agrees:.0%} agree, CPU {r.cpu:.0%} "
                                  f"({int(r.cases)} cases)" for n, r in by_n.iterrows()))


#: bins of the stated P(same recommendation with the full grid)
STABILITY_BINS = (0.0, 0.5, 0.7, 0.8, 0.9, 0.95, 1.0 + 1e-9)


def overhead(ad: pd.DataFrame, first: pd.DataFrame | None = None) -> None:
    """The adaptive runs' CPU counting their looks' own analysis (the replay's measured
    seconds; curve fits are cached across a unit's cases, as a study caches them across
    its looks), against the full grid's trials (whose own analysis is not counted); with
    ``first`` (each case's first look: ``--ceiling``'s look rows), how often the rest of
    the grid after the coarse grid costs less than a few looks' analysis."""
    total = (ad["cpu_share"] * ad["full_cpu_seconds"] + ad["seconds"]) / ad[
        "full_cpu_seconds"]
    share, lo, hi = bd._boot(total, ad["dataset"])
    per = total.groupby(ad["dataset"]).mean()
    grid = ad.groupby("dataset")["full_cpu_seconds"].first()
    over = per[per > 1].index
    grids = (f" (their full grids: median {grid[over].median():.1f} s of CPU; the others' "
             f"{grid.drop(over).median():.1f} s)" if 0 < len(over) < len(per) else "")
    print(f"  the full grids' trials: median {grid.median():.1f} CPU-s per data set "
          f"({grid.min():.1f} to {grid.max():.1f}); counting the looks' own analysis, the "
          f"adaptive run costs {share:.1%} [{lo:.1%}, {hi:.1%}] of the full grid's trial CPU; "
          f"more than the full grid in {len(over)} of {len(per)} data sets{grids}")
    if first is None or first.empty:
        return
    key = ["dataset", "n0", "current", "scenario"]
    d = ad.merge(first[[*key, "cpu_share"]].rename(columns={"cpu_share": "coarse"}),
                 on=key)
    rest = (1 - d["coarse"]) * d["full_cpu_seconds"]
    look = d["seconds"] / d["steps"]
    print("  the rest of the grid after the coarse grid costs less than k looks' analysis "
          "in: " + "; ".join(f"k={k}: {(rest <= k * look).mean():.0%}" for k in (1, 3, 8))
          + f" of {len(d)} cases")


def with_full_cpu(res: pd.DataFrame, corpus: str) -> pd.DataFrame:
    """``res`` with ``full_cpu_seconds`` on the method rows, from the corpus for a CSV
    written before the column (the full grid's trial CPU of each (data set, N))."""
    if "full_cpu_seconds" in res and res["full_cpu_seconds"].notna().any():
        return res
    frame = load_curves(corpus)
    cuts = {(u.dataset, u.n0): u for u in bd.units(frame, sorted(res["dataset"].unique()))}
    full = {k: _seconds(bd._trials(frame, u)) for k, u in cuts.items()
            if k in set(zip(res["dataset"], res["n0"], strict=True))}
    return res.assign(full_cpu_seconds=[full.get((d, n)) for d, n in zip(
        res["dataset"], res["n0"], strict=True)])


def paired_runs(res: pd.DataFrame, other: pd.DataFrame) -> None:
    """This run minus another (``--paired-with``: its CSV), case by case, per method
    both hold: agreement, CPU share and regret (data sets equal, 90 % intervals)."""
    key = ["dataset", "n0", "current", "scenario", "method"]
    cols = ["agrees", "cpu_share", "regret"]
    both = res[res["method"] != LOOK][[*key, *cols]].merge(
        other[other["method"] != LOOK][[*key, *cols]], on=key, suffixes=("", "_other"))
    print(f"\nthis run - the other ({len(both)} paired rows; data sets equal):")
    for m, d in both.groupby("method", sort=False):
        parts = []
        for col, fmt in (("agrees", "{:+.1%}"), ("cpu_share", "{:+.1%}"),
                         ("regret", "{:+,.0f}")):
            mean, lo, hi = bd._boot(d[col].astype(float) - d[f"{col}_other"].astype(float),
                                    d["dataset"])
            parts.append(f"{col} {fmt.format(mean)} [{fmt.format(lo)}, {fmt.format(hi)}]")
        print(f"  {m:11s} " + "; ".join(parts))


def stability_calibration(looks: pd.DataFrame) -> None:
    """Is the stated ``P(same recommendation with the full grid)`` what happens? Every
    look of the rule's own order (``--ceiling``: the rule run past its stop while it has
    trials to offer), binned by its stated stability, against the share of those looks
    whose recommendation is the full grid's (per data set, then data sets weigh the
    same, with a 90 % interval from resampling them)."""
    print("\ncalibration of the stated P(same recommendation with the full grid), every "
          "look of the rule's order:")
    cut = pd.cut(looks["stability"].astype(float), STABILITY_BINS, right=False)
    for interval, d in looks.groupby(cut, observed=True):
        real, lo, hi = bd._boot(d["agrees"].astype(float), d["dataset"])
        stated = d["stability"].astype(float).groupby(d["dataset"]).mean().mean()
        print(f"  [{interval.left:.2f}, {min(interval.right, 1.0):.2f})  stated "
              f"{stated:.2f}, realized {real:.2f} [{lo:.2f}, "
              f"{hi:.2f}] ({len(d)} looks, {d['dataset'].nunique()} data sets, CPU "
              f"{d['cpu_share'].mean():.0%})")


#: the targets whose stops :func:`target_frontier` prints
FRONTIER_TARGETS = (0.99, 0.95, 0.9, 0.85, 0.8, 0.7, 0.5)


def _stops(looks: pd.DataFrame, target: float, steady: Stop) -> pd.DataFrame:
    """The look at which the rule stops in each case (:func:`rule_stop`)."""
    key = ["dataset", "n0", "current", "scenario"]
    out = []
    for _, g in looks.sort_values([*key, "look"]).groupby(key, sort=False):
        j = rule_stop(g["stability"].astype(float).tolist(), g["option"].astype(str).tolist(),
                      target, steady)
        out.append(g.iloc[j])
    return pd.DataFrame(out)


def target_frontier(looks: pd.DataFrame, steady: Stop) -> None:
    """The rule with another ``target``, from the same looks: the order of the looks does
    not depend on the target (it only says when to stop), so the rule with target ``t``
    stops at the first look of its order whose stated stability reaches ``t`` or that is
    meets the stop short of it (``steady``: the schedule's), else at its
    last look (nothing left to offer). Printed: the share of cases reaching the full
    grid's recommendation and the CPU share, per data set, then data sets weigh the same,
    with 90 % intervals from resampling them."""
    print(f"\nthe rule at other targets (the first look of its order with the stated "
          f"P(same) >= target, or the stop short of it, {stop_name(steady)}):")
    for t in FRONTIER_TARGETS:
        stop = _stops(looks, t, steady)
        agree = bd._boot(stop["agrees"].astype(float), stop["dataset"])
        cpu = bd._boot(stop["cpu_share"].astype(float), stop["dataset"])
        print(f"  target {t:.2f}: agrees {agree[0]:6.1%} [{agree[1]:.1%}, {agree[2]:.1%}], "
              f"CPU {cpu[0]:6.1%} [{cpu[1]:.1%}, {cpu[2]:.1%}] ({len(stop)} cases)")


#: the ``steady`` settings :func:`steady_frontier` compares (0 looks: off)
STEADY_LOOKS = (0, 2, 3, 4, 5, 6, 8)
STEADY_TARGETS = (0.5, 0.6, 0.7, 0.8, 0.9)


def steady_frontier(looks: pd.DataFrame, target: float) -> None:
    """The ``steady`` stop's settings, from the same looks (the order does not depend on
    them): agreement and CPU of every ``(steady_looks, steady_target)``, then the
    setting chosen leave-data-set-out — for each data set, the least CPU among the
    settings whose agreement on the other data sets is >= 95 % (else the most
    agreement), applied to the held-out one."""
    print(f"\nthe steady stop's settings (and P(same) >= {target:.2f}), the same looks:")
    per: dict[tuple[int, float], pd.DataFrame] = {}
    for n_looks in STEADY_LOOKS:
        for st in (STEADY_TARGETS if n_looks else (1.0,)):
            stop = _stops(looks, target, (n_looks, st))
            per[(n_looks, st)] = stop
            by = stop.groupby("dataset")[["agrees", "cpu_share"]].mean()
            name = "off" if not n_looks else f"{n_looks} looks at >= {st:.2f}"
            print(f"  {name:20s} agrees {by['agrees'].mean():6.1%}, CPU "
                  f"{by['cpu_share'].mean():6.1%}")
    means = {k: v.groupby("dataset")[["agrees", "cpu_share"]].mean() for k, v in per.items()}
    datasets = sorted(looks["dataset"].unique())
    held_rows, picked = [], []
    for held in datasets:
        def rank(k: tuple[int, float], held: str = held) -> tuple[int, float]:
            m = means[k].drop(index=held, errors="ignore")
            return (0, m["cpu_share"].mean()) if m["agrees"].mean() >= 0.95 else (
                1, -m["agrees"].mean())
        best = min(per, key=rank)
        picked.append(best)
        held_rows.append(per[best][per[best]["dataset"] == held])
    held = pd.concat(held_rows)
    agree = bd._boot(held["agrees"].astype(float), held["dataset"])
    cpu = bd._boot(held["cpu_share"].astype(float), held["dataset"])
    counts = pd.Series([f"{k[0]} looks at >= {k[1]:.2f}" if k[0] else "off"
                        for k in picked]).value_counts()
    print(f"  chosen leave-data-set-out: agrees {agree[0]:.1%} [{agree[1]:.1%}, "
          f"{agree[2]:.1%}], CPU {cpu[0]:.1%} [{cpu[1]:.1%}, {cpu[2]:.1%}]; chosen: "
          + ", ".join(f"{k} ({v} data sets)" for k, v in counts.items()))


def coarse_floor(frame: pd.DataFrame, units: list[bd.Unit], settings: dict[str, Any]
                 ) -> pd.DataFrame:
    """Per unit, the share of the full grid's CPU that the schedule's coarse grid costs
    (``AdaptiveSchedule.initial()`` with ``settings``, the corpus's measured seconds):
    the rule looks first after it, so no stop of the rule uses less.

    Example:
        >>> rows = [{"learner": m, "n_train": n, "repeat": r, "metric": bd.METRIC,
        ...          "value": 0.5, "fit_seconds": n / 100, "predict_seconds": 0.0,
        ...          "dataset": "d"} for m in ("a", "b") for n in (64, 128, 256, 512)
        ...         for r in range(5)]
        >>> f = coarse_floor(pd.DataFrame(rows), [bd.Unit("d", 512, (512,))], {})
        >>> round(float(f["share"].iloc[0]), 3)  # (0.64 + 3 x 5.12) / (5 x 9.6) per model
        0.333
    """
    from dataroi.study import AdaptiveSchedule

    settings = {k: v for k, v in settings.items() if k != "context_weight"}
    rows = []
    for unit in units:
        full = bd._trials(frame, unit)
        models = sorted(full["model"].unique())
        sizes = sorted(int(s) for s in full["n_train"].unique())
        schedule = AdaptiveSchedule(models, sizes, int(full["repeat"].nunique()),
                                    recommend={"grid": ()}, **settings)
        keys = {(c.model, c.n_train, c.repeat) for c in schedule.initial()}
        coarse = [k in keys for k in zip(full["model"], full["n_train"], full["repeat"],
                                          strict=True)]
        rows.append({"dataset": unit.dataset, "n0": unit.n0,
                     "share": _seconds(full[coarse]) / _seconds(full)})
    return pd.DataFrame(rows)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--draws", type=int, default=400)
    ap.add_argument("--target", type=float, default=0.95)
    ap.add_argument("--datasets", help="comma-separated subset of the corpus")
    ap.add_argument("--cuts", help="comma-separated N (default: the decisions benchmark's)")
    ap.add_argument("--every", type=int, default=1,
                    help="every k-th data set in alphabetical order (a subset fixed in "
                    "advance, for development)")
    ap.add_argument("--ceiling", action="store_true",
                    help="also the ceiling of the rule's order (oracle stops, a 40 %% cut)")
    for name in ("initial-sizes", "initial-repeats", "initial-repeats-below",
                 "batch-size", "steady-looks"):
        ap.add_argument(f"--{name}", type=int, help=f"AdaptiveSchedule's "
                        f"{name.replace('-', '_')} (default: its default)")
    ap.add_argument("--steady-target", type=float,
                    help="AdaptiveSchedule's steady_target (default: its default)")
    ap.add_argument("--learned-stop", action="store_true",
                    help="the learned stop (dataroi.study._stop) instead of the steady "
                         "one")
    ap.add_argument("--context-weight", type=float,
                    help="the weight of the other models' missing repeats in a model's "
                    "own-gain spread (dataroi.study._adaptive._CONTEXT_WEIGHT)")
    ap.add_argument("--choose-by", choices=("p_wrong", "loss"),
                    help="what a trial is chosen for lowering per CPU-second: the chance "
                    "of a wrong recommendation (the default) or the expected loss of "
                    "deciding now (dataroi.study._adaptive._CHOOSE_BY)")
    ap.add_argument("--current", default="best_today,simple",
                    help="current-model roles (best_today, simple)")
    ap.add_argument("--quick", action="store_true",
                    help=f"{len(QUICK)} data sets at N = 512 (development)")
    ap.add_argument("--corpus", default=str(HERE / "corpus" / "curves.parquet"))
    ap.add_argument("--out", type=Path, help="CSV of every case (default: a temp folder)")
    ap.add_argument("--report", type=Path, help="only print the report of a CSV written "
                    "before (--out; also a partial one)")
    ap.add_argument("--paired-with", type=Path, help="with --report: also this run minus "
                    "another run's CSV, case by case")
    ap.add_argument("--floor", action="store_true", help="only print the share of the "
                    "full grid's CPU the coarse grid costs (no stop of the rule uses less)")
    args = ap.parse_args(argv)
    from dataroi.study._stop import load_stop_model

    default = _default_steady()
    learned = args.learned_stop
    if learned and (args.steady_looks is not None or args.steady_target is not None):
        ap.error("--learned-stop replaces the steady stop: leave out --steady-looks and "
                 "--steady-target")
    steady: Stop = (load_stop_model() if learned else
                    (default[0] if args.steady_looks is None else args.steady_looks,
                     default[1] if args.steady_target is None else args.steady_target))
    if args.paired_with and not args.report:
        ap.error("--paired-with compares with the run of --report: give both")
    for path in (args.report, args.paired_with):
        if path is not None and not path.is_file():
            ap.error(f"{path}: no such CSV (bench_adaptive.py --out writes one)")
    if args.report:
        res = with_full_cpu(pd.read_csv(args.report), args.corpus)
        report(res, target=args.target, steady=steady)
        if args.paired_with:
            paired_runs(res, pd.read_csv(args.paired_with))
        return 0
    frame = load_curves(args.corpus)
    datasets = args.datasets.split(",") if args.datasets else (
        list(QUICK) if args.quick else None)
    cuts = [int(c) for c in args.cuts.split(",")] if args.cuts else (
        [512] if args.quick else list(bd.CUTS))
    todo = [u for u in bd.units(frame, datasets) if u.n0 in cuts]
    every = sorted({u.dataset for u in todo})[::max(args.every, 1)]
    todo = [u for u in todo if u.dataset in every]
    roles = tuple(args.current.split(","))
    print(f"{len(todo)} (data set, N) units on {len({u.dataset for u in todo})} data sets, "
          f"N in {sorted({u.n0 for u in todo})}; target P(same) >= {args.target}; "
          f"{args.draws} draws")
    t0 = time.perf_counter()
    settings = {k: v for k in ("initial_sizes", "initial_repeats", "initial_repeats_below",
                               "batch_size", "steady_looks", "steady_target",
                               "context_weight", "choose_by")
                if (v := getattr(args, k)) is not None} | (
                    {"learned_stop": True} if learned else {})
    if args.floor:
        floor = coarse_floor(frame, todo, settings)
        share, lo, hi = bd._boot(floor["share"], floor["dataset"])
        print(f"the coarse grid costs {share:.1%} [{lo:.1%}, {hi:.1%}] of the full grid's "
              f"CPU (data sets equal, 90 % interval from resampling data sets; per unit "
              f"{floor['share'].min():.1%} to {floor['share'].max():.1%})")
        print("reproduce: " + " ".join(["python benchmarks/bench_adaptive.py",
                                        *(argv if argv is not None else sys.argv[1:])]))
        return 0
    out = args.out or Path(tempfile.mkdtemp(prefix="bench-adaptive-")) / "adaptive.csv"
    work = [(args.corpus, u, args.draws, args.target, roles, args.ceiling, settings)
            for u in todo]
    rows: list[dict[str, Any]] = []

    def keep(unit_rows: list[dict[str, Any]]) -> None:  # written as units finish
        rows.extend(unit_rows)
        pd.DataFrame(rows).to_csv(out, index=False)

    if args.jobs <= 1:
        for w in work:
            keep(run_unit(w))
    else:
        with ProcessPoolExecutor(args.jobs) as pool:
            for unit_rows in pool.map(run_unit, work, chunksize=1):
                keep(unit_rows)
    res = pd.DataFrame(rows)
    print(f"ran in {time.perf_counter() - t0:.0f} s")
    report(res, target=args.target, steady=steady)
    print(f"\nper-case results: {out}")
    given = list(argv if argv is not None else sys.argv[1:])
    shown = [a for i, a in enumerate(given)
             if not a.startswith("--out") and not (i and given[i - 1] == "--out")]
    print("reproduce: " + " ".join(["python benchmarks/bench_adaptive.py", *shown]))
    return 0


if __name__ == "__main__":
    np.seterr(all="ignore")
    raise SystemExit(main())
