"""``dataroi impact``: assess a model change, gate a deployment, list past assessments.

Example:
    >>> import argparse
    >>> sub = argparse.ArgumentParser(prog="dataroi").add_subparsers(dest="command")
    >>> sorted(add_commands(sub))
    ['impact']
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from dataroi._money import amount
from dataroi.cli._options import bounded_int
from dataroi.cli._output import result_console
from dataroi.exceptions import UsageError

__all__ = ["add_commands"]


def _floats(text: str) -> list[float]:
    try:
        return [float(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected numbers separated by commas, got "
                                         f"{text!r}") from None


def _threshold(text: str) -> float | str:
    if text == "best":
        return text
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number in [0, 1] or 'best', got "
                                         f"{text!r}") from None


def _margin(text: str) -> float | str:
    if text == "auto":
        return text
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number >= 0 (value per row) or 'auto', "
                                         f"got {text!r}") from None
    if not (value >= 0 and value != float("inf")):
        raise argparse.ArgumentTypeError(f"expected a number >= 0 (value per row) or 'auto', "
                                         f"got {text!r}")
    return value


def add_commands(subparsers: Any) -> dict[str, Any]:
    """Add ``impact run`` and ``impact history``; return ``{"impact": handler}``."""
    p = subparsers.add_parser("impact", help="impact of a model change: value, segments, gate")
    isub = p.add_subparsers(dest="impact_command", parser_class=type(p))
    r = isub.add_parser("run", help="assess baseline vs candidate on an evaluation table")
    r.add_argument("table", help="evaluation table (CSV/Parquet) or a built-in data set")
    r.add_argument("--spec", help="impact spec YAML (impact.yaml: hypothesis, expected "
                   "effect, baseline, candidate, value, contract, segments, margin, gate, "
                   "rollback cost; register it first with `dataroi impact register`): "
                   "replaces those options")
    r.add_argument("--baseline",
                   help="col:NAME, file:PATH[:COLUMN] (joined by id) or model:PATH")
    r.add_argument("--candidate", help="same forms as --baseline")
    r.add_argument("--value", help="value model YAML (payoff or expression)")
    r.add_argument("--target", default=None, help="ground-truth column (default: y)")
    r.add_argument("--task", choices=["classification", "regression"], default=None,
                   help="regression: the target and the predictions are numbers, and the "
                   "value model an expression of pred and y (default classification)")
    r.add_argument("--id", dest="id_column", default=None,
                   help="row id column (default: id)")
    r.add_argument("--contract", help="data contract YAML (checked before anything else)")
    r.add_argument("--gate", help="gate YAML: exit 0 when every condition holds, 1 if not "
                   "(default: the built-in gate: value_diff.ci_low > 0 and no segment "
                   "harmed beyond the margin)")
    r.add_argument("--no-gate", action="store_true",
                   help="report only: apply no gate (exit 0 whatever the result)")
    r.add_argument("--margin", type=_margin, default=None,
                   help="harm a segment may show, in value units per row, or 'auto' (the "
                   "candidate's average gain per row; default: the gate file's margin, "
                   "else auto)")
    r.add_argument("--segments", default="", help="segment columns, comma-separated")
    r.add_argument("--guardrails", metavar="FILE.yaml",
                   help="guardrail metrics: {name: {expression, direction, margin}}, each "
                   "judged by non-inferiority at its margin, Bonferroni over the family; "
                   "the default gate asks every one to hold")
    r.add_argument("--time", dest="time_column", help="timestamp column (per-period view)")
    r.add_argument("--period", default="month", help="day, week, month, quarter or year")
    r.add_argument("--baseline-threshold", type=_threshold, default=None,
                   help="threshold on the baseline's score, or 'best' (tuned on held-out rows)")
    r.add_argument("--candidate-threshold", type=_threshold, default=None,
                   help="threshold on the candidate's score, or 'best'")
    r.add_argument("--tune-fraction", type=float, default=0.3,
                   help="share of rows held out to tune 'best' thresholds (default 0.3)")
    r.add_argument("--features", default=None, help="model feature columns, comma-separated")
    # bounded: memory grows as resamples × segments × statistics
    r.add_argument("--resamples", type=bounded_int(100, 100_000), default=2000,
                   help="bootstrap resamples (100 to 100,000; default 2000)")
    r.add_argument("--confidence", type=float, default=0.95)
    r.add_argument("--seed", type=int, default=0)
    r.add_argument("--min-segment-size", type=int, default=5,
                   help="segments with fewer disagreeing rows (rows where the two models' "
                   "decisions differ) are listed, not tested (default 5)")
    r.add_argument("--fdr", type=float, default=0.05,
                   help="false-discovery rate of the worse-segment search (default 0.05)")
    r.add_argument("--prevalence", type=_floats, default=None,
                   help="positive-class shares for reweighting scenarios, e.g. 0.1,0.3")
    r.add_argument("--cost-change-pct", type=float, default=10.0)
    r.add_argument("--volume-change-pct", type=_floats, default=[-20.0, 20.0])
    r.add_argument("--now", default=None, help="reference time of the freshness rule")
    r.add_argument("--name", default=None,
                   help="series name in the ledger history (default: 'default')")
    r.add_argument("--ledger", help="ledger URL or SQLite path (default: $DATAROI_LEDGER or "
                   ".dataroi/ledger.db)")
    r.add_argument("--no-ledger", action="store_true", help="do not record the assessment")
    r.add_argument("-o", "--output", action="append", default=None, metavar="FILE",
                   help="write the report here, its format from the suffix (.html, .md or "
                   ".json); repeat for several")
    r.add_argument("--report", help="write the HTML report here")
    r.add_argument("--markdown", help="write the Markdown report here")
    r.add_argument("--json-output", dest="json_path", help="write the JSON result here")
    r.add_argument("--json", action="store_true",
                   help="print the JSON result on standard output (instead of the summary)")
    o = isub.add_parser(
        "observe", help="the observed outcome of an A/B split: sample ratio, realized "
        "effect (CUPED on a pre-period), the pre-ship prediction checked",
        description="After the change shipped to part of the traffic: check that the arms' "
        "sizes match the planned split (chi-square; exit 1 on a mismatch at p < 0.001), "
        "estimate the realized value difference per row (Welch t; with --pre, CUPED on "
        "the pre-period) and, with --predicted, say whether the pre-ship interval covers "
        "it.")
    o.add_argument("--data", required=True, help="outcome table (CSV/Parquet): one row per "
                   "unit")
    o.add_argument("--arm", help="column naming each row's arm (an A/B split)")
    o.add_argument("--treatment", help="the arm value of the new model's rows")
    o.add_argument("--shipped", metavar="DATE",
                   help="before/after without a control group: the ship date; the step "
                   "at it, adjusted for trend and seasons, with Newey-West errors (needs "
                   "--time)")
    o.add_argument("--time", help="the column of dates (before/after)")
    o.add_argument("--season", default="dow,month",
                   help="seasonal dummies for before/after: dow, month, hour, week "
                   "(comma-separated; 'none' for none; default dow,month)")
    o.add_argument("--no-trend", action="store_true",
                   help="before/after: no linear trend")
    o.add_argument("--period", dest="ba_period", default="day", choices=["day", "week", "hour"],
                   help="before/after: the series' period (default day)")
    o.add_argument("--value", required=True, help="column of the realized value per row")
    o.add_argument("--pre", help="column of the same unit's value in a pre-period (CUPED)")
    o.add_argument("--denominator", help="a ratio metric: the effect on Σ value / Σ this "
                   "column per arm (value per order, per session), delta-method interval")
    o.add_argument("--expected-share", type=float, default=0.5,
                   help="planned share of treatment rows (default 0.5)")
    o.add_argument("--confidence", type=float, default=0.95)
    o.add_argument("--predicted", metavar="FILE.json",
                   help="the pre-ship assessment (dataroi impact run --json-output FILE)")
    o.add_argument("--ledger", help="record the observation in this ledger (URL or SQLite "
                   "path; created if needed): `dataroi portfolio` shows it beside the "
                   "assessment of the same --name")
    o.add_argument("--name", default="default", help="the assessment series it observes "
                   "(as `dataroi impact run --name`; default 'default')")
    o.add_argument("--json", action="store_true", help="print the result as JSON")
    g = isub.add_parser(
        "register", help="pre-register an impact spec (its hash, with the files it names, "
        "and a timestamp in the ledger) before the assessment",
        description="Store the impact spec's hash (the spec and the content of the value "
        "model, contract and gate files it names) with a timestamp in the ledger, so that "
        "`dataroi impact run TABLE --spec SPEC` can show it was written down before any "
        "assessment of its series existed.")
    g.add_argument("spec", help="impact.yaml")
    g.add_argument("--ledger", help="ledger URL or SQLite path (default: $DATAROI_LEDGER "
                   "or .dataroi/ledger.db)")
    g.add_argument("--json", action="store_true", help="print the registration as JSON")
    h = isub.add_parser("history", help="past assessments, trend and flags")
    h.add_argument("--ledger", help="ledger URL or SQLite path")
    h.add_argument("--name", default=None, help="only this series")
    h.add_argument("--format", choices=["table", "json"], default="table")
    h.add_argument("--json", action="store_true", help="the same as --format json")
    return {"impact": _cmd_impact}


def _cmd_impact(args: argparse.Namespace) -> int:
    if args.impact_command == "run":
        return _cmd_run(args)
    if args.impact_command == "history":
        return _cmd_history(args)
    if args.impact_command == "observe":
        return _cmd_observe(args)
    if args.impact_command == "register":
        return _cmd_register(args)
    raise UsageError("use `dataroi impact run ...`, `dataroi impact observe ...` or "
                     "`dataroi impact history` (see `dataroi impact --help`)")


def _predicted(path: str) -> dict[str, float]:
    """The value difference per row of a pre-ship assessment's JSON."""
    import json
    from pathlib import Path

    p = Path(path)
    if not p.is_file():
        raise UsageError(f"--predicted {path}: no such file")
    try:
        doc = json.loads(p.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError):
        raise UsageError(f"--predicted {path}: not JSON") from None
    vd = ((doc.get("result") or doc).get("value_diff") if isinstance(doc, dict) else None)
    if not isinstance(vd, dict) or not all(
            isinstance(vd.get(k), int | float) for k in ("estimate", "ci_low", "ci_high")):
        raise UsageError(f"--predicted {path}: no value_diff with estimate, ci_low and "
                         "ci_high (write it with dataroi impact run --json-output FILE)")
    return {k: float(vd[k]) for k in ("estimate", "ci_low", "ci_high")}


