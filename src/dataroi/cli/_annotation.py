"""CLI command ``dataroi annotations``: annotation quality of a long label table.

A thin layer over :func:`dataroi.annotation.analyze_annotations`; ``--json`` prints the
report as JSON on standard output, otherwise readable tables go to standard output.

Example:
    >>> import argparse
    >>> sub = argparse.ArgumentParser().add_subparsers()
    >>> sorted(add_commands(sub))
    ['annotations']
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from dataroi.cli._format import interval, num
from dataroi.cli._output import result_console
from dataroi.exceptions import UsageError

__all__ = ["add_commands", "print_annotation_report"]

_NAMES = {"cohen_kappa": "Cohen's kappa", "fleiss_kappa": "Fleiss' kappa",
          "krippendorff_alpha": "Krippendorff's alpha (nominal)"}
_TARGETS = {"single_annotation": "one annotation", "majority_vote": "majority vote",
            "dawid_skene": "Dawid–Skene consensus"}


def add_commands(subparsers: Any) -> dict[str, Any]:
    """Add ``annotations``; return its handler by name."""
    s = subparsers.add_parser(
        "annotations", help="annotation quality: agreement, consensus, label-noise rate",
        description="Per-annotator accuracy, Cohen's/Fleiss' kappa, Krippendorff's alpha, "
        "majority and Dawid–Skene consensus, label-noise rates and items to relabel, from "
        "a long CSV/Parquet table of (item, annotator, label).")
    s.add_argument("table", help="CSV or Parquet file, one row per (item, annotator)")
    s.add_argument("--item", default="item", help="item column (default: item)")
    s.add_argument("--annotator", default="annotator",
                   help="annotator column (default: annotator)")
    s.add_argument("--label", default="label", help="label column (default: label)")
    s.add_argument("--gold", help="gold-label column (optional; empty where unknown)")
    s.add_argument("--json", action="store_true", help="print JSON on standard output")
    s.add_argument("--items", action="store_true",
                   help="with --json: include the consensus of every item")
    s.add_argument("--seed", type=int, default=0, help="root seed (default 0)")
    s.add_argument("--boot", type=int, default=1000,
                   help="bootstrap replicates over items (default 1000, at most 100,000)")
    s.add_argument("--boot-ds", type=int, default=200,
                   help="Dawid–Skene refits for model-based noise intervals (default 200, "
                   "at most 10,000)")
    s.add_argument("--top", type=int, default=10, help="low-agreement items to show")
    return {"annotations": _cmd_annotations}


#: Decimals of the annotation tables (agreement and rates).
_FMT = ".3f"


def print_annotation_report(report: Any, console: Any, *, top: int = 10) -> None:
    """Print a report as rich tables (on a console with Rich markup: the user's names,
    items, labels and notes are escaped)."""
    from rich.markup import escape
    from rich.table import Table

    pct = round(report.settings.get("level", 0.95) * 100)
    console.print(f"[bold]annotations[/]: {report.n_annotations:,} labels, "
                  f"{report.n_items:,} items, {report.n_annotators} annotators, "
                  f"{len(report.classes)} classes, {report.n_gold_items:,} items with gold")
    t = Table(title=f"chance-corrected agreement ({pct} % bootstrap CI over items)")
    for col in ("statistic", "value", "CI", "items"):
        t.add_column(col, justify="left" if col == "statistic" else "right")
    for e in report.agreement:
        name = _NAMES[e.statistic]
        if e.statistic == "cohen_kappa" and report.n_annotators > 2:
            name += " (mean pairwise)"
        t.add_row(name, num(e.value, _FMT), interval(e.ci_low, e.ci_high, _FMT), f"{e.n_items:,}")
    console.print(t)

    t = Table(title="annotators (accuracy against gold and against the others' majority)")
    for col in ("annotator", "labels", "gold n", "acc. gold", "gold CI", "acc. consensus",
                "acc. Dawid–Skene"):
        t.add_column(col, justify="left" if col == "annotator" else "right")
    for a in sorted(report.annotators, key=lambda a: -a.n_annotations):
        t.add_row(escape(str(a.annotator)), f"{a.n_annotations:,}", f"{a.n_gold:,}",
                  num(a.accuracy_gold, _FMT), interval(a.gold_ci_low, a.gold_ci_high, _FMT),
                  num(a.accuracy_consensus, _FMT), num(a.accuracy_dawid_skene, _FMT))
    console.print(t)

    t = Table(title=f"label-noise rate (share of wrong labels, {pct} % CI)")
    for col in ("label of", "estimated from", "rate", "CI", "n"):
        t.add_column(col, justify="left" if col in ("label of", "estimated from")
                     else "right")
    for n in report.noise:
        t.add_row(_TARGETS[n.target], "gold labels" if n.source == "gold" else
                  "Dawid–Skene model", num(n.rate, _FMT),
                  interval(n.ci_low, n.ci_high, _FMT), f"{n.n:,}")
    console.print(t)
    nr = report.noise_rate
    if nr.rate == nr.rate:  # not NaN
        console.print(f"noise rate of one annotation for noise curves: [bold]{nr.rate:.3f}"
                      f"[/] ({interval(nr.ci_low, nr.ci_high, _FMT)}, from "
                      f"{'gold' if nr.source == 'gold' else 'Dawid–Skene'})")
    else:
        console.print("noise rate of one annotation for noise curves: [bold]cannot be "
                      "estimated[/] (see the note below)")

    low = report.low_agreement
    if low:
        t = Table(title=f"{len(low):,} items worth another opinion (least confident first"
                  f"{'; first ' + str(top) if len(low) > top else ''})")
        for col in ("item", "labels", "agreement", "majority", "Dawid–Skene", "confidence",
                    "why"):
            t.add_column(col, justify="right" if col in ("labels", "agreement",
                                                         "confidence") else "left")
        for r in low[:top]:
            t.add_row(escape(str(r.item)), str(r.n_annotations),
                      num(r.observed_agreement, ".2f"), escape(str(r.majority_label)),
                      escape(str(r.dawid_skene_label)), num(r.confidence, ".2f"),
                      escape(r.reason))
        console.print(t)
    else:
        console.print("no low-agreement items")
    for note in report.notes:
        console.print(f"note: {escape(note)}")


def _cmd_annotations(args: argparse.Namespace) -> int:
    from dataroi.annotation import analyze_annotations

    if args.items and not args.json:
        raise UsageError("--items adds every item's consensus to the JSON output; use it "
                         "with --json")
    if args.seed < 0:  # numpy's seeding refuses negative seeds
        raise UsageError(f"--seed must be >= 0, got {args.seed}")
    for name in ("boot", "boot_ds", "top"):
        if getattr(args, name) < 0:
            raise UsageError(f"--{name.replace('_', '-')} must be >= 0, got "
                             f"{getattr(args, name)}")
    # an absurd count is refused at once instead of running for days (the same bounds as
    # AnnotationAnalysis: a replicate over items is cheap, a Dawid–Skene one a whole fit)
    for name, most in (("boot", 100_000), ("boot_ds", 10_000)):
        if getattr(args, name) > most:
            raise UsageError(f"--{name.replace('_', '-')} must be at most {most:,}, got "
                             f"{getattr(args, name):,}")
    report = analyze_annotations(args.table, item=args.item, annotator=args.annotator,
                                 label=args.label, gold=args.gold, random_state=args.seed,
                                 n_boot=args.boot, n_boot_dawid_skene=args.boot_ds)
    if args.json:
        sys.stdout.write(json.dumps(report.to_dict(include_items=args.items), indent=1,
                                    default=str) + "\n")
        return 0
    print_annotation_report(report, result_console(markup=True), top=args.top)
    return 0
