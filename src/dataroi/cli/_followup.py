"""CLI command ``dataroi followup``: earlier recommendations against what was measured.

Example:
    >>> import argparse
    >>> sub = argparse.ArgumentParser().add_subparsers()
    >>> sorted(add_commands(sub))
    ['followup']
"""

from __future__ import annotations

import argparse
from typing import Any

from dataroi.cli._options import add_draws, add_json, add_ledger

__all__ = ["add_commands"]


def add_commands(subparsers: Any) -> dict[str, Any]:
    """Add ``followup``; return its handler by name."""
    s = subparsers.add_parser(
        "followup", help="check earlier recommendations' forecasts against the "
        "measurements after the data grew, record it, and plan again",
        description="After the data grew (a new dataset version with more labeled rows) "
        "and `dataroi run SPEC` ran the study on it: for every earlier data version with "
        "a saved recommendation (`dataroi plan` saves one), put each model's forecast at "
        "the new size (recomputed from that version's trials: the draws the "
        "recommendation was made from) beside the score measured there: inside the 50 % "
        "or 90 % interval or outside, the error, the realized net value of the decision "
        "and its regret against the best choice in hindsight. Each follow-up is recorded "
        "in the ledger (a 'followup' document, once); the ledger's track record over all "
        "follow-ups is printed; then a new recommendation on the new data (saved).")
    s.add_argument("spec")
    add_ledger(s)
    add_draws(s)
    s.add_argument("--no-save", action="store_true",
                   help="record nothing in the ledger (neither the follow-up nor the plan)")
    s.add_argument("--no-plan", action="store_true", help="do not plan again")
    add_json(s)
    return {"followup": _cmd_followup}


def _cmd_followup(args: argparse.Namespace) -> int:
    from rich.table import Table
    from rich.text import Text

    import dataroi
    from dataroi.cli._decide import print_recommendation
    from dataroi.cli._output import log_console, print_json, result_console
    from dataroi.decide import ledger_track_record

    study = dataroi.load_study(args.spec, ledger=args.ledger, build_models=False)
    followups = study.followup(n_draws=args.draws, save=not args.no_save)
    rec = None
    waiting: dict[str, Any] | None = None  # a recommendation made on the last run's data
    with study.analyze(n_draws=args.draws) as analysis:
        ctx = analysis.context
        assert ctx is not None and ctx.store is not None and ctx.context is not None
        record = ledger_track_record(ctx.store)
        if not followups:
            saved = ctx.store.list_documents("recommendation", study_id=ctx.study_id,
                                             context_id=ctx.context["context_id"])
            if saved:
                now = study.prepare().fingerprint
                waiting = {"recommendation": saved[-1]["document_id"],
                           "labels": saved[-1]["payload"].get("current_n"),
                           "data_changed": now != ctx.fingerprint,
                           "last_run_data": ctx.fingerprint, "data_now": now}
        if not args.no_plan and waiting is None:  # else the same plan, saved again
            rec = analysis.recommend(save=not args.no_save)
    if args.json:
        print_json({"followups": [f.to_dict() for f in followups],
                    "track_record": record.to_dict(), "waiting": waiting,
                    "recommendation": rec.to_dict() if rec is not None else None})
        return 0
    con = result_console()
    if waiting is not None:
        made = (f"recommendation {waiting['recommendation']} was made on the data of the "
                f"last run ({int(waiting['labels'] or 0):,} labels)")
        log_console().print(
            f"{made}; the data changed since ({str(waiting['last_run_data'])[:12]} → "
            f"{waiting['data_now'][:12]}): `dataroi run {args.spec}` runs the study on "
            f"them, then `dataroi followup {args.spec}` checks its forecasts (no new plan "
            "until then)" if waiting["data_changed"] else
            f"{made}: nothing to follow up until the data grow and `dataroi run "
            f"{args.spec}` runs on them (`dataroi plan {args.spec}` shows the plan; nothing "
            "new saved)", markup=False)
    elif not followups:
        log_console().print(
            "no earlier recommendation to follow up: `dataroi plan SPEC` saves one; after "
            "the data grew and `dataroi run SPEC` ran on it, `dataroi followup SPEC` checks "
            "it")
    for fu in followups:
        con.print(Text(f"follow-up of {fu.study}", style="bold"))
        for line in fu.lines():
            con.print(Text(f"  {line}"))
        t = Table(title=f"forecasts at {fu.n_now:,} labels (made at {fu.n_then:,})")
        for col in ("model", "forecast", "50 %", "90 %", "measured", "error", "verdict"):
            t.add_column(col, justify="left" if col in ("model", "verdict") else "right")
        for c in fu.checks:
            t.add_row(c.model + (" (chosen)" if c.chosen else ""), f"{c.median:.4f}",
                      f"{c.q25:.4f}-{c.q75:.4f}", f"{c.q05:.4f}-{c.q95:.4f}",
                      f"{c.measured:.4f}", f"{c.error:+.4f}", c.verdict)
        con.print(t)
        if fu.document_id is not None:
            log_console().print(f"in the ledger as document {fu.document_id} (kind "
                                "'followup'; asking again reads it back)")
    con.print(Text("track record of this ledger", style="bold"))
    for line in record.lines():
        con.print(Text(f"  {line}"))
    if rec is not None:
        print_recommendation(rec, con, title="the plan from here")
    return 0