def _cmd_observe(args: argparse.Namespace) -> int:
    from dataroi.data import read_table
    from dataroi.impact import observe

    predicted = _predicted(args.predicted) if args.predicted else None  # before the data
    if args.shipped is not None:
        if args.arm or args.treatment or args.pre or args.denominator:
            raise UsageError("--shipped (before/after, no control) does not take --arm, "
                             "--treatment, --pre or --denominator; give an A/B split or a "
                             "ship date")
        if not args.time:
            raise UsageError("--shipped needs --time (the column of dates)")
    elif not (args.arm and args.treatment):
        raise UsageError("impact observe needs --arm and --treatment (an A/B split) or "
                         "--shipped DATE --time COLUMN (before/after without a control)")
    frame = read_table(args.data)
    if args.shipped is not None:
        from dataroi.impact import before_after

        seasons = () if args.season.strip() == "none" else tuple(
            x.strip() for x in args.season.split(",") if x.strip())
        obs: Any = before_after(frame, time=args.time, value=args.value,
                                shipped=args.shipped, seasons=seasons,
                                trend=not args.no_trend, period=args.ba_period,
                                confidence=args.confidence, predicted=predicted)
    else:
        obs = observe(frame, arm=args.arm, treatment=args.treatment, value=args.value,
                      pre=args.pre, expected_share=args.expected_share,
                      confidence=args.confidence, predicted=predicted,
                      denominator=args.denominator)
    if args.ledger:
        from dataroi.cli._output import log_console
        from dataroi.impact import OBSERVATION_KIND
        from dataroi.ledger import open_ledger

        with open_ledger(args.ledger) as ledger:
            doc = ledger.record_document(OBSERVATION_KIND, {"name": args.name,
                                                            **obs.to_dict()})
            where = ledger.url
        log_console().print(f"recorded in the ledger {where} (document {doc}, kind "
                            f"'{OBSERVATION_KIND}', series '{args.name}')")
    if args.json:
        from dataroi.cli._output import print_json

        print_json(obs.to_dict())
    else:
        for line in obs.lines():
            print(line)
    return 0 if getattr(obs, "srm_ok", True) else 1


