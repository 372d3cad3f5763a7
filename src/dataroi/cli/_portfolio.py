"""CLI commands ``dataroi portfolio`` (every study of a ledger as one static page) and
``dataroi serve`` (the same as a small local web app, read-only).

Example:
    >>> import argparse
    >>> sub = argparse.ArgumentParser().add_subparsers()
    >>> sorted(add_commands(sub))
    ['portfolio', 'serve']
"""

from __future__ import annotations

import argparse
from typing import Any

from dataroi.cli._options import add_json, add_ledger, bounded_int
from dataroi.exceptions import UsageError

__all__ = ["add_commands"]


def add_commands(subparsers: Any) -> dict[str, Any]:
    """Add ``portfolio`` and ``serve``; return their handlers by name."""
    s = subparsers.add_parser(
        "portfolio", help="every study of a ledger at a glance, as one static HTML page "
        "(with a page per study)",
        description="Read every study of the ledger (SQLite or PostgreSQL; never written) "
        "and write index.html with, per study, its current recommendation, the best "
        "model and score on the latest data and the gain since the first data version, "
        "trials, CPU hours and money spent (labels of the decisions followed up, "
        "compute), cost per point gained, the forecasts' track record and the impact "
        "assessments; filters, sorting and a comparison of two studies that shows only "
        "what differs, all in the page (nothing is loaded). A page per study is written "
        "to studies/ beside it.")
    add_ledger(s)
    s.add_argument("-o", "--output", metavar="index.html", default=None,
                   help="the page to write (.html; default: print a summary only)")
    s.add_argument("--compare", nargs=2, metavar=("A", "B"),
                   help="print what differs between studies A and B")
    add_json(s)

    s = subparsers.add_parser(
        "serve", help="the portfolio as a small local web app (read-only)",
        description="Serve the portfolio of the ledger on http://HOST:PORT/ until "
        "Ctrl-C: every page reads the ledger as it is at that moment (runs in progress "
        "included) and nothing is ever written. Listens on 127.0.0.1 unless --host says "
        "otherwise.")
    add_ledger(s)
    s.add_argument("--host", default="127.0.0.1", help="address to listen on "
                   "(default 127.0.0.1: this machine only)")
    s.add_argument("--port", type=bounded_int(0, 65535), default=8765,
                   help="port (default 8765; 0: any free port)")
    return {"portfolio": _cmd_portfolio, "serve": _cmd_serve}


def _ledger(args: argparse.Namespace) -> str:
    from dataroi.impact import default_ledger_location

    return default_ledger_location(args.ledger)


def _read(args: argparse.Namespace) -> Any:
    from dataroi.ledger import open_ledger
    from dataroi.portfolio import read_portfolio

    with open_ledger(_ledger(args), create=False) as ledger:
        return read_portfolio(ledger, ledger_url=ledger.url)


def _cmd_portfolio(args: argparse.Namespace) -> int:
    from rich.table import Table

    from dataroi.cli._output import log_console, print_json, result_console
    from dataroi.portfolio import differences, write_portfolio

    if args.output is not None and not str(args.output).lower().endswith((".html", ".htm")):
        raise UsageError(f"--output must be an .html file, got {args.output!r}")
    p = _read(args)
    if args.compare:
        a, b = (p.study(n) for n in args.compare)  # an unknown name: one line, exit 2
        rows = differences(a, b)
        if args.json:
            print_json([{"field": f, "a": x, "b": y} for f, x, y in rows])
            return 0
        t = Table(title=f"{a.name} vs {b.name}: {len(rows)} fields differ")
        for col in ("field", a.name, b.name):
            t.add_column(col)
        for f, x, y in rows:
            t.add_row(f, str(x), str(y))
        result_console().print(t)
        return 0
    if args.output is not None:
        files = write_portfolio(p, args.output)
        log_console().print(f"wrote {files[0]} and {len(files) - 1} study page(s) in "
                            f"{files[0].parent / 'studies'}")
    if args.json:
        print_json(p.to_dict())
        return 0
    t = Table(title=f"{len(p.studies)} stud{'y' if len(p.studies) == 1 else 'ies'} in "
                f"{p.ledger_url}")
    for col in ("study", "recommendation", "best model", "score", "versions", "trials",
                "decisions checked"):
        t.add_column(col)
    for s in p.studies:
        t.add_row(s.name, (s.recommendation or {}).get("first_step") or "–",
                  s.best_model or "–", "–" if s.best_score is None else f"{s.best_score:.4f}",
                  str(s.versions), f"{s.trials_complete:,}", str(s.decisions_checked))
    result_console().print(t)
    return 0


def _cmd_serve(args: argparse.Namespace) -> int:
    from dataroi.cli._output import log_console
    from dataroi.portfolio import make_server

    p = _read(args)  # the ledger is there and readable before anything listens
    try:
        server = make_server(_ledger(args), host=args.host, port=args.port,
                             shown_url=p.ledger_url)
    except OSError as exc:
        raise UsageError(f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}"
                         ) from None
    host, port = server.server_address[:2]
    n = len(p.studies)
    log_console().print(f"serving the portfolio of {p.ledger_url} ({n} "
                        f"stud{'y' if n == 1 else 'ies'}) on http://{host}:{port}/ "
                        "(read-only; Ctrl-C stops)")
    try:
        server.serve_forever()
    finally:
        server.server_close()
    return 0
