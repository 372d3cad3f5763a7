"""CLI command ``dataroi report``: the study's report as HTML, Markdown or JSON.

Example:
    >>> import argparse
    >>> sub = argparse.ArgumentParser().add_subparsers()
    >>> sorted(add_commands(sub))
    ['report']
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from dataroi.exceptions import UsageError

__all__ = ["add_commands"]


def add_commands(subparsers: Any) -> dict[str, Any]:
    """Add ``report``; return its handler by name."""
    s = subparsers.add_parser(
        "report", help="one self-contained HTML report (or Markdown / JSON) of a study",
        description="Write the study's report: the recommendation, learning curves, data "
        "vs. model, marginal value of labels, diagnostics and reproducibility.")
    s.add_argument("spec")
    s.add_argument("--ledger", help="ledger URL or SQLite path (default: $DATAROI_LEDGER, "
                   "the spec's ledger, or .dataroi/ledger.db beside the spec)")
    s.add_argument("-o", "--output", help="file to write (default: standard output for md "
                   "and json; report.html for html)")
    s.add_argument("--format", choices=["html", "md", "json"], default=None,
                   help="output format (default: from the output's suffix, else html)")
    s.add_argument("--draws", type=int, default=2000,
                   help="joint curve draws per model (default 2000, as `dataroi plan`)")
    return {"report": _cmd_report}


def _cmd_report(args: argparse.Namespace) -> int:
    import dataroi
    from dataroi.report import build_report, format_for_path, write_report

    if args.draws < 100:
        raise UsageError(f"--draws must be at least 100, got {args.draws}")
    fmt = args.format or (format_for_path(args.output) if args.output else "html")
    output = args.output or ("report.html" if fmt == "html" else None)
    study = dataroi.load_study(args.spec, ledger=args.ledger, build_models=False)
    report = build_report(study, spec_path=args.spec, output=output, fmt=fmt,
                          n_draws=args.draws)
    if output is None:
        text = report.render(fmt)
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
        return 0
    path = write_report(study, output, fmt=fmt, report=report)
    missing = report.document.get("missing") or []
    print(f"wrote {path} ({path.stat().st_size / 1024:,.0f} KB, {fmt}) in "
          f"{report.build_seconds:.1f}s" + (f"; {len(missing)} item(s) to complete the "
                                            "report are listed in it" if missing else ""),
          file=sys.stderr)
    return 0