def _outputs(args: argparse.Namespace) -> dict[str, str]:
    """The report files asked for, by format (``html``, ``md``, ``json``), each checked:
    a known suffix that agrees with its option, an existing folder, not a folder itself,
    one file per format and no file named twice.

    Raises:
        UsageError: any of these does not hold (nothing has been read or written yet).
    """
    from dataroi.report import FORMATS, check_output_path, format_for_path

    named: list[tuple[str, str, str]] = []  # (option, path, format)
    known = {s for suffixes in FORMATS.values() for s in suffixes}
    for path in args.output or ():
        check_output_path(path, option="-o")
        suffix = Path(path).suffix.lower()
        if suffix and suffix not in known:
            raise UsageError(f"-o {path}: cannot tell the report format from '{suffix}'; "
                             "end the file name in .html, .md or .json")
        named.append(("-o", path, format_for_path(path)))
    for option, path, fmt in (("--report", args.report, "html"),
                              ("--markdown", args.markdown, "md"),
                              ("--json-output", args.json_path, "json")):
        if path is None:
            continue
        check_output_path(path, option=option)
        suffix = Path(path).suffix.lower()
        if suffix not in FORMATS[fmt]:
            ends = (f"{path} ends in {suffix}" if suffix in known
                    else f"end {path} in {' or '.join(FORMATS[fmt])}")
            raise UsageError(f"{option} writes {fmt}: {ends}"
                             + (f"; use -o {path} for that format" if suffix in known
                                else ""))
        named.append((option, path, fmt))
    out: dict[str, str] = {}
    seen: dict[str, str] = {}
    for option, path, fmt in named:
        key = str(Path(path).resolve())
        if key in seen:
            raise UsageError(f"{path} is named twice ({seen[key]} and {option}); give each "
                             "report its own file")
        seen[key] = option
        if fmt in out:
            raise UsageError(f"two {fmt} reports asked for ({out[fmt]} and {path}); give one "
                             "file per format")
        out[fmt] = path
    return out


