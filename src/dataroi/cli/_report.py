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
from pathlib import Path
from typing import Any

from dataroi.cli._options import add_draws, add_metric, add_study_source, open_analysis

__all__ = ["add_commands"]


def add_commands(subparsers: Any) -> dict[str, Any]:
    """Add ``report``; return its handler by name."""
    s = subparsers.add_parser(
        "report", help="one self-contained HTML report (or Markdown / JSON) of a study",
        description="Write the study's report: the recommendation, learning curves, data "
        "vs. model, marginal value of labels, diagnostics and reproducibility.")
    add_study_source(s)
    add_metric(s)
    s.add_argument("-o", "--output", help="file to write, - for standard output (default: "
                   "standard output for md and json; report.html for html)")
    s.add_argument("--format", choices=["html", "md", "json"], default=None,
                   help="output format (default: from the output's suffix, else html)")
    s.add_argument("--json", action="store_true",
                   help="print the report's JSON document on standard output")
    s.add_argument("--redact", action="store_true",
                   help="replace the table's column names and category values (class "
                   "labels too) by stable pseudonyms (column_3, column_3_v2), in the text, "
                   "tables and figures")
    add_draws(s)
    return {"report": _cmd_report}


def _cmd_report(args: argparse.Namespace) -> int:
    from dataroi.exceptions import UsageError
    from dataroi.report import check_output_path, resolve_format, write_report

    if args.json:
        if args.format not in (None, "json") or args.output is not None:
            raise UsageError("--json prints the JSON document; it goes without --format and "
                             "-o (write a file with -o report.json)")
        args.format = "json"
    to_stdout = args.output == "-"  # the usual name of standard output
    if to_stdout:
        args.output = None
    elif args.output is not None:
        check_output_path(args.output)  # an empty name, a folder, a missing folder
    fmt = resolve_format(args.output, args.format) if args.output else (args.format or "html")
    output = None if to_stdout else args.output or ("report.html" if fmt == "html" else None)
    if output is not None:
        resolve_format(output, fmt)  # refuse a file name of another format before any work
        check_output_path(output)  # the default report.html may be a folder too
    if args.redact and not args.spec:
        raise UsageError("--redact needs the study's spec (its data names what to hide); "
                         "a table of trials names no column")
    with open_analysis(args) as analysis:
        # redacted, the command that re-creates the report names no folder of this machine
        report = analysis.report(
            spec_path=Path(args.spec).name if args.redact else args.spec,
            output=Path(output).name if args.redact and output else output, fmt=fmt)
    if args.redact:
        import dataroi
        from dataroi.report import Report

        study = dataroi.load_study(args.spec, ledger=args.ledger, build_models=False)
        redactor = study.redactor()
        document = redactor.document(report.document)
        repro = (document.get("sections") or {}).get("reproducibility")
        if isinstance(repro, dict) and repro.get("command"):
            repro["command"] += " --redact"
        report = Report(document, build_seconds=report.build_seconds)
    if output is None:
        text = report.render(fmt)
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
        return 0
    path = write_report(report, output, fmt=fmt)
    missing = report.document.get("missing") or []
    print(f"wrote {path} ({path.stat().st_size / 1024:,.0f} KB, {fmt}) in "
          f"{report.build_seconds:.1f}s" + (f"; {len(missing)} item(s) to complete the "
                                            "report are listed in it" if missing else ""),
          file=sys.stderr)
    return 0
