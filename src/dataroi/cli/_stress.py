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
import math
from typing import Any

from dataroi.cli._format import interval, num
from dataroi.cli._options import add_draws, add_json, add_ledger, add_metric
from dataroi.cli._output import print_json, result_console
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
    add_ledger(s)
    add_metric(s)
    add_json(s)
    add_draws(s, default=400)
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


def stress_results(analysis: Any, *, draws: int = 400, noise_rate: float | None = None,
                   annotations: str | None = None, opinions: int = 2,
                   budget: float | None = None, objective: str = "overall"
                   ) -> dict[str, Any]:
    """Everything ``dataroi stress`` shows, as objects (``stress``, ``slices``,
    ``relabel``, each None when the spec lacks it), computed through the analysis."""
    spec = analysis.context.spec
    _check_sections(spec, budget=budget, noise_rate=noise_rate, annotations=annotations)
    out: dict[str, Any] = {"stress": None, "slices": None, "relabel": None}
    if spec.stress:
        out["stress"] = analysis.stress(draws=draws)
    if spec.slices:
        out["slices"] = analysis.slices(budget_usd=budget, objective=objective)
    rate_after = None
    if annotations:
        from dataroi.annotation import analyze_annotations

        rep = analyze_annotations(annotations, n_boot=200)
        if not math.isfinite(rep.noise_rate.rate):  # one label per item, no gold
            why = next((n for n in rep.notes if "cannot be estimated" in n),
                       "the table gives no noise rate")
            raise UsageError(f"--annotations {annotations}: {why}")
        noise_rate = rep.noise_rate.rate
        rate_after = rep.consensus_noise_rate.rate
    if noise_rate is not None:
        out["relabel"] = analysis.relabel(rate_now=noise_rate, rate_after=rate_after,
                                          opinions=opinions, draws=draws)
    return out


def _check_sections(spec: Any, *, budget: float | None, noise_rate: float | None,
                    annotations: str | None) -> None:
    """Refuse, before any analysis, what the spec cannot answer."""
    if not spec.stress and not spec.slices:
        raise UsageError("the spec has no stress: or slices: section; add one (see "
                         "docs/stress.md or the template of `dataroi init`)")
    if budget is not None and not spec.slices:
        raise UsageError("--budget allocates labels per slice: add slices: to the spec")
    if noise_rate is not None and annotations:
        # the table's consensus rate is the rate after relabeling *its* noise, not this one
        raise UsageError("--noise-rate and --annotations both give today's label-noise "
                         "rate (the table measures it, and what its consensus leaves); "
                         "give one")
    asked = "--noise-rate" if noise_rate is not None else (
        "--annotations" if annotations else None)
    if asked and (spec.costs is None or spec.costs.price_per_label_usd is None):
        raise UsageError(f"{asked} prices relabeling against new labels: add "
                         "costs.price_per_label_usd to the spec (without it, leave "
                         f"{asked} out to see the arms and slices alone)")


def _cmd_stress(args: argparse.Namespace) -> int:
    import dataroi

    if args.draws < 100:
        raise UsageError(f"--draws must be at least 100, got {args.draws}")
    study = dataroi.load_study(args.spec, ledger=args.ledger, build_models=False)
    _check_sections(study.spec, budget=args.budget, noise_rate=args.noise_rate,
                    annotations=args.annotations)
    with study.analyze(metric=args.metric, n_draws=max(args.draws, 100)) as analysis:
        res = stress_results(analysis, draws=args.draws, noise_rate=args.noise_rate,
                             annotations=args.annotations, opinions=args.opinions,
                             budget=args.budget, objective=args.objective)
    if args.json:
        print_json({k: (None if v is None else v.to_dict()) for k, v in res.items()})
        return 0
    _print(res)
    return 0


def _print(res: dict[str, Any]) -> None:
    from rich.table import Table

    con = result_console()
    st = res["stress"]
    if st is not None:
        for g in st.groups:
            t = Table(title=str(f"{g.kind}: {g.base} — {st.metric} at {g.n0:,} labels "
                                   "(mean over repeats)"))
            t.add_column("arm")
            t.add_column(st.metric, justify="right")
            for arm in g.arms:
                t.add_row(str(arm), num(g.today.get(arm, math.nan)))
            con.print(t)
            for s in g.statements:
                con.print(f"  • {s!s}")
        for note in st.notes:
            con.print(f"note: {note!s}")
    sl = res["slices"]
    if sl is not None:
        n0 = int(sl.pooled["n_train"].max())
        t = Table(title=str(f"slices of {sl.column}: {sl.metric} at {n0:,} labels "
                               "(partial pooling, 90 % interval)"))
        for c in ("model", "slice", "test rows", "raw", "pooled", "interval", "shrinkage"):
            t.add_column(c, justify="left" if c in ("model", "slice") else "right")
        for r in sl.pooled[sl.pooled["n_train"] == n0].itertuples(index=False):
            t.add_row(str(str(r.model)), str(str(r.slice)), f"{int(r.n_test):,}",
                      num(r.raw), num(r.pooled), interval(r.low, r.high),
                      f"{r.shrinkage:.2f}")
        con.print(t)
        if sl.left_out:
            left = ", ".join(f"{k} ({v:,})" for k, v in sl.left_out.items())
            con.print(f"  left out (too few test rows): {left}", markup=False,
                      highlight=False)
        for s in sl.statements:
            con.print(f"  • {s!s}")
    if res["relabel"] is not None:
        con.print(f"relabel vs new: {res['relabel'].sentence!s}")
        if res["relabel"].arms_check:
            con.print(f"  {res['relabel'].arms_check}")