def _check_ledger_option(args: argparse.Namespace) -> None:
    """Refuse an empty ``--ledger``, a folder, or a ledger file in a missing folder (a typo
    must not create a new ledger somewhere); ``--no-ledger`` wins over ``--ledger``."""
    if args.ledger is None or args.no_ledger:
        return
    text = args.ledger
    if not text.strip():
        raise UsageError("--ledger is empty; give a ledger path or URL, or leave it out for "
                         ".dataroi/ledger.db")
    path = text.removeprefix("sqlite:///") if text.startswith("sqlite:///") else (
        None if "://" in text else text)
    if path:
        if Path(path).expanduser().is_dir():
            raise UsageError(f"ledger {path} is a folder; name the ledger file, e.g. "
                             f"--ledger {Path(path, 'ledger.db').as_posix()}")
        folder = Path(path).expanduser().absolute().parent
        if not folder.is_dir():
            raise UsageError(f"ledger {path}: the folder {folder} does not exist; create it "
                             "first (a typo must not make a new ledger)")


def _resolve_margin(option: float | str | None, gate: Any) -> float | str:
    """``--margin``, else the gate file's ``margin``, else ``auto``; both must agree.

    Example:
        >>> _resolve_margin(None, None), _resolve_margin(2.0, None)
        ('auto', 2.0)
    """
    from_gate = None if gate is None else gate.margin
    if option is not None and from_gate is not None and option != from_gate:
        raise UsageError(f"--margin {option} and the gate file's margin {from_gate:g} differ; "
                         "give the margin in one place")
    if option is not None:
        return option
    return from_gate if from_gate is not None else "auto"


