"""The ``dataroi`` command line: thin commands over the public API.

``main(argv)`` returns the exit code: 0 ok, 1 run failure, 2 usage or spec error,
130 interrupted. Errors print one line (the traceback only with ``--debug``).

Example:
    >>> main(["--version"])  # doctest: +ELLIPSIS
    dataroi ...
    0
"""

from __future__ import annotations

import argparse
import sys
import traceback
from collections.abc import Callable, Sequence
from importlib import import_module
from pathlib import Path
from typing import Any

from dataroi import __version__
from dataroi._money import value_text
from dataroi.cli._options import add_check_data, add_json, add_ledger
from dataroi.exceptions import DataroiError, UsageError

__all__ = ["main"]

#: Modules that add commands: each has ``add_commands(subparsers) -> {name: handler}``
#: where a handler takes the parsed ``argparse.Namespace`` and returns an exit code.
_EXTENSIONS: list[str] = ["dataroi.cli._decide", "dataroi.cli._impact", "dataroi.cli._report",
                         "dataroi.cli._annotation", "dataroi.cli._stress", "dataroi.cli._share",
                         "dataroi.cli._followup", "dataroi.cli._portfolio"]


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # usage errors exit 2 through our path
        raise UsageError(f"{message} (see `{self.prog} --help`)")

    def parse_args(self, args: Any = None, namespace: Any = None) -> Any:  # type: ignore[override]
        """As argparse's, but an unknown option points at the help of the command it was
        given to (`dataroi init --help`), not at the top level's."""
        ns, extras = self.parse_known_args(args, namespace)
        if extras:
            cmd = getattr(ns, "command", None)
            where = f"{self.prog} {cmd}" if cmd else self.prog
            raise UsageError(f"unrecognized arguments: {' '.join(extras)} "
                             f"(see `{where} --help`)")
        return ns


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="dataroi", description="Reproducible learning-curve studies: is the "
                "next dollar better spent on labels or on the model?")
    p.add_argument("--version", action="store_true", help="print the version and exit")
    p.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    sub = p.add_subparsers(dest="command", parser_class=_Parser)

    s = sub.add_parser("init", help="write a commented study spec: a template, or one "
                       "fitted to a table with --from")
    s.add_argument("path", nargs="?", default=None,
                   help="the spec file to write (default study.yaml)")
    s.add_argument("-o", "--output", metavar="PATH",
                   help="the spec file to write (the same as PATH, as report and export "
                   "take it)")
    s.add_argument("--from", dest="table", metavar="TABLE",
                   help="a CSV, TSV, Parquet or Feather table: write a spec fitted to it "
                   "(target, task, metrics for its class balance, sizes for its rows)")
    s.add_argument("--target", metavar="COLUMN",
                   help="the column to predict (default: one named target, label, class or y)")
    s.add_argument("--force", action="store_true", help="overwrite an existing file")

    s = sub.add_parser("run", help="run every trial of a study not finished yet")
    s.add_argument("spec")
    add_ledger(s)
    s.add_argument("--jobs", "-j", type=int, default=None,
                   help="worker processes (default: all cores; 1 = in this process; at most "
                   "64 or 4 per core, whichever is more; never more than the trials to run)")
    s.add_argument("--executor", default="auto",
                   help="auto, serial, process, dask-local:N (start a local Dask cluster "
                   "of N workers) or dask://HOST:PORT (a running Dask scheduler)")
    s.add_argument("--heartbeat-timeout", type=float, default=120.0,
                   help="seconds after which trials claimed by a silent coordinator on a "
                   "shared PostgreSQL ledger are taken back (default 120)")
    s.add_argument("--retry-failed", action="store_true", help="run failed trials again")
    s.add_argument("--rerun", action="append", default=[], metavar="MODEL",
                   help="run this model's trials again although the ledger has them "
                   "(repeatable, or comma-separated); its earlier trials stay in the "
                   "ledger, superseded")
    s.add_argument("--threads", type=int, default=None,
                   help="BLAS/OpenMP threads per trial (default: cores // jobs)")
    s.add_argument("--check-data", action="store_true",
                   help="hash the workers' copy of the data in full before reusing it "
                   "(default: a quick check); a copy that differs is rebuilt")
    s.add_argument("--no-progress", action="store_true", help="no progress bar")
    s.add_argument("--until-decided", action="store_true",
                   help="run adaptively (as schedule.adaptive does): a coarse grid, then "
                   "only the trials that can change the recommendation, until it is stable "
                   "(P(same as the full grid) >= 0.95, or the same recommendation at its "
                   "last looks) or the CPU budget is spent")
    s.add_argument("--full-grid", action="store_true",
                   help="run every trial of the grid and the stress arms although the "
                   "spec has schedule.adaptive (what an adaptive run left out)")
    add_json(s)

    s = sub.add_parser("status", help="trial counts by state and model")
    s.add_argument("spec")
    add_ledger(s)
    add_check_data(s)
    add_json(s)

    s = sub.add_parser(
        "check", help="check the data against the spec's contract: (exit 1 on a "
        "violation) and dataroi's data checks, and say what moved since the last run's data",
        description="Load the study's data, check it against the spec's contract: section "
        "(column types and ranges, missing shares, uniqueness, class balance, row counts, "
        "freshness; every violation listed at once), run the data checks a run makes before "
        "its first trial (leaks, empty columns, rare classes at the smallest size, models "
        "that cannot take a column) and, when the data changed since the "
        "last run, list what moved column by column. Writes nothing; runs no trial. "
        "Exit 0: the data meet the contract (warnings printed); 1: a violation; 2: the spec "
        "or data cannot be read, or a hard problem of the data checks.")
    s.add_argument("spec")
    add_ledger(s)
    add_json(s)

    s = sub.add_parser("trials", help="every finished trial as a tidy table")
    s.add_argument("spec")
    add_ledger(s)
    add_check_data(s)
    s.add_argument("--format", choices=["csv", "json"], default="csv")
    s.add_argument("--json", action="store_true", help="the same as --format json")
    s.add_argument("-o", "--output", help="file to write (default, or -: standard output)")

    s = sub.add_parser("reproduce", help="re-run finished trials and compare exactly")
    s.add_argument("spec")
    add_ledger(s)
    s.add_argument("--sample", type=int, default=5, help="how many trials to re-run")
    s.add_argument("--seed", type=int, default=0, help="seed of the choice of trials")
    add_json(s)

    s = sub.add_parser("demo", help="run the built-in study on scikit-learn's digits")
    s.add_argument("--dir", default="dataroi-demo", help="folder for the spec and ledger")
    s.add_argument("--jobs", "-j", type=int, default=None)
    s.add_argument("--no-progress", action="store_true")

    s = sub.add_parser("ledger", help="ledger maintenance")
    lsub = s.add_subparsers(dest="ledger_command", parser_class=_Parser)
    up = lsub.add_parser("upgrade", help="migrate a ledger to this version's schema")
    up.add_argument("url")
    for module_name in _EXTENSIONS:
        _COMMANDS.update(import_module(module_name).add_commands(sub))
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code.

    SIGTERM ends any command as Ctrl-C does (exit 130, "interrupted", transactions rolled
    back) from the first line on, not only while the coordinator's loop runs: before,
    a SIGTERM in the first seconds of ``dataroi run`` killed the process (exit -15). A
    second Ctrl-C or SIGTERM is ignored: the first one's clean-up is under way.
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    restore_signals = _interrupt_once()
    try:
        args = _parser().parse_args(argv)
        if args.version:
            print(f"dataroi {__version__}", flush=True)
            return 0
        if not args.command:
            _parser().print_help()
            return 2
        code = int(_COMMANDS[args.command](args) or 0)
        sys.stdout.flush()  # a closed pipe fails here, not in Python's flush at exit
        return code
    except DataroiError as exc:
        if debug:
            traceback.print_exc()
        print(f"error: {exc}" if exc.exit_code != 130 else str(exc), file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except SystemExit as exc:  # --help
        return int(exc.code or 0)
    except BrokenPipeError as exc:
        if not _stdout_gone():
            return _internal_error(exc, debug)
        _quiet_stdout()
        return 141  # as a shell reports a command its reader left (`| head`): no message
    except Exception as exc:  # a bug of ours: one line, the traceback with --debug
        return _internal_error(exc, debug)
    finally:
        restore_signals()


def _internal_error(exc: BaseException, debug: bool) -> int:
    """A bug of ours: one line, the traceback with ``--debug``; exit 1."""
    if debug:
        traceback.print_exception(exc)
    first = (str(exc).strip().splitlines() or [""])[0][:300]
    print(f"internal error: {type(exc).__name__}: {first}; please report it "
          "(`--debug` shows the traceback)", file=sys.stderr)
    return 1


def _stdout_gone() -> bool:
    """Whether standard output is a pipe whose reader has closed it (``| head`` read
    what it wanted); a broken pipe elsewhere (a worker's) is a bug, not this."""
    import select

    try:
        poller = select.poll()
        poller.register(sys.stdout.fileno(), select.POLLOUT)
        return any(event & select.POLLERR for _, event in poller.poll(0))
    except (AttributeError, OSError, ValueError):  # no poll (Windows), no real stdout
        return False


def _quiet_stdout() -> None:
    """Point standard output at the null device, so that Python's flush at exit does not
    fail again on the closed pipe (the Python docs' recipe for SIGPIPE)."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def _interrupt_once() -> Callable[[], None]:
    """Ctrl-C and SIGTERM raise KeyboardInterrupt once for the whole command, and a
    second one is ignored (:func:`dataroi._interrupts.interrupt_once`): the command is on
    its way out, and a run is putting its trials back; return a function that puts the
    previous handlers back, so that a host calling :func:`main` (a test, a notebook) keeps
    its own."""
    import contextlib

    from dataroi._interrupts import interrupt_once

    stack = contextlib.ExitStack()
    stack.enter_context(interrupt_once())
    return stack.close


def escape(text: str) -> str:
    """User text (model and arm names, messages) printed literally, not as rich markup."""
    from rich.markup import escape as rich_escape

    return rich_escape(text)


def _console() -> Any:
    """Results on standard output (with Rich markup: escape user text)."""
    from dataroi.cli._output import result_console

    return result_console(markup=True)


def _log() -> Any:
    """Progress, notes and logs on standard error."""
    from dataroi.cli._output import log_console

    return log_console()


def _cmd_init(args: argparse.Namespace) -> int:
    from dataroi._files import write_atomic
    from dataroi.spec import TEMPLATE

    if args.path is not None and args.output is not None and args.path != args.output:
        raise UsageError(f"two spec files named ({args.path} and -o {args.output}); give one")
    path = Path(args.output or args.path or "study.yaml")
    if path.is_dir():
        raise UsageError(f"{path} is a folder; name the spec file, e.g. {path / 'study.yaml'}")
    if path.exists() and not args.force:
        raise UsageError(f"{path} exists; use --force to overwrite it")
    from dataroi.report import check_output_path

    check_output_path(path, option="init")  # a typo's folder is refused, never created
    if args.table is None:
        if args.target is not None:
            raise UsageError("--target names a column of the table given with --from TABLE")
        write_atomic(path, TEMPLATE)
        print(f"wrote {path}; edit it, then: dataroi run {path}")
        return 0
    from dataroi.data import draft_spec, is_builtin_source, read_table, target_column

    frame = read_table(args.table)  # unreadable: one line, exit 2
    builtin = is_builtin_source(args.table)
    target = target_column(frame, args.target)
    name, renamed = _free_study_name(_study_name(args.table), target, path)
    draft = draft_spec(frame, source=args.table if builtin else _relative(args.table, path),
                       target=target, name=name)
    write_atomic(path, draft.text)
    print(f"wrote {path} for {args.table} ({len(frame):,} rows): target {draft.target} "
          f"({draft.task}), metrics {', '.join(draft.metrics)}; sizes "
          f"{draft.sizes[0]:,} to {draft.sizes[-1]:,}")
    print(f"why {draft.metrics[0]}: {draft.reason}")
    if renamed is not None:
        print(f"note: the study is named '{name}': the ledger it would use holds a study "
              f"'{renamed[0]}' that predicts {renamed[1]}, and a study of the same name would "
              "be a new version of it (change name: in the spec to choose another)")
    for note in draft.notes:
        print(f"note: {note}")
    print(f"check it, then: dataroi run {path}")
    return 0


def _free_study_name(name: str, target: str, spec_path: Path
                     ) -> tuple[str, tuple[str, str] | None]:
    """``name``, or, when the SQLite ledger a spec at ``spec_path`` would use holds a
    study of that name predicting another column, ``name-target`` (``-2``, ``-3``... if
    that is taken too): another target of the same table is a study of its own, not a
    new version of the first. Returns the name and, when renamed, (the name taken, the
    target it predicts). The ledger is only read (a PostgreSQL ledger is not asked, and
    one that cannot be read renames nothing: ``init`` writes its spec either way)."""
    import os
    import re

    import yaml

    from dataroi.ledger import open_ledger
    from dataroi.study import ledger_location

    url = ledger_location(os.environ.get("DATAROI_LEDGER"), spec_path.resolve().parent)
    if "://" in url or not Path(url).is_file():
        return name, None
    try:
        with open_ledger(url, create=False) as ledger:
            def predicts(study: str) -> str | None:
                """The column the study's latest spec predicts (None: no such study)."""
                study_id = ledger.get_study_id(study)
                specs = ledger.get_study_specs(study_id) if study_id is not None else []
                raw = yaml.safe_load(specs[-1]["spec_text"]) if specs else None
                data = raw.get("data") if isinstance(raw, dict) else None
                found = data.get("target") if isinstance(data, dict) else None
                return None if found is None else str(found)

            taken = predicts(name)
            if taken in (None, target):
                return name, None
            base = f"{name}-{re.sub(r'[^A-Za-z0-9_.-]+', '-', target).strip('-.')}"[:60]
            new = base
            for k in range(2, 100):
                if predicts(new) in (None, target):
                    break
                new = f"{base}-{k}"
            return new, (name, taken)
    except (DataroiError, yaml.YAMLError, OSError):
        return name, None


def _relative(table: str, spec: Path) -> str:
    """The table's path as the spec names it: relative to the spec's folder."""
    import os

    try:
        return Path(os.path.relpath(Path(table).resolve(), spec.resolve().parent)).as_posix()
    except ValueError:  # another drive (Windows)
        return Path(table).resolve().as_posix()


def _study_name(table: str) -> str:
    """A study name from the table's file name (letters, digits, '_', '-', '.')."""
    import re

    stem = Path(table.split(":")[-1]).name.split(".")[0]
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", stem).strip("-.")[:64] or "my-study"


class NoteLog:
    """Prints each note once, as ``note: ...`` on ``log``: a run's notes before its first
    trial (``Study.run(on_note=...)``), an adaptive run's once over all its looks.

    Example:
        >>> import io
        >>> from rich.console import Console
        >>> notes = NoteLog(Console(file=io.StringIO()))
        >>> for n in ("dropped 3 rows", "dropped 3 rows"):
        ...     notes(n)
        >>> notes.log.file.getvalue()
        'note: dropped 3 rows\\n'
    """

    def __init__(self, log: Any) -> None:
        self.log, self.seen = log, set()

    def __call__(self, note: str) -> None:
        if note not in self.seen:
            self.seen.add(note)
            self.log.print(f"note: {escape(note)}")


def _print_run(study: Any, summary: Any, console: Any, log: Any,
               notes: NoteLog | None = None) -> None:
    from rich.table import Table

    notes = notes or NoteLog(log)
    for note in summary.notes:
        notes(note)
    console.print(
        f"[bold]{study.spec.name}[/]: {summary.total} trials in plan; "
        f"{summary.already_done} already finished (reused), {summary.completed} completed "
        f"and {summary.failed} failed in this run ({summary.wall_seconds:.1f}s); "
        f"ledger {study.ledger_url}")
    if summary.error_groups:
        table = Table(title="failed trials, grouped by error")
        table.add_column("count", justify="right")
        table.add_column("error")
        for (etype, msg), n in sorted(summary.error_groups.items(), key=lambda kv: -kv[1]):
            table.add_row(str(n), escape(f"{etype}: {msg}"))
        console.print(table)


def _print_curve_table(trials: Any, metric: str, console: Any,
                       boot: Any = None) -> None:
    from rich.table import Table

    from dataroi.trial import summary_frame

    frame = summary_frame(trials, metric, boot)
    if frame.empty:
        return
    table = Table(title=f"{metric} on the held-out test set (mean; 95 % CI: the repeats "
                        "and the test set's sampling noise)")
    table.add_column("model")
    table.add_column("n_train", justify="right")
    table.add_column(metric, justify="right")
    table.add_column("95 % CI", justify="right")
    table.add_column("repeats", justify="right")
    table.add_column("fit s", justify="right")
    for row in frame.itertuples():
        ci = "" if row.ci_low != row.ci_low else f"{row.ci_low:.3f}–{row.ci_high:.3f}"
        table.add_row(escape(str(row.model)), str(row.n_train), f"{row.mean:.3f}", ci,
                      f"{row.repeats}" + (f" ({row.failed} failed)" if row.failed else ""),
                      f"{row.fit_seconds:.2f}")
    console.print(table)


def _cmd_run(args: argparse.Namespace) -> int:
    import dataroi
    from dataroi.executors import BackgroundExecutor, check_executor, check_jobs

    check_jobs(args.jobs)  # 1 to max_jobs(): a typo never forks a thousand processes
    check_jobs(args.threads, name="--threads")
    check_executor(args.executor)  # before anything starts or is written
    log = _log()
    notes = NoteLog(log)

    # a slow-starting executor starts while the spec, the models and the data load
    executor: Any = BackgroundExecutor.start_if_slow(args.executor, args.jobs) \
        or args.executor
    from dataroi.cli._output import data_warnings_to

    try:
        with data_warnings_to(log):  # the data checks, on stderr before the first trial
            # the models are checked with the data, in one message (Study.prepare)
            study = dataroi.load_study(args.spec, ledger=args.ledger, build_models=False)
            if args.until_decided and args.full_grid:
                raise UsageError("--until-decided and --full-grid contradict each other: "
                                 "give one")
            if args.until_decided or (study.spec.schedule.adaptive is not None
                                      and not args.full_grid):
                return _run_until_decided(study, args, executor, log, notes)
            summary = study.run(jobs=args.jobs, executor=executor,
                                progress=not args.no_progress,
                                retry_failed=args.retry_failed, threads=args.threads,
                                heartbeat_timeout=args.heartbeat_timeout, console=log,
                                rerun=args.rerun, check_data=args.check_data,
                                on_note=notes)
    finally:
        if not isinstance(executor, str):
            executor.discard()  # closes it only if the run never took it
    if args.json:
        from dataroi.cli._output import print_json

        print_json(summary.to_dict())
    else:
        _print_run(study, summary, _console(), log, notes)
    return 1 if summary.failed else 0


def _run_until_decided(study: Any, args: argparse.Namespace, executor: Any, log: Any,
                       notes: NoteLog) -> int:
    """``dataroi run`` with an adaptive schedule: the looks on stderr, then the
    recommendation, its stability and the CPU saved."""
    from dataroi.study import run_until_decided

    if args.rerun:
        raise UsageError("--rerun runs a model's whole grid again: run it with "
                         "--full-grid (or without --until-decided)")
    from dataroi.executors import BackgroundExecutor, make_executor

    # on Dask, one client (and one local cluster) serves every look, not one per look
    owned = None
    if isinstance(executor, BackgroundExecutor):
        owned = executor = executor.take()
    elif executor.startswith(("dask://", "tcp://")):
        owned = executor = make_executor(executor, data_path=None, jobs=args.jobs)
    try:
        result = run_until_decided(study, jobs=args.jobs, executor=executor,
                                   progress=not args.no_progress,
                                   retry_failed=args.retry_failed, threads=args.threads,
                                   heartbeat_timeout=args.heartbeat_timeout, console=log,
                                   check_data=args.check_data, on_note=notes)
    finally:
        if owned is not None:
            owned.shutdown(wait=True)
    if args.json:
        from dataroi.cli._output import print_json

        print_json(result.to_dict())
    else:
        print_adaptive(study, result)
    arms = [a.name for a in study.spec.stress]
    if arms:  # on stderr, also with --json
        log.print(f"the stress arms ({', '.join(arms)}) are not run adaptively: "
                  f"`dataroi run {args.spec} --full-grid` runs them, with the rest of "
                  "the grid they are paired with", markup=False, highlight=False)
    return 1 if result.failed else 0


#: why an adaptive run stopped, in words (its ``stop_reason``)
_ADAPTIVE_STOPS = {"stable": "the recommendation is stable",
                   "learned": "a recommendation like this one, held this long, was the "
                              "full grid's in the corpus replay",
                   "steady": "the recommendation held at its last looks",
                   "budget": "the CPU budget is spent", "complete": "the grid is complete",
                   "no_change": "no trial left can change the recommendation"}


def adaptive_status_line(adaptive: dict[str, Any], missing: int, *, spec: str = "SPEC"
                         ) -> str:
    """What ``dataroi status`` says of a study run adaptively (``StudyStatus.adaptive``):
    its latest look (with its expected loss, in the unit the look recorded, when it
    recorded one), and why ``missing`` trials of the grid are not in the ledger.

    Example:
        >>> print(adaptive_status_line({"looks": 3, "label": "keep logreg",
        ...     "stability": 0.97, "stop_reason": "stable", "asked": 20,
        ...     "grid_trials": 32}, 12))  # doctest: +NORMALIZE_WHITESPACE
        adaptive run: stopped after look 3 (the recommendation is stable): keep logreg,
        P(same recommendation with the full grid) = 0.97; 20 of the grid's 32 trials
        asked for; the other 12 were not needed for the decision (`dataroi run SPEC
        --full-grid` runs them)
        >>> adaptive_status_line({"looks": 5, "label": "keep logreg", "stability": 0.86,
        ...     "stop_reason": "steady", "asked": 24, "grid_trials": 32}, 8).split("): ")[0]
        'adaptive run: stopped after look 5 (the recommendation held at its last looks'
        >>> adaptive_status_line({"looks": 3, "label": "keep logreg", "stability": 0.97,
        ...     "stop_reason": "stable", "asked": 20, "grid_trials": 32}, 0).split("; ")[-1]
        'the rest of the grid was run since'
        >>> adaptive_status_line({"looks": 3, "label": "keep logreg", "stability": 0.97,
        ...     "expected_loss": 41.7, "expected_loss_unit": "usd",
        ...     "stop_reason": "stable", "asked": 20,
        ...     "grid_trials": 32}, 0).split("; ")[0].split(", ", 1)[1]
        'P(same recommendation with the full grid) = 0.97, expected loss $42'
    """
    stop = adaptive.get("stop_reason")
    head = (f"adaptive run: stopped after look {adaptive['looks']} "
            f"({_ADAPTIVE_STOPS.get(stop, str(stop))})" if stop else
            f"adaptive run: not stopped at its last look, {adaptive['looks']} (interrupted, "
            f"or the trials it asked for failed; `dataroi run {spec} --until-decided` goes "
            "on)")
    loss = adaptive.get("expected_loss")
    text = (f"{head}: {adaptive['label']}, P(same recommendation with the full grid) = "
            f"{adaptive['stability']:.2f}"
            + ("" if loss is None else ", expected loss " + value_text(
                loss, money=adaptive.get("expected_loss_unit") != "gain"))
            + f"; {adaptive['asked']} of the grid's {adaptive['grid_trials']} trials "
            "asked for")
    unasked = max(0, int(adaptive["grid_trials"]) - int(adaptive["asked"]))
    left_out = min(unasked, missing) if stop else 0  # not run since (--full-grid)
    if left_out:
        text += (f"; the other {left_out} were not needed for the decision (`dataroi run "
                 f"{spec} --full-grid` runs them)")
    elif unasked and not missing:
        text += "; the rest of the grid was run since"
    rest = missing - left_out
    if rest > 0:  # asked for and not run (an interrupted run)
        text += f"; {rest} trials of the spec are not in the ledger"
    return text


def print_adaptive(study: Any, result: Any) -> None:
    """The end of an adaptive run, on stdout: what was run, the recommendation, its
    stability and the CPU saved."""
    last = result.steps[-1]
    why = _ADAPTIVE_STOPS.get(last.stop_reason or "", str(last.stop_reason))
    went_on = (f", going on from look {result.resumed_after} of a run that had not "
               "stopped" if result.resumed_after else "")
    print(f"{study.spec.name}: adaptive run stopped after {result.looks} look"
          f"{'s' if result.looks != 1 else ''} ({why}{went_on}): {len(result.choices)} of "
          f"{result.grid_trials} trials of the full grid asked for, {result.completed} "
          f"completed and {result.failed} failed in this run ({result.wall_seconds:.1f}s); "
          f"ledger {study.ledger_url}")
    print(f"recommendation: {last.label} (P(same recommendation with the full grid) = "
          f"{last.stability:.2f}; expected loss of deciding now rather than after the full "
          f"grid {last.loss_text()})")
    print(f"CPU: {result.cpu_seconds:,.1f} s of the full grid's predicted "
          f"{result.full_cpu_seconds:,.1f} s — {result.cpu_saved_share:.0%} saved; the "
          f"looks' own analysis {result.analysis_cpu_seconds:,.1f} s (counting it, "
          + (f"{result.net_saved_share:.0%} saved)" if result.net_saved_share >= 0 else
             f"{-result.net_saved_share:.0%} more than the full grid)"))
    print("why each trial was chosen: the ledger's adaptive_step documents")


def _cmd_check(args: argparse.Namespace) -> int:
    import dataroi
    from dataroi.exceptions import ContractError

    study = dataroi.load_study(args.spec, ledger=args.ledger, build_models=False)
    try:
        result = study.check_contract()
    except ContractError as exc:
        if args.json:
            from dataroi.cli._output import print_json

            print_json({"passed": False, "problems": list(exc.problems)})
        else:
            print(f"data contract violated ({len(exc.problems)} problem"
                  f"{'s' if len(exc.problems) != 1 else ''}):")
            for p in exc.problems:
                print(f"  - {p}")
        return 1
    if args.json:
        from dataroi.cli._output import print_json

        print_json({"passed": True, **result})
        return 0
    checks = result["checks"]
    if checks:
        print(f"the data meet the contract ({len(checks)} rule{'s' if len(checks) != 1 else ''}"
              f", {result['n_rows']:,} rows):")
        for line in checks:
            print(f"  - {line}")
    elif result["warnings"]:
        print(f"no contract: section in the spec; the data load ({result['n_rows']:,} rows), "
              f"and dataroi's checks found {len(result['warnings'])} thing"
              f"{'s' if len(result['warnings']) != 1 else ''} to look at:")
    else:
        print(f"no contract: section in the spec; the data load and pass dataroi's checks "
              f"({result['n_rows']:,} rows)")
    for warning in result["warnings"]:
        print(f"warning: {warning}")
    for note in result.get("notes") or []:
        print(f"note: {note}")
    if result["compared_with"] is None:
        print("no earlier run's data to compare with")
    elif result["compared_with"] == result["fingerprint"]:
        print(f"the data are the version the last run used ({result['fingerprint'][:12]})")
    elif result["moved"] is None:
        print(f"the data changed since the last run ({result['compared_with'][:12]} → "
              f"{result['fingerprint'][:12]}); what moved cannot be said: that run's column "
              "summary is not in this folder's cache (.dataroi/cache/column-summaries)")
    else:
        print(f"the data changed since the last run ({result['compared_with'][:12]} → "
              f"{result['fingerprint'][:12]}); what moved:")
        for line in result["moved"]:
            print(f"  - {line}")
    return 0


def _cmd_status(args: argparse.Namespace) -> int:
    from rich.table import Table

    import dataroi

    study = dataroi.load_study(args.spec, ledger=args.ledger, build_models=False)
    st = study.status(check_data=args.check_data)
    if args.json:
        from dataroi.cli._output import print_json

        print_json(st.to_dict())
        return 0
    console = _console()
    console.print(f"[bold]{st.name}[/]  ledger {st.ledger_url}  data {st.fingerprint[:12]}  "
                  f"({st.contexts} data/split version(s) recorded)")
    table = Table()
    table.add_column("model")
    states = [s for s in st.counts if s != "not planned yet"]
    for s in states:
        table.add_column(s, justify="right")
    for model, counts in st.per_model.items():
        table.add_row(escape(model), *[str(counts[s]) for s in states])
    table.add_row("[bold]all[/]", *[f"[bold]{st.counts[s]}[/]" for s in states])
    console.print(table)
    missing = st.counts.get("not planned yet", 0)
    if st.adaptive is not None:
        console.print(adaptive_status_line(st.adaptive, missing, spec=args.spec),
                      markup=False, highlight=False)
    elif missing:
        console.print(f"{missing} trials of the spec are not in the ledger yet (run the study)")
    for owner, n in st.owners.items():
        console.print(f"running: {n} trials claimed by {owner}")
    return 0


def _cmd_trials(args: argparse.Namespace) -> int:
    import dataroi

    if args.output and args.output != "-":
        from dataroi.report import check_output_path

        check_output_path(args.output)  # a typo's folder is refused, never created
    study = dataroi.load_study(args.spec, ledger=args.ledger, build_models=False)
    frame = study.trials(check_data=args.check_data)
    text = (frame.to_csv(index=False) if args.format == "csv" and not args.json
            else frame.to_json(orient="records", indent=1))
    if args.output and args.output != "-":
        from dataroi._files import write_atomic

        write_atomic(args.output, text)
    else:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
    return 0


def _cmd_reproduce(args: argparse.Namespace) -> int:
    import dataroi

    study = dataroi.load_study(args.spec, ledger=args.ledger)
    summary = study.reproduce(sample=args.sample, seed=args.seed)
    if args.json:
        from dataroi.cli._output import print_json

        print_json(summary)
        return 1 if summary["differing"] else 0
    console = _console()
    for t in summary["trials"]:
        status = "identical" if not t["metric_differences"] and t["state"] == "complete" \
            else "DIFFERENT"
        if t["predictions_match"] is False:
            status = "DIFFERENT (predictions)"
        console.print(f"{escape(t['model'])} n={t['n_train']} repeat={t['repeat']}: {status}")
        for d in t["metric_differences"]:
            console.print(f"    {d['metric']}: recorded {d['recorded']!r}, now "
                          f"{d['reproduced']!r}")
    if summary["environment_differences"]:
        console.print("environment differences since the trials ran:")
        for line in summary["environment_differences"]:
            console.print(f"    {line}")
    console.print(f"{summary['sample'] - summary['differing']} of {summary['sample']} trials "
                  "reproduced exactly")
    return 1 if summary["differing"] else 0


def _cmd_demo(args: argparse.Namespace) -> int:
    import dataroi
    from dataroi.cli._decide import DEMO_DECISION, print_recommendation
    from dataroi.executors import check_jobs
    from dataroi.report import write_report
    from dataroi.spec import DEMO_SPEC

    check_jobs(args.jobs)  # 1 to max_jobs(), before the demo writes anything
    folder = Path(args.dir)
    folder.mkdir(parents=True, exist_ok=True)
    spec_path = folder / "demo.yaml"
    spec_path.write_text(DEMO_SPEC + DEMO_DECISION, encoding="utf-8")
    console, log = _console(), _log()
    log.print(f"demo: study spec {spec_path} (digits, 3 models, 8 sizes, 5 repeats)")
    study = dataroi.load_study(spec_path)
    log.print(study.register().message)
    from dataroi.cli._output import data_warnings_to

    notes = NoteLog(log)
    with data_warnings_to(log):
        summary = study.run(jobs=args.jobs, progress=not args.no_progress, console=log,
                            on_note=notes)
    _print_run(study, summary, console, log, notes)
    with study.analyze() as analysis:
        metric = study.spec.metrics[0]
        boot = analysis.curves.test_boot if analysis.metric == metric else None
        _print_curve_table(analysis.trials, metric, console, boot)
        if not summary.failed:
            from dataroi.cli._output import result_console

            print_recommendation(analysis.recommend(), result_console(),
                                 title="recommendation (costs and rule from the demo spec)")
        report = write_report(analysis.report(spec_path=str(spec_path),
                                              output=str(folder / "report.html")),
                              folder / "report.html")
    console.print(f"report: {report} (one self-contained HTML file; open it in a browser)")
    console.print(f"next: dataroi value {spec_path}   |   dataroi plan {spec_path} --budget "
                  f"20000   |   dataroi report {spec_path} -o report.md   |   dataroi trials "
                  f"{spec_path} --format csv   |   dataroi reproduce {spec_path}")
    return 1 if summary.failed else 0


def _cmd_ledger(args: argparse.Namespace) -> int:
    from dataroi.ledger import upgrade_ledger

    if args.ledger_command != "upgrade":
        raise UsageError("use: dataroi ledger upgrade URL")
    path = args.url.removeprefix("sqlite:///") if args.url.startswith("sqlite:///") else (
        None if "://" in args.url else args.url)
    if path is not None and not Path(path).exists():  # a typo must not create a ledger
        raise UsageError(f"nothing to upgrade: {path} does not exist (`dataroi run` creates "
                         "a ledger)")
    before, after = upgrade_ledger(args.url)
    if before == after:
        print(f"ledger {args.url}: already at schema {after}; nothing to do")
    else:
        print(f"ledger {args.url}: schema {before or 'empty'} → {after}")
    return 0


_COMMANDS = {
    "init": _cmd_init,
    "run": _cmd_run,
    "status": _cmd_status,
    "check": _cmd_check,
    "trials": _cmd_trials,
    "reproduce": _cmd_reproduce,
    "demo": _cmd_demo,
    "ledger": _cmd_ledger,
}
