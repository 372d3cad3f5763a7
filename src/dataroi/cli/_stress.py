"""CLI command ``dataroi stress``: what the stress arms and slices of a study say.

Prints the value of cleaner labels, of acquisition strategies, the cost of a skewed class
prior and of distribution shift (in equivalent labels), per-slice scores with partial
pooling (and, with ``--budget``, labels per slice), and relabel-vs-new with
``--noise-rate`` or ``--annotations``. ``--json`` prints everything as JSON.

Example:
    >>> import argparse
    >>> sub = argparse.ArgumentParser().add_subparsers()
    >>> sorted(add_commands(sub))
    ['stress']
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from typing import Any

from dataroi.cli._format import interval, num
from dataroi.exceptions import UsageError

__all__ = ["add_commands", "stress_results"]


def add_commands(subparsers: Any) -> dict[str, Any]:
    """Add ``stress``; return its handler by name."""
    s = subparsers.add_parser(
        "stress", help="label noise, class prior, shift, acquisition strategies, slices",
        description="Read a finished study's stress arms (stress: in the spec) and slices "
        "(slices:): equivalent labels of cleaner labels and of acquisition strategies, "
        "shift gaps, per-slice scores with partial pooling, relabel vs new.")
    s.add_argument("spec")
    s.add_argument("--ledger")
    s.add_argument("--metric", help="metric (default: the spec's first)")
    s.add_argument("--json", action="store_true", help="print JSON on standard output")
    s.add_argument("--draws", type=int, default=400, help="curve draws (default 400)")
    s.add_argument("--noise-rate", type=float,
                   help="noise rate of today's labels, for relabel vs new")
    s.add_argument("--annotations",
                   help="long (item, annotator, label) table: estimates today's noise rate "
                   "and the rate after a majority vote, for relabel vs new")
    s.add_argument("--opinions", type=int, default=2,
                   help="extra labels per item when relabeling (default 2)")
    s.add_argument("--budget", type=float,
                   help="USD to allocate across slices (needs slices: in the spec)")
    s.add_argument("--objective", choices=("overall", "worst_slice"), default="overall",
                   help="slice allocation objective (default overall)")
    return {"stress": _cmd_stress}


def stress_results(study: Any, *, metric: str | None = None, draws: int = 400,
                   noise_rate: float | None = None, annotations: str | None = None,
                   opinions: int = 2, budget: float | None = None,
                   objective: str = "overall") -> dict[str, Any]:
    """Everything ``dataroi stress`` shows, as objects (``stress``, ``slices``,
    ``relabel``, each None when the spec lacks it)."""
    from dataroi.stress import analyze_slices, analyze_stress, relabel_vs_new

    if not study.spec.stress and not study.spec.slices:
        raise UsageError("the spec has no stress: or slices: section; add one (see "
                         "docs/stress.md or the template of `dataroi init`)")
    if budget is not None and not study.spec.slices:
        raise UsageError("--budget allocates labels per slice: add slices: to the spec")
    out: dict[str, Any] = {"stress": None, "slices": None, "relabel": None}
    trials = study.trials()  # read once for every part
    if study.spec.stress:
        out["stress"] = analyze_stress(study, metric=metric, draws=draws, trials=trials)
    if study.spec.slices:
        out["slices"] = analyze_slices(study, metric=metric, budget_usd=budget,
                                       objective=objective, trials=trials)
    rate_after = None
    if annotations:
        from dataroi.annotation import analyze_annotations

        rep = analyze_annotations(annotations, n_boot=200)
        noise_rate = rep.noise_rate.rate if noise_rate is None else noise_rate
        rate_after = rep.consensus_noise_rate.rate
    if noise_rate is not None:
        out["relabel"] = relabel_vs_new(study, rate_now=noise_rate, rate_after=rate_after,
                                        opinions=opinions, metric=metric, draws=draws,
                                        trials=trials)
    return out


def _cmd_stress(args: argparse.Namespace) -> int:
    import dataroi

    study = dataroi.load_study(args.spec, ledger=args.ledger)
    res = stress_results(study, metric=args.metric, draws=args.draws,
                         noise_rate=args.noise_rate, annotations=args.annotations,
                         opinions=args.opinions, budget=args.budget,
                         objective=args.objective)
    if args.json:
        json.dump({k: (None if v is None else v.to_dict()) for k, v in res.items()},
                  sys.stdout, indent=2, allow_nan=False)
        print()
        return 0
    _print(res)
    return 0


def _print(res: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    con = Console(highlight=False)
    st = res["stress"]
    if st is not None:
        for g in st.groups:
            t = Table(title=escape(f"{g.kind}: {g.base} — {st.metric} at {g.n0:,} labels "
                                   "(mean over repeats)"))
            t.add_column("arm")
            t.add_column(st.metric, justify="right")
            for arm in g.arms:
                t.add_row(escape(arm), num(g.today.get(arm, math.nan)))
            con.print(t)
            for s in g.statements:
                con.print(f"  • {escape(s)}")
        for note in st.notes:
            con.print(f"note: {escape(note)}")
    sl = res["slices"]
    if sl is not None:
        n0 = int(sl.pooled["n_train"].max())
        t = Table(title=escape(f"slices of {sl.column}: {sl.metric} at {n0:,} labels "
                               "(partial pooling, 90 % interval)"))
        for c in ("model", "slice", "test rows", "raw", "pooled", "interval", "shrinkage"):
            t.add_column(c, justify="left" if c in ("model", "slice") else "right")
        for r in sl.pooled[sl.pooled["n_train"] == n0].itertuples(index=False):
            t.add_row(escape(str(r.model)), escape(str(r.slice)), f"{int(r.n_test):,}",
                      num(r.raw), num(r.pooled), interval(r.low, r.high),
                      f"{r.shrinkage:.2f}")
        con.print(t)
        if sl.left_out:
            con.print(escape(f"  left out (too few test rows): {sl.left_out}"))
        for s in sl.statements:
            con.print(f"  • {escape(s)}")
    if res["relabel"] is not None:
        con.print(f"relabel vs new: {escape(res['relabel'].sentence)}")