def _cmd_run(args: argparse.Namespace) -> int:
    from dataroi.data import read_table
    from dataroi.impact import (
        ImpactAssessment,
        default_gate,
        load_contract,
        load_gate,
        load_value_model,
    )

    # refuse unwritable outputs and a ledger in a missing folder before any work
    outputs = _outputs(args)
    _check_ledger_option(args)
    spec = _apply_spec(args)  # the impact spec's fields, or the options' defaults
    # read every input first: a bad file stops before anything is computed or written
    value_model = load_value_model(args.value)
    contract = load_contract(args.contract) if args.contract else None
    if args.gate and args.no_gate:
        raise UsageError("--gate and --no-gate contradict each other; give one")
    gate = load_gate(args.gate) if args.gate else (None if args.no_gate else default_gate())
    margin = _resolve_margin(args.margin, gate)
    from dataroi.impact import load_guardrails, parse_guardrails

    guardrails = (load_guardrails(args.guardrails) if args.guardrails
                  else parse_guardrails(spec.guardrails) if spec is not None else ())
    table = read_table(args.table)
    segments = [s.strip() for s in args.segments.split(",") if s.strip()]
    features = [s.strip() for s in args.features.split(",")] if args.features else None
    assessment = ImpactAssessment(
        value_model, contract=contract, id_column=args.id_column, target=args.target,
        segments=segments, time_column=args.time_column, period=args.period,
        n_resamples=args.resamples, confidence=args.confidence, seed=args.seed,
        min_segment_size=args.min_segment_size, fdr=args.fdr, margin=margin,
        prevalence=args.prevalence,
        cost_change_pct=args.cost_change_pct, volume_change_pct=args.volume_change_pct,
        tune_fraction=args.tune_fraction, features=features, guardrails=guardrails,
        task=args.task)
    result = assessment.run(table, baseline=args.baseline, candidate=args.candidate,
                            baseline_threshold=args.baseline_threshold,
                            candidate_threshold=args.candidate_threshold, now=args.now)
    gate_result = gate.evaluate(result) if gate is not None else None
    check = None
    ledger = None
    if not args.no_ledger:
        from dataroi.impact import default_ledger_location, outlier_check
        from dataroi.ledger import open_ledger

        location = default_ledger_location(args.ledger)
        ledger = open_ledger(location)
    try:
        registration = None
        if ledger is not None:
            check = outlier_check(ledger, args.name, result.value_diff_per_period.estimate)
            if spec is not None:
                from dataroi.impact import registration_of

                registration = registration_of(ledger, spec)
        block = _spec_block(spec, result, registration) if spec is not None else None
        if outputs:
            from dataroi.impact import write_report

            write_report(result, html=outputs.get("html"), markdown=outputs.get("md"),
                         json=outputs.get("json"), gate=gate_result, history_check=check,
                         spec=block)
        if ledger is not None:
            from dataroi.impact import record_assessment

            doc_id = record_assessment(ledger, result, name=args.name, gate=gate_result,
                                       check=check, spec=block)
    finally:
        if ledger is not None:
            ledger.close()
    if args.json:
        from dataroi.impact import to_json

        sys.stdout.write(to_json(result, gate=gate_result, history_check=check,
                                 spec=block) + "\n")
    else:
        _print_result(result, gate_result, check)
        if block is not None:
            for line in block["lines"]:
                print(line)
    if not args.no_ledger:
        print(f"recorded as assessment {doc_id} ({args.name!r}) in {location}",
              file=sys.stderr if args.json else sys.stdout)
    if gate_result is not None:
        return 0 if gate_result.passed else 1
    return 0


