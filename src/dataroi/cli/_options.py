"""Options shared by the commands, declared once.

Example:
    >>> import argparse
    >>> p = argparse.ArgumentParser()
    >>> add_study_source(p); add_json(p); add_draws(p)
    >>> a = p.parse_args(["s.yaml", "--json"])
    >>> a.spec, a.trials, a.json, a.draws
    ('s.yaml', None, True, 2000)
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from dataroi.exceptions import UsageError

__all__ = ["add_check_data", "add_draws", "add_json", "add_ledger", "add_metric",
           "add_study_source", "bounded_int", "open_analysis"]

LEDGER_HELP = ("ledger URL or SQLite path (default: $DATAROI_LEDGER, the spec's ledger, or "
               ".dataroi/ledger.db beside the spec)")


def _ledger_url(text: str) -> str:
    """An argparse type: a ledger URL or path, refusing the empty string (which would
    silently mean the default ledger)."""
    if not text.strip():
        raise argparse.ArgumentTypeError("empty; give a ledger path or URL, or leave the "
                                          "option out for the spec's ledger")
    path = text.removeprefix("sqlite:///") if text.startswith("sqlite:///") else (
        None if "://" in text else text)
    if path and not Path(path).expanduser().absolute().parent.is_dir():
        raise argparse.ArgumentTypeError(f"the folder of {path} does not exist; create it "
                                          "first (a typo must not make a new ledger)")
    return text


def bounded_int(low: int, high: int) -> Any:
    """An argparse type: an integer in ``[low, high]`` (a count that cannot explode).

    Example:
        >>> bounded_int(1, 10)("3")
        3
        >>> try:
        ...     bounded_int(1, 10)("11")
        ... except argparse.ArgumentTypeError as exc:
        ...     print(exc)
        must be an integer from 1 to 10, got 11
    """
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be an integer, got {text!r}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be an integer from {low:,} to {high:,}, "
                                              f"got {value:,}")
        return value
    parse.__name__ = "count"
    return parse


def add_ledger(sp: argparse.ArgumentParser) -> None:
    """``--ledger URL``."""
    sp.add_argument("--ledger", type=_ledger_url, help=LEDGER_HELP)


def add_json(sp: argparse.ArgumentParser) -> None:
    """``--json``: the command's result as JSON on standard output (every command)."""
    sp.add_argument("--json", action="store_true",
                    help="print the result as JSON on standard output")


def add_metric(sp: argparse.ArgumentParser) -> None:
    """``--metric NAME``."""
    sp.add_argument("--metric", help="metric (default: the spec's decision metric or its "
                    "primary metric; for --trials: the table's only metric)")


def add_draws(sp: argparse.ArgumentParser, default: int = 2000) -> None:
    """``--draws N``: joint curve draws per model."""
    sp.add_argument("--draws", type=bounded_int(100, 100_000), default=default,
                    help=f"joint curve draws per model (default {default})")


def add_check_data(sp: argparse.ArgumentParser) -> None:
    """``--check-data``."""
    sp.add_argument("--check-data", action="store_true",
                    help="load and fingerprint the data; use only trials of exactly this "
                    "data (default: the latest data version in the ledger)")


def add_study_source(sp: argparse.ArgumentParser) -> None:
    """A study (``SPEC`` with ``--ledger``) or a table of trials (``--trials`` with
    ``--costs``), for the commands that analyze."""
    sp.add_argument("spec", nargs="?", help="the study spec (or give --trials)")
    add_ledger(sp)
    sp.add_argument("--trials", help="a table of trials instead of a study: the CSV, JSON "
                    "or Parquet that `dataroi trials` writes")
    sp.add_argument("--costs", help="with --trials: a YAML file with costs: and decision: "
                    "sections (as in a spec)")
    sp.add_argument("--curves", choices=["learned", "fitted"],
                    help="how curves continue beyond today: the gain forecast learned on "
                    "the curve corpus, or the fitted curve families (default: "
                    "decision.curves, else learned)")


def _costs_file(path: str) -> tuple[Any, Any]:
    """The ``costs:`` and ``decision:`` sections of a YAML file."""
    from dataroi._yaml import read_yaml
    from dataroi.exceptions import SpecError
    from dataroi.spec import parse_costs, parse_decision

    raw, _ = read_yaml(path, what="costs file")
    if not isinstance(raw, dict):
        raise UsageError(f"{path}: expected a mapping with costs: and decision: sections")
    unknown = sorted(set(raw) - {"costs", "decision"})
    if unknown:
        raise UsageError(f"{path}: unknown section(s) {', '.join(map(str, unknown))}; a costs "
                         "file holds costs: and decision:")
    try:
        return parse_costs(raw.get("costs")), parse_decision(raw.get("decision"))
    except SpecError as exc:  # name the costs file, not "the study spec"
        raise SpecError(exc.problems, source=path, what="costs file") from None


def open_analysis(args: argparse.Namespace, *, metric: str | None = None) -> Any:
    """The :class:`~dataroi.analysis.Analysis` the arguments name (a study, or a table
    of trials with a costs file). Builds no model: reading runs no code of the spec's.

    Raises:
        UsageError: neither or both of SPEC and --trials, or --costs without --trials.
    """
    import dataroi

    draws = getattr(args, "draws", 2000)
    if draws < 100:
        raise UsageError(f"--draws must be at least 100, got {draws}")
    metric = metric or getattr(args, "metric", None)
    if args.trials:
        if args.spec:
            raise UsageError("give a spec or --trials, not both")
        from dataroi.analysis import load_trials
        from dataroi.spec import is_arm_name

        costs, decision = _costs_file(args.costs) if args.costs else (None, None)
        frame = load_trials(args.trials, metric=metric)
        # a table `dataroi trials` wrote holds the stress arms too (lr[noise=0.1]): not
        # options to switch to, unless the decision names one (a relabel's cleaner)
        named = {getattr(args, "current_model", None)}
        if decision is not None:
            named |= {decision.current_model}
            if decision.relabel is not None:
                named |= {decision.relabel.model, decision.relabel.cleaner}
        names = list(dict.fromkeys(frame["model"]))
        models = [m for m in names if not is_arm_name(m) or m in named]
        analysis = dataroi.analyze(frame, metric=metric, costs=costs, decision=decision,
                                   n_draws=draws, curves=getattr(args, "curves", None),
                                   models=models if len(models) < len(names) else None)
        analysis.source = str(args.trials)
        return analysis
    if args.costs:
        raise UsageError("--costs goes with --trials (a study's costs are in its spec)")
    if not args.spec:
        raise UsageError("name a study spec, or a table of trials with --trials")
    study = dataroi.load_study(args.spec, ledger=args.ledger, build_models=False)
    return study.analyze(metric=metric, n_draws=draws,
                         check_data=getattr(args, "check_data", False),
                         curves=getattr(args, "curves", None))