def _apply_spec(args: argparse.Namespace) -> Any:
    """Fill ``args`` from ``--spec`` (refusing an option given in both places), or fill
    the options' defaults; return the :class:`~dataroi.impact.ImpactSpec` or None.

    Raises:
        UsageError: an option given both in the spec and on the command line, or a
            required option missing without a spec.
    """
    if args.spec is None:
        missing = [f"--{k}" for k in ("baseline", "candidate", "value")
                   if getattr(args, k) is None]
        if missing:
            raise UsageError(f"impact run needs {', '.join(missing)} (or --spec impact.yaml "
                             "that names them)")
        args.target = args.target or "y"
        args.task = args.task or "classification"
        args.id_column = args.id_column or "id"
        args.name = args.name or "default"
        return None
    from dataroi.impact import load_impact_spec

    spec = load_impact_spec(args.spec)
    given = {"--baseline": args.baseline, "--candidate": args.candidate,
             "--value": args.value, "--target": args.target, "--id": args.id_column,
             "--contract": args.contract, "--segments": args.segments or None,
             "--margin": args.margin, "--gate": args.gate, "--name": args.name,
             "--guardrails": args.guardrails, "--task": args.task}
    both = [k for k, v in given.items() if v is not None]
    if both:
        raise UsageError(f"{', '.join(both)} given on the command line and by --spec "
                         f"{args.spec}: the spec holds them (edit it, and register it again)")
    args.baseline, args.candidate = spec.baseline, spec.candidate
    args.value, args.contract = spec.value, spec.contract
    args.target, args.id_column, args.name = spec.target, spec.id, spec.name
    args.task = spec.task
    args.segments = ",".join(spec.segments)
    args.margin = spec.margin if spec.margin != "auto" else None
    if isinstance(spec.gate, str) and spec.gate in ("default", "none"):
        args.no_gate = args.no_gate or spec.gate == "none"
    else:
        args.gate = spec.gate
    return spec


def _spec_block(spec: Any, result: Any, registration: dict[str, Any] | None
                ) -> dict[str, Any]:
    """What the assessment says about its impact spec: the registration, the expected
    effect against the estimate, the rollback."""
    iv = result.value_diff
    pp = result.value_diff_per_period
    lines = [f"hypothesis: {spec.hypothesis}"]
    reg = registration or {"status": "not_checked", "message": "the registration was not "
                           "checked (--no-ledger)"}
    lines.append(f"pre-registration: {reg['message']}")
    inside = None
    if spec.expected is not None:
        est, lo, hi = spec.expected
        inside = bool(lo <= iv.estimate <= hi)
        lines.append(f"expected {est:+,.4g} [{lo:+,.4g}, {hi:+,.4g}] per row; estimated "
                     f"{iv.estimate:+,.4g} [{iv.ci_low:+,.4g}, {iv.ci_high:+,.4g}]: "
                     + ("inside the expected interval" if inside
                        else "OUTSIDE the expected interval"))
    rollback = None
    if spec.rollback_cost_usd is not None:
        low = pp.ci_low
        if low < 0:
            periods = spec.rollback_cost_usd / -low
            rollback = {"cost_usd": spec.rollback_cost_usd, "restores_per_period": -low,
                        "payback_periods": periods}
            lines.append(f"rollback: costs ${spec.rollback_cost_usd:,.0f}; if the change is "
                         f"as bad as its lower bound ({low:+,.4g} per period), rolling back "
                         f"restores {amount(-low)} per period and pays for itself in "
                         f"{periods:,.1f} periods")
        else:
            rollback = {"cost_usd": spec.rollback_cost_usd, "restores_per_period": 0.0,
                        "payback_periods": None}
            lines.append(f"rollback: costs ${spec.rollback_cost_usd:,.0f}; the value "
                         "difference's lower bound is above 0, so a rollback would restore "
                         "nothing the change is shown to cost")
    return {"name": spec.name, "digest": spec.digest, "hypothesis": spec.hypothesis,
            "expected": spec.to_dict()["expected"], "inside_expected": inside,
            "registration": reg, "rollback": rollback, "lines": lines}


def _cmd_register(args: argparse.Namespace) -> int:
    import json

    from dataroi.impact import (
        SPEC_KIND,
        default_ledger_location,
        load_impact_spec,
        registration_of,
    )
    from dataroi.ledger import open_ledger

    spec = load_impact_spec(args.spec)  # a bad spec stops before the ledger is opened
    location = default_ledger_location(args.ledger)
    with open_ledger(location) as ledger:
        if not any(d["content_hash"] == spec.digest
                   for d in ledger.list_documents(SPEC_KIND)):
            ledger.record_document(SPEC_KIND, spec.to_dict(), content_hash=spec.digest)
        reg = registration_of(ledger, spec)
    if args.json:
        print(json.dumps(reg, indent=1))
    else:
        print(reg["message"])
    return 0


def _print_result(result: Any, gate_result: Any, check: dict[str, Any] | None) -> None:
    s = result.settings
    cur = s["currency"]
    iv = result.value_diff
    pp = result.value_diff_per_period
    pct = round(s["confidence"] * 100)
    out = sys.stdout
    print(f"verdict: {result.verdict.upper()}", file=out)
    print(f"value difference (candidate - baseline): {amount(iv.estimate)} {cur}/row "
          f"[{pct} % CI {amount(iv.ci_low)} to {amount(iv.ci_high)}]; per {s['period_name']}: "
          f"{amount(pp.estimate)} [{amount(pp.ci_low)} to {amount(pp.ci_high)}] {cur}", file=out)
    print(f"P(candidate worse) = {result.p_candidate_worse_text} (share of "
          f"{s['n_resamples']:,} bootstrap resamples); "
          f"{s['var_level']:.0%} VaR per {s['period_name']} = {amount(result.var_per_period)} "
          f"{cur}, CVaR = {amount(result.cvar_per_period)} {cur}", file=out)
    a = result.accuracy_diff
    if s.get("task") == "regression":
        print(f"absolute error: baseline MAE {result.baseline.mae:,.4g}, candidate MAE "
              f"{result.candidate.mae:,.4g} (RMSE {result.baseline.rmse:,.4g} -> "
              f"{result.candidate.rmse:,.4g}); reduction per row {a.estimate:+,.4g} "
              f"[{a.ci_low:+,.4g}, {a.ci_high:+,.4g}]", file=out)
    else:
        print(f"accuracy: baseline {result.baseline.accuracy:.4f}, candidate "
              f"{result.candidate.accuracy:.4f}, difference {a.estimate:+.4f} "
              f"[{a.ci_low:+.4f}, {a.ci_high:+.4f}]", file=out)
    if result.segments:
        _print_segments(result, out)
    for g in result.guardrails:
        print(g.sentence(), file=out)
    for note in result.notes:
        print(f"note: {note}", file=out)
    if check is not None and check.get("message"):
        print(f"history: {check['message']}", file=out)
    if gate_result is not None:
        print(f"gate: {'PASSED' if gate_result.passed else 'FAILED'}", file=out)
        for c in gate_result.conditions:
            print(f"  {c.line()}", file=out)


def _print_segments(result: Any, out: Any) -> None:
    """Segments: how many were tested, then the harm verdict of each (harm first)."""
    s = result.settings
    segs = result.segments
    untested = [x for x in segs if x.too_small]
    worse = sum(x.significantly_worse for x in segs)
    print(f"segments: {result.n_tested} tested"
          + (f", {len(untested)} listed but not tested (fewer than {s['min_segment_size']} "
             "disagreeing rows)" if untested else "")
          + f"; {worse} significantly worse (Benjamini-Hochberg FDR {s['fdr']})", file=out)
    auto = " (auto: the candidate's average gain per row)" if s.get("margin") == "auto" \
        else ""
    print(f"harm beyond a margin of {amount(result.margin)} {s['currency']}/row{auto}, "
          f"{round(s['confidence'] * 100)} % intervals:", file=out)
    fine = [x.name for x in segs if x.harm == "no harm beyond the margin"]
    n_total = int(result.provenance["n_rows_evaluated"])
    for harm in ("harm found", "not enough data"):
        for x in segs:
            if x.harm == harm:
                line = x.harm_line(margin=result.margin, currency=s["currency"],
                                   n_total=n_total)
                print(f"  {line}", file=out)
    if fine:
        print(f"  no harm beyond the margin in {len(fine)} segments: {', '.join(fine)}",
              file=out)
    if untested:
        print(f"  not judged (too few disagreeing rows): "
              f"{', '.join(f'{x.name} ({x.n_disagree})' for x in untested)}", file=out)



def _cmd_history(args: argparse.Namespace) -> int:
    import json

    from rich.table import Table

    from dataroi.impact import (
        assessment_history,
        default_ledger_location,
        prediction_record,
        trend,
    )
    from dataroi.ledger import open_ledger

    location = default_ledger_location(args.ledger)
    with open_ledger(location, create=False) as ledger:
        rows = assessment_history(ledger, name=args.name)
        record = prediction_record(ledger, name=args.name)
    if args.format == "json" or args.json:
        print(json.dumps({"assessments": rows, "trend": trend(rows), "predictions": record},
                         default=str, indent=1))
        return 0
    console = result_console()
    if not rows:
        console.print(f"no impact assessments in {location}")
        return 0
    table = Table(title=f"impact assessments in {location}")
    for col in ("id", "when (UTC)", "name", "baseline → candidate", "Δ value/row [CI]",
                "Δ per period", "verdict", "gate", "flag"):
        table.add_column(col)
    for r in rows:
        ci = f"{amount(r['value_diff_per_row'])} [{amount(r['value_diff_ci_low'])}, " \
             f"{amount(r['value_diff_ci_high'])}]"
        gate = "-" if r["gate_passed"] is None else ("pass" if r["gate_passed"] else "FAIL")
        table.add_row(str(r["document_id"]), str(r["created_at"])[:19], str(r["name"]),
                      f"{r['baseline_id']} → {r['candidate_id']}", ci,
                      amount(r["value_diff_per_period"]), str(r["verdict"]), gate,
                      "FAR OUTSIDE" if r["flagged"] else "")
    console.print(table)
    tr = trend(rows)
    if tr["n_deployed"]:
        slope = tr["slope_per_deployment"]
        console.print(f"deployed changes: {tr['n_deployed']}; candidate value per row "
                      f"{amount(tr['first'])} → {amount(tr['last'])}"
                      + (f" (trend {'+' if slope >= 0 else ''}{amount(slope)} per deployment)"
                         if slope is not None else ""))
    if record["n"]:
        lo, hi = record["rate_ci"]
        console.print(f"pre-ship predictions checked against observed outcomes: "
                      f"{record['n']}; intervals covered {record['covered']} "
                      f"({record['rate']:.0%}, 90 % CI {lo:.0%}-{hi:.0%}); mean error "
                      f"{record['mean_error']:+.4g} per row (observed - predicted), mean "
                      f"absolute {record['mean_abs_error']:.4g}")
    else:
        console.print("no pre-ship prediction checked yet (`dataroi impact observe "
                      "--predicted PRE.json --ledger ...` records one)")
    return 0
