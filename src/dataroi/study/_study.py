"""The Study facade: plan, run (through the coordinator), status, trials, reproduce.

Example:
    >>> import tempfile, os
    >>> d = tempfile.mkdtemp()
    >>> study = load_study({"name": "iris", "data": "sklearn:iris",
    ...     "models": {"lr": "sklearn.linear_model.LogisticRegression"},
    ...     "schedule": {"sizes": [20, 60], "repeats": 2}},
    ...     ledger=os.path.join(d, "ledger.db"))
    >>> summary = study.run(jobs=1, progress=False)
    >>> summary.completed, study.run(jobs=1, progress=False).completed
    (4, 0)
    >>> study.trials()[["model", "n_train", "repeat", "metric"]].shape[0]
    4
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import os
import time
import warnings
from collections import Counter
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dataroi._names import did_you_mean
from dataroi.exceptions import DataError, DataWarning, LedgerError, SpecError, UsageError
from dataroi.spec import StudySpec, load_spec, spec_from_dict
from dataroi.study._adaptive import ADAPTIVE_DOCUMENT
from dataroi.trial import TrialResult, TrialSnapshot, TrialState

if TYPE_CHECKING:
    import pandas as pd

    from dataroi.analysis import Analysis
    from dataroi.data import DataCheck, PreparedData
    from dataroi.decide import FollowUp, Registration
    from dataroi.ledger import BaseLedger
    from dataroi.spec import DecisionSpec
    from dataroi.study._plan import Plan

__all__ = ["RunSummary", "Study", "StudyStatus", "load_study"]


def load_study(spec: str | os.PathLike[str] | dict[str, Any] | StudySpec, *,
               ledger: str | None = None, build_models: bool = True,
               artifacts: str | os.PathLike[str] | None = None) -> Study:
    """Load a study from a YAML path, a dictionary or a :class:`StudySpec`.

    Args:
        spec: the study spec.
        ledger: ledger URL or SQLite path; default: ``DATAROI_LEDGER``, then the spec's
            ``ledger``, then ``.dataroi/ledger.db`` beside the spec.
        build_models: import and build every model to check it now (``run`` does it
            anyway before anything runs). Building a model runs the spec's code
            (``estimator:`` and ``factory:`` import any Python), so the reading commands
            (``status``, ``trials``, ``value``, ``plan``, ``report``) pass False.
        artifacts: the folder of stored predictions; default: ``DATAROI_ARTIFACTS``, then
            the spec's ``artifacts``, then ``artifacts/`` beside an SQLite ledger (else
            ``.dataroi/artifacts`` beside the spec).
    """
    if isinstance(spec, StudySpec):
        parsed = spec
    elif isinstance(spec, dict):
        parsed = spec_from_dict(spec, base_dir=os.getcwd())
    else:
        parsed = load_spec(spec)
    study = Study(parsed, ledger=ledger, artifacts=artifacts)
    if build_models:
        study.check_models()
    return study


@dataclass
class RunSummary:
    """What ``Study.run`` did.

    Attributes:
        planned_new: trials added to the ledger by this run's planning.
        total: trials in the current plan.
        already_done: finished trials found in the ledger before this run (reused).
        completed, failed: trials this run finished.
        error_groups: (error type, first message line) → number of failed trials.
        wall_seconds: duration of the run.
        notes: messages for the user (new data version, dropped rows...).
        warnings: what the data checks found (:meth:`Study.check_data`), one line each;
            ``run`` issued them as :class:`~dataroi.exceptions.DataWarning` before the
            first trial.
    """

    planned_new: int
    total: int
    already_done: int
    completed: int
    failed: int
    wall_seconds: float
    error_groups: dict[tuple[str, str], int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """Plain data (``dataroi run --json``)."""
        return {"planned_new": self.planned_new, "total": self.total,
                "already_done": self.already_done, "completed": self.completed,
                "failed": self.failed, "wall_seconds": self.wall_seconds,
                "error_groups": [{"error_type": t, "message": m, "count": n}
                                 for (t, m), n in self.error_groups.items()],
                "notes": list(self.notes), "warnings": list(self.warnings)}


@dataclass
class StudyStatus:
    """Counts of the current plan's trials by state, per model, and the context.

    ``adaptive`` (None when the study never ran adaptively on this data version) is the
    latest look of an adaptive run (:func:`~dataroi.study.run_until_decided`):
    ``looks``, ``recommendation``, ``label``, ``stability``, ``stop_reason`` (None: its
    last look did not stop it — interrupted, or the trials it asked for failed),
    ``asked`` (distinct trials of the grid the adaptive runs asked for) and
    ``grid_trials``; the grid's other trials are not in the ledger because the decision
    did not need them.
    """

    name: str
    ledger_url: str
    fingerprint: str
    counts: dict[str, int]
    per_model: dict[str, dict[str, int]]
    owners: dict[str, int]
    contexts: int
    adaptive: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain data (``dataroi status --json``)."""
        return {"name": self.name, "ledger_url": self.ledger_url,
                "fingerprint": self.fingerprint, "counts": dict(self.counts),
                "per_model": {m: dict(c) for m, c in self.per_model.items()},
                "owners": dict(self.owners), "contexts": self.contexts,
                "adaptive": None if self.adaptive is None else dict(self.adaptive)}


class Study:
    """A learning-curve study bound to a spec and a ledger.

    Constructors store; ``run``/``status``/``trials`` compute (house rule 2).
    """

    def __init__(self, spec: StudySpec, *, ledger: str | None = None,
                 artifacts: str | os.PathLike[str] | None = None) -> None:
        from dataroi.study._arms import resolve_annotation_noise

        self.spec = resolve_annotation_noise(spec)
        self.ledger_url = resolve_ledger_url(spec, ledger)
        self._artifacts = artifacts
        self._prepared: PreparedData | None = None
        self._data_only: PreparedData | None = None
        self._checks: list[DataCheck] | None = None
        self._context_fingerprint = ""

    # -- locations --------------------------------------------------------------------
    @property
    def workdir(self) -> Path:
        """Folder of the artifact store and data cache: beside an SQLite ledger file,
        else ``.dataroi`` beside the spec."""
        path = _sqlite_path(self.ledger_url)
        if path is not None:
            return Path(path).parent
        return Path(self.spec.base_dir) / ".dataroi"

    @property
    def artifacts_dir(self) -> Path:
        """Folder of the stored test-set predictions: the ``artifacts`` given to the
        study > ``$DATAROI_ARTIFACTS`` > the spec's ``artifacts:`` (relative to the spec)
        > ``artifacts/`` in :attr:`workdir`.

        A team sharing a PostgreSQL ledger points it at a shared folder: otherwise each
        member's runs keep their predictions on their own machine, and another member's
        report, slices or export finds none of them.
        """
        given = self._artifacts or os.environ.get("DATAROI_ARTIFACTS") or self.spec.artifacts
        if not given:
            return self.workdir / "artifacts"
        p = Path(os.path.expanduser(str(given)))
        return p if p.is_absolute() else Path(self.spec.base_dir) / p

    # -- preparation ------------------------------------------------------------------
    def check_models(self, *, task: str | None = None) -> None:
        """Build every model once, unfitted, to catch bad import paths and parameters
        (and, with ``task``, models that cannot give what the metrics need).

        This imports and runs the spec's model code; the reading commands never call it.

        Raises:
            SpecError: every problem, with its field path.
        """
        from dataroi.trial import check_models

        spec_task = None if self.spec.data.task == "auto" else self.spec.data.task
        check_models(self.spec, task=task or spec_task)

    def prepare(self) -> PreparedData:
        """Load and check the data, and check the models against the task (no writes).

        Raises:
            DataError: the data's problems, when the models are fine.
            SpecError: the models' problems, and the data's too when it has some (one
                message with every problem: a misspelt target column and a misspelt
                estimator are reported by the same run).
        """
        if self._prepared is None:
            prep, data_error = None, None
            try:
                prep = self._data()
            except DataError as exc:
                data_error = exc
            try:
                self.check_models(task=prep.task if prep is not None else None)
            except SpecError as exc:
                if data_error is None:
                    raise
                raise SpecError([f"data: {data_error}", *exc.problems],
                                source=exc.source) from exc
            if data_error is not None:
                raise data_error
            self._prepared = prep
        return self._prepared

    def _data(self) -> PreparedData:
        """The data loaded, checked and split, and the arms checked against it — without
        building any model: what the reading commands need (they run no code of the
        spec's)."""
        if self._data_only is None:
            from dataroi.data import prepare_data

            prep = prepare_data(self.spec)
            if self.spec.stress or self.spec.slices:
                from dataroi.study._arms import check_arms

                check_arms(self.spec, prep)
            self._data_only = prep
        return self._data_only

    @property
    def _summaries(self) -> Path:
        return self.workdir / "cache" / "column-summaries"

    def _summary_of(self, prep: PreparedData) -> dict[str, Any]:
        from dataroi.data import summarise

        frame = prep.X.copy()
        target = self.spec.data.target
        frame[target] = ([prep.classes[int(c)] for c in prep.y] if prep.classes
                         else prep.y)
        return summarise(frame)

    def _save_data_summary(self, prep: PreparedData) -> None:
        """Keep the aggregates of the data this run uses (for ``dataroi check``'s "what
        moved" when the data changes); never a row."""
        from dataroi.data import save_summary

        path = self._summaries / f"{prep.fingerprint}.json"
        if path.exists():
            os.utime(path)  # the newest summary is the last run's data
        else:
            save_summary(self._summaries, prep.fingerprint, self._summary_of(prep))

    def redactor(self) -> Any:
        """The pseudonyms ``dataroi report --redact`` uses: every column of the table (in
        its order) and every value of a text or categorical column with at most 2,000
        values (the target's classes too; see :meth:`dataroi.report.Redactor.for_frame`);
        the study's name (``study``), its data files' paths and names (``data.csv``,
        ``test.csv``) and the ledger's location (``the ledger``). Reads the data; writes
        nothing.

        Example:
            >>> import dataroi
            >>> s = dataroi.load_study({"name": "x", "data": "sklearn:iris", "models":
            ...     {"lr": "sklearn.linear_model.LogisticRegression"},
            ...     "schedule": {"sizes": [30], "repeats": 1}}, build_models=False)
            >>> s.redactor().text("column 'sepal length (cm)': 3 % missing")
            "column 'column_1': 3 % missing"
        """
        import pandas as pd

        from dataroi.data import is_builtin_source, read_table, resolve_path
        from dataroi.report import Redactor

        frame = read_table(self.spec.data.source, self.spec.base_dir)
        if self.spec.split.test_file:
            frame = pd.concat([frame, read_table(self.spec.split.test_file,
                                                 self.spec.base_dir)], ignore_index=True)
        files = {}
        for path, alias in ((self.spec.data.source, "data"),
                            (self.spec.split.test_file, "test")):
            if path and not is_builtin_source(path):
                suffix = "".join(Path(path).suffixes[-2:])
                files.update({path: f"{alias}{suffix}", Path(path).name: f"{alias}{suffix}",
                              str(resolve_path(path, self.spec.base_dir)): f"{alias}{suffix}"})
        return Redactor.for_frame(frame, target=self.spec.data.target).with_names(
            {self.spec.name: "study", self.ledger_url: "the ledger", **files})

    def check_contract(self) -> dict[str, Any]:
        """Check the data against the spec's ``contract:`` (and everything loading it
        checks) and say what moved since the data the last run used. Writes nothing.

        Returns:
            ``{"checks": [...], "n_rows": n, "fingerprint": fp, "compared_with": fp or
            None, "moved": [lines], "notes": [lines]}`` (``checks``: the contract's rules
            in words, empty without a contract; ``moved``: None when the last run's data
            summary is not in this folder's cache; ``notes``: what preparing the data did,
            as a run says it: rows dropped, the task inferred; ``warnings``: what the data
            checks a run makes before its first trial found, :meth:`check_data`).

        Raises:
            ContractError: the data break the contract (every violation).
            DataError: the data cannot be loaded or prepared, or a hard problem of the
                data checks (no feature carries information, a column no model takes).
            SpecError: a model of the spec cannot be built, or the schedule does not fit
                the data (sizes beyond the training pool).
        """
        from dataroi.data import load_summary, what_moved

        prep = self._data()
        self.plan()  # the schedule against the training pool: what `run` would refuse
        out: dict[str, Any] = {
            "checks": self.spec.contract.describe() if self.spec.contract else [],
            "n_rows": prep.n_rows_loaded, "fingerprint": prep.fingerprint,
            "compared_with": None, "moved": [],
            "notes": list(prep.notes),
            "warnings": [c.message for c in self.check_data()]}
        before = self._last_run_fingerprint()
        if before is None or before == prep.fingerprint:
            out["compared_with"] = before
            return out
        out["compared_with"] = before
        last = load_summary(self._summaries, before)
        if last is None:  # e.g. a ledger copied from another machine: no summary here
            out["moved"] = None
        else:
            out["moved"] = what_moved(last, self._summary_of(prep))
        return out

    def _last_run_fingerprint(self) -> str | None:
        """The data fingerprint of this study's latest run in its ledger (None: no
        ledger, or no run of this study yet). Read only; other studies' runs in the same
        folder (they share the column summaries' cache) are not this study's."""
        from dataroi.exceptions import DataroiError

        try:  # no ledger, or one out of reach: nothing to compare with (check reads data)
            ledger = self._open(create=False)
        except DataroiError:
            return None
        try:
            study_id = ledger.get_study_id(self.spec.name)
            contexts = ledger.list_contexts(study_id) if study_id is not None else []
        finally:
            ledger.close()
        return str(contexts[-1]["fingerprint"]) if contexts else None

    def check_data(self) -> list[DataCheck]:
        """Check the prepared data before any trial (``run`` does it first): empty,
        non-finite and constant feature columns (and whether the models take them), a
        feature that predicts the target almost perfectly, and — for classification —
        the rows of the rarest class at the smallest training size
        (:func:`dataroi.data.check_data`). Fast: it reads at most 20,000 rows for the
        leaks, and fits a model only on a few rows, only when a column is empty or holds
        no finite value. Nothing is written.

        Returns:
            the warnings (:class:`~dataroi.data.DataCheck`: ``check``, ``columns``,
            ``message``), computed once per study object.

        Raises:
            DataError: every hard problem at once (no feature carries information, or a
                column no model of the spec can take).

        Example:
            >>> study = load_study({"data": "sklearn:iris", "schedule": {"sizes": [2, 60]},
            ...     "models": {"lr": "sklearn.linear_model.LogisticRegression"}})
            >>> print(study.check_data()[0].message[:50])
            schedule: at 2 rows only 2 of the 3 classes can be
        """
        if self._checks is None:
            from dataroi.data import check_data, raise_for_errors
            from dataroi.trial import check_model_columns

            prep = self.prepare()
            checks = check_model_columns(self.spec, prep, check_data(prep, self.spec))
            raise_for_errors(checks)
            self._checks = checks
        return list(self._checks)

    def plan(self, *, reruns: Sequence[Mapping[str, Any]] = ()) -> Plan:
        """The current spec's trials (validated against the pool size).

        Args:
            reruns: the ledger's records of models run again on purpose (see
                :func:`dataroi.study._plan.make_plan`); the ledger's readers and ``run``
                pass them, so a model re-run is planned under its latest identity.
        """
        from dataroi.study._arms import arm_limits
        from dataroi.study._plan import make_plan

        prep = self._data()
        return make_plan(self.spec, pool_size=prep.pool_size,
                         limits=arm_limits(self.spec, prep), reruns=reruns)

    @staticmethod
    def _reruns(ledger: BaseLedger, context_id: int) -> list[dict[str, Any]]:
        """The context's records of models run again on purpose, oldest first."""
        from dataroi.study._plan import RERUN_DOCUMENT

        return [d["payload"] for d in ledger.list_documents(RERUN_DOCUMENT,
                                                            context_id=context_id)]

    def _check_rerun(self, rerun: Sequence[str]) -> list[str]:
        """The models named by ``--rerun`` (each may be a comma-separated list), checked
        against the spec's models before anything is read or written.

        Raises:
            UsageError: a name that is not a model of the spec (with did-you-mean).
        """

        names = [m.name for m in self.spec.models]
        out: list[str] = []
        for item in rerun:
            for name in (part.strip() for part in str(item).split(",")):
                if not name:
                    continue
                if name not in names:
                    hint = did_you_mean(name, names)
                    arm = " (a stress arm re-runs with its model)" if "[" in name else ""
                    raise UsageError(f"--rerun: '{name}' is not a model of the study"
                                     f"{hint}{arm}; models: {', '.join(names)}")
                if name not in out:
                    out.append(name)
        return out

    def _rerun(self, ledger: BaseLedger, study_id: int, context_id: int, plan: Plan,
               models: Sequence[str], reruns: Sequence[Mapping[str, Any]]
               ) -> tuple[list[dict[str, Any]], list[str]]:
        """Record a new generation for each model to re-run that has finished trials at
        its current identity (``plan``'s, made with the context's records ``reruns``);
        return every rerun record of the context and notes.

        The earlier trials are not changed (finished trials are immutable): the new
        identity plans the model's trials anew, and the plan stops reading the old ones.
        An interrupted re-run continues with the next ``run`` (the record stays).
        """
        from dataroi.spec import canonical_hash
        from dataroi.study._plan import RERUN_DOCUMENT, rerun_generation

        docs = [dict(d) for d in reruns]
        notes: list[str] = []
        for name in models:
            current = plan.model_hashes[name]
            counts = ledger.trial_counts(context_id, model_hashes={name: current},
                                         sizes=plan.sizes, repeats=plan.repeats)
            finished = sum(n for _, state, _, n in counts if state.is_finished)
            if not finished:
                notes.append(f"--rerun {name}: no finished trial to run again; its trials "
                             "run as planned")
                continue
            own = self.spec.model_hash(name)
            doc = {"model": name, "base_hash": own,
                   "generation": rerun_generation(docs, name, own) + 1}
            ledger.record_document(RERUN_DOCUMENT, doc, study_id=study_id,
                                   context_id=context_id, content_hash=canonical_hash(doc))
            docs.append(doc)
            arms = [a.name for a in self.spec.stress
                    if name in (a.base, a.params.get("selector"))]
            notes.append(f"--rerun {name}: its {finished} finished trials stay in the "
                         "ledger, superseded; its trials"
                         + (f" and those of its arms ({', '.join(arms)})" if arms else "")
                         + " run again")
        return docs, notes

    def _open(self, *, create: bool) -> BaseLedger:
        from dataroi.ledger import open_ledger

        return open_ledger(self.ledger_url, create=create)

    def _record_arm_limits(self, ledger: BaseLedger, study_id: int, context_id: int,
                           prep: PreparedData) -> None:
        """Keep the arms' size limits in the ledger (a document per distinct set), so
        ``status`` without the data plans arms added after the context was made right."""
        from dataroi.spec import canonical_hash
        from dataroi.study._arms import arm_limits

        limits = arm_limits(self.spec, prep)
        if not limits:
            return
        h = canonical_hash(limits)
        if not ledger.list_documents("arm_limits", context_id=context_id, content_hash=h):
            ledger.record_document("arm_limits", {"limits": limits}, study_id=study_id,
                                   context_id=context_id, content_hash=h)

    def _record_test_labels(self, ledger: BaseLedger, study_id: int, context_id: int,
                            prep: PreparedData) -> None:
        """Keep the test labels in the artifact store, named by a ledger document.

        The test-set bootstrap of every analysis needs them; without this, a teammate
        reading a shared ledger without the data (or without the runner's data copy)
        got narrower intervals than the runner for the same trials. They go where the
        predictions go (a folder the team shares), never into a bundle without its data.
        """
        import numpy as np

        from dataroi.artifacts import ArtifactStore

        test_idx = np.asarray(prep.test_idx)
        digest = ArtifactStore(self.artifacts_dir).put(
            {"y_test": np.asarray(prep.y)[test_idx], "test_idx": test_idx})
        if not ledger.list_documents("test_labels", context_id=context_id,
                                     content_hash=digest):
            ledger.record_document("test_labels", {"digest": digest, "n": len(test_idx),
                                                   "n_classes": prep.n_classes},
                                   study_id=study_id, context_id=context_id,
                                   content_hash=digest)

    def _context(self, ledger: BaseLedger, prep: PreparedData) -> tuple[int, int, list[str]]:
        spec = self.spec
        notes: list[str] = []
        study_id = ledger.upsert_study(spec.name, spec_hash=spec.spec_hash,
                                       spec_text=spec.source_text or repr(spec.to_dict()))
        dv = ledger.record_dataset_version(
            fingerprint=prep.fingerprint, n_rows=prep.n_rows_loaded,
            n_columns=len(prep.dtypes), dtypes=prep.dtypes, source=prep.source)
        before = ledger.list_contexts(study_id)
        context_id, created = ledger.upsert_context(
            study_id, dataset_version_id=dv, context_hash=prep.context_hash(spec),
            description=prep.describe(spec))
        self._record_arm_limits(ledger, study_id, context_id, prep)
        self._record_test_labels(ledger, study_id, context_id, prep)
        if created and before:
            old = before[-1]
            if old["fingerprint"] != prep.fingerprint:
                notes.append(
                    f"the data changed (fingerprint {old['fingerprint'][:12]} → "
                    f"{prep.fingerprint[:12]}): this is a new dataset version; no earlier "
                    "trial is reused")
            else:
                notes.append("the split, target, features or seed changed: a new study "
                             "context; no earlier trial is reused")
        return study_id, context_id, notes

    # -- run --------------------------------------------------------------------------
    def run(
        self,
        *,
        jobs: int | None = None,
        executor: str | Any = "auto",
        progress: bool = True,
        retry_failed: bool = False,
        threads: int | None = None,
        heartbeat_timeout: float = 120.0,
        console: Any = None,
        rerun: Sequence[str] = (),
        check_data: bool = False,
        only: Collection[tuple[str, int, int]] | None = None,
        on_note: Callable[[str], None] | None = None,
    ) -> RunSummary:
        """Plan and run every trial not finished yet; return a summary.

        Before any trial is written, the data is checked (:meth:`check_data`): each
        finding is issued as a :class:`~dataroi.exceptions.DataWarning` (and kept in
        :attr:`RunSummary.warnings`); a hard problem raises and writes nothing.

        Args:
            jobs: worker processes (default: all cores); 1 runs in this process.
            executor: ``auto``, ``serial``, ``process``, or an executor object with
                ``submit``/``shutdown``.
            progress: show a progress bar with an ETA.
            retry_failed: run failed trials again.
            threads: BLAS/OpenMP threads per trial (default: cores // jobs, so that
                workers never oversubscribe the machine; 1 on a Dask cluster).
            heartbeat_timeout: seconds after which running trials of a silent (dead)
                coordinator sharing a PostgreSQL ledger are taken back.
            console: a ``rich.console.Console`` for output (default: standard error).
            rerun: models to run again although the ledger has their trials (names, or
                comma-separated lists). Their finished trials stay in the ledger,
                superseded: a new identity plans them (and their stress arms) anew. An
                interrupted re-run continues with the next ``run``.
            check_data: hash the workers' copy of the data in full before it is reused
                (by default a quick check: the labels and the split in full, the feature
                files by size, time and sampled blocks); a copy that differs is rebuilt
                from the source data, with a note.
            only: plan only these trials of the grid, as ``(model, n_train, repeat)``
                (None: every trial); what an adaptive run
                (:func:`~dataroi.study.run_until_decided`) asks for step by step.
            on_note: called with each note (:attr:`RunSummary.notes`) before the first
                trial runs (``dataroi run`` prints them then, not after the trials).

        Raises:
            UsageError: ``rerun`` names a model the spec does not have (nothing is
                written).
            SpecError, DataError: bad spec or data (nothing is written).
            LedgerError: the ledger cannot be used (nothing is written).
            Interrupted: Ctrl-C or SIGTERM (finished trials are kept).
        """
        from dataroi.executors import check_jobs, cpu_count

        t_start = time.perf_counter()
        for name, value in (("jobs", jobs), ("threads", threads)):
            check_jobs(value, name=name)  # 1 to max_jobs(): nothing forks without bound
        if heartbeat_timeout <= 0:
            raise UsageError(f"heartbeat timeout must be positive, got {heartbeat_timeout}")
        rerun_models = self._check_rerun(rerun)
        n_jobs = jobs or cpu_count()
        if isinstance(executor, str) and executor == "auto":
            executor = "serial" if n_jobs == 1 else "process"
        from dataroi.executors import BackgroundExecutor, check_executor

        check_executor(executor)  # an unknown executor writes nothing

        # a LocalCluster takes seconds to start: start it while the data loads
        early = (executor if isinstance(executor, BackgroundExecutor)
                 else BackgroundExecutor.start_if_slow(executor, n_jobs))
        try:
            return self._run(executor=early or executor, n_jobs=n_jobs, progress=progress,
                             retry_failed=retry_failed, threads=threads,
                             heartbeat_timeout=heartbeat_timeout, console=console,
                             t_start=t_start, rerun=rerun_models, check_data=check_data,
                             only=only, on_note=on_note)
        finally:
            if early is not None:
                early.discard()

    def _run(self, *, executor: str | Any, n_jobs: int, progress: bool,
             retry_failed: bool, threads: int | None, heartbeat_timeout: float,
             console: Any, t_start: float, rerun: Sequence[str] = (),
             check_data: bool = False,
             only: Collection[tuple[str, int, int]] | None = None,
             on_note: Callable[[str], None] | None = None) -> RunSummary:
        from dataroi.data import materialize
        from dataroi.executors import BackgroundExecutor, make_executor, threads_per_worker
        from dataroi.study._coordinator import coordinate, new_owner_id
        from dataroi.study._environment import (
            TRIAL_THREADS,
            capture_environment,
            model_modules,
        )
        from dataroi.study._plan import arm_model
        from dataroi.study._progress import progress_reporter
        from dataroi.trial import TrialPayload

        prep = self.prepare()
        plan = self.plan()
        notes = list(prep.notes)
        found = [c.message for c in self.check_data()]  # a hard problem: nothing written
        for message in found:
            warnings.warn(message, DataWarning, stacklevel=3)
        with self._open(create=True) as ledger, self._coordinator_lock(), \
                contextlib.ExitStack() as cleanup:
            study_id, context_id, ctx_notes = self._context(ledger, prep)
            notes += ctx_notes
            self._save_data_summary(prep)
            # models run again on purpose are planned under their latest identity
            reruns = self._reruns(ledger, context_id)
            if reruns:
                plan = self.plan(reruns=reruns)
            if rerun:
                reruns, rerun_notes = self._rerun(ledger, study_id, context_id, plan,
                                                  rerun, reruns)
                notes += rerun_notes
                plan = self.plan(reruns=reruns)
            wanted = None if only is None else set(only)
            planned_new = ledger.plan_trials(context_id, plan.trials if wanted is None else [
                t for t in plan.trials
                if (t.key.model, t.key.n_train, t.key.repeat) in wanted])
            stale_after = 0.0 if self._is_sqlite else heartbeat_timeout
            ledger.release_stale(context_id, older_than_seconds=stale_after)
            if retry_failed:
                ledger.reset_failed(context_id)
            snaps = ledger.get_trials(context_id, model_hashes=plan.model_hashes,
                                      sizes=plan.sizes, repeats=plan.repeats)
            already = sum(1 for s in snaps if s.state.is_finished)
            todo = sum(1 for s in snaps if s.state is TrialState.WAITING)
            pool = None
            # never more worker processes than trials to run (--jobs 64 for 4 trials
            # starts 4)
            n_workers = min(n_jobs, todo) if todo else n_jobs
            if todo and executor == "process":
                # the workers start in the background while the data is written and the
                # environment recorded
                pool = make_executor("process", data_path=None, jobs=n_workers)
                cleanup.callback(pool.shutdown, wait=True)
                pool.warm_up()
            if any(s.state is TrialState.COMPLETE
                   and not set(self.spec.metrics) <= set(s.metrics) for s in snaps):
                from dataroi.artifacts import ArtifactStore
                from dataroi.study._backfill import backfill_metrics

                backfill = backfill_metrics(
                    ledger, snaps, self.spec.metrics, prep,
                    ArtifactStore(self.artifacts_dir),
                    variants={a.name: a.to_dict() for a in self.spec.stress})
                if backfill.updated:
                    notes.append(f"scored new metrics on {backfill.updated} finished trials "
                                 "from their stored predictions (no retraining)")
                if backfill.missing:
                    notes.append(f"{backfill.missing} finished trials have no stored "
                                 f"predictions in {self.artifacts_dir}; their new metrics stay "
                                 "empty (a run elsewhere keeps them in its own store: share "
                                 "one with the spec's artifacts:)")
                if backfill.damaged:  # skipped, never half-read: say what to do
                    damaged = backfill.damaged_note(plan.bases)
                    warnings.warn(damaged, DataWarning, stacklevel=3)
                    found.append(damaged)
            is_dask = isinstance(executor, BackgroundExecutor) or getattr(
                executor, "remote", False) or (
                isinstance(executor, str) and executor.startswith(("dask", "tcp://")))
            n_threads = threads or (1 if is_dask else threads_per_worker(n_jobs))
            # the trials' BLAS/OpenMP threads belong with their environment: a linear
            # model's float sums, hence its predictions' last bits, depend on them, and
            # `reproduce` re-runs each trial with its own count
            env_id = ledger.record_environment({**capture_environment(
                self.spec.base_dir, modules=model_modules(self.spec)),
                TRIAL_THREADS: n_threads})
            # the copy is verified, and rebuilt when it is not as written (a note)
            data_path = materialize(prep, self.workdir / "cache", full_check=check_data,
                                    notes=notes) if todo else ""
            models = {m: arm_model(self.spec, m) for m in plan.models}
            resources = {m: dict(self.spec.model(plan.bases.get(m, m)).resources) or None
                         for m in plan.models}
            root = self.spec.schedule.seed

            def make_payload(snap: TrialSnapshot) -> TrialPayload:
                return TrialPayload(
                    trial_id=snap.trial_id, key=snap.key, seed=snap.seed,
                    subset_seed=plan.subset_seed(root, snap.key.repeat),
                    model=models[snap.key.model], metrics=self.spec.metrics,
                    data_path=data_path, threads=n_threads,
                    data_fingerprint=prep.fingerprint, resources=resources[snap.key.model])

            for note in notes if on_note is not None else ():
                on_note(note)
            outcome_results: list[TrialResult] = []
            completed = failed = 0
            if todo:
                if isinstance(executor, BackgroundExecutor):
                    ex = executor.take()
                else:
                    ex = pool or (make_executor(executor, data_path=data_path,
                                                jobs=n_workers)
                                  if isinstance(executor, str) else executor)
                workers = getattr(ex, "max_workers", n_jobs)
                max_in_flight = 1 if executor == "serial" else 2 * workers
                from dataroi.artifacts import ArtifactStore

                try:
                    work = [(s.key.model, s.key.n_train) for s in snaps
                            if s.state is TrialState.WAITING]
                    timed = [(s.key.model, s.key.n_train, _seconds(s)) for s in snaps
                             if s.state is TrialState.COMPLETE and _seconds(s) > 0]
                    with progress_reporter(todo, enabled=progress, console=console,
                                           label=f"{self.spec.name}", work=work,
                                           timed=timed, workers=workers) as tick:
                        outcome = coordinate(
                            ledger=ledger, context_id=context_id, plan=plan, executor=ex,
                            make_payload=make_payload,
                            store=ArtifactStore(self.artifacts_dir),
                            environment_id=env_id, owner=new_owner_id(),
                            max_in_flight=max_in_flight, on_result=tick,
                            heartbeat_timeout_seconds=heartbeat_timeout)
                finally:
                    if isinstance(executor, (str, BackgroundExecutor)):
                        ex.shutdown(wait=True)
                completed, failed = outcome.completed, outcome.failed
                outcome_results = outcome.results
        groups = Counter((r.error_type or "Error", r.error_message or "")
                         for r in outcome_results if r.state is TrialState.FAILED)
        return RunSummary(planned_new=planned_new, total=plan.n_trials,
                          already_done=already, completed=completed, failed=failed,
                          wall_seconds=time.perf_counter() - t_start,
                          error_groups=dict(groups), notes=notes, warnings=found)

    @property
    def _is_sqlite(self) -> bool:
        return _sqlite_path(self.ledger_url) is not None or self.ledger_url.startswith(
            "sqlite")

    @contextlib.contextmanager
    def _coordinator_lock(self) -> Iterator[None]:
        """One coordinator per SQLite file: a second one gets a clear error at once.

        The lock file is named after the ledger's real path (symbolic links resolved, as
        the ledger itself is opened): keyed on the path's text, a symlink to the same
        file, or a folder reached through one, let two coordinators run at once.
        """
        path = _sqlite_path(self.ledger_url)
        if path is None:
            yield
            return
        lock_path = f"{os.path.realpath(path)}.lock"
        fh = open(lock_path, "a+")  # noqa: SIM115 (held for the whole run)
        try:
            try:
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                fh.seek(0)
                holder = fh.read().strip() or "another process"
                raise LedgerError(
                    f"another `dataroi run` ({holder}) is using {path}; SQLite ledgers take "
                    "one coordinator at a time (use a Postgres ledger to share work)"
                ) from None
            fh.seek(0)
            fh.truncate()
            fh.write(f"pid {os.getpid()}")
            fh.flush()
            yield
        finally:
            fh.close()

    # -- reading ----------------------------------------------------------------------
    def _current(self, *, check_data: bool = True
                 ) -> tuple[BaseLedger, dict[str, Any] | None, Plan]:
        """Open the ledger (never creating it) and find this spec's context.

        With ``check_data`` the data is loaded and fingerprinted, and only a context of
        exactly this data matches. Without it (fast: status and trials on large data),
        the latest context recorded for this spec's target, features, split and seed is
        used, with the pool size stored in it. Models run again (``--rerun``) are
        planned under their latest identity, as ``run`` plans them.

        Returns:
            ``(the open ledger, the context row or None, the plan)``.
        """
        from dataroi.study._plan import make_plan

        if check_data:
            prep = self._data()
            plan = self.plan()
        ledger = self._open(create=False)
        try:
            study_id = ledger.get_study_id(self.spec.name)
            found = None
            contexts = ledger.list_contexts(study_id) if study_id is not None else []
            if check_data:
                want = prep.context_hash(self.spec)
                for ctx in contexts:
                    if ctx["context_hash"] == want:
                        found = {**ctx, "study_id": study_id}
                reruns = [] if found is None else self._reruns(ledger, found["context_id"])
                return ledger, found, self.plan(reruns=reruns) if reruns else plan
            split = self.spec.to_dict()["split"]
            for ctx in contexts:
                d = ctx["description"]
                if (d.get("split") == split and d.get("seed") == self.spec.schedule.seed
                        and d.get("target") == self.spec.data.target
                        and (self.spec.data.features is None
                             or d.get("features") == list(self.spec.data.features))):
                    found = {**ctx, "study_id": study_id}
                    self._context_fingerprint = ctx["fingerprint"]
            if found is None:
                return ledger, None, self.plan()
            limits: dict[str, int] = {}
            for doc in ledger.list_documents("arm_limits", context_id=found["context_id"]):
                limits.update(doc["payload"]["limits"])  # oldest first: newest wins
            pool_size = int(found["description"]["pool_size"])
            return ledger, found, make_plan(self.spec, pool_size=pool_size, limits=limits,
                                            reruns=self._reruns(ledger, found["context_id"]))
        except BaseException:
            ledger.close()
            raise

    def snapshots(self, *, check_data: bool = False) -> list[TrialSnapshot]:
        """Snapshots of the current plan's trials (those recorded so far).

        Args:
            check_data: load and fingerprint the data, and return only trials of exactly
                this data (else: of the latest data version recorded for this spec).
        """
        ledger, ctx, plan = self._current(check_data=check_data)
        with ledger:
            if ctx is None:
                return []
            return ledger.get_trials(ctx["context_id"], model_hashes=plan.model_hashes,
                                     sizes=plan.sizes, repeats=plan.repeats)

    def trials(self, *, check_data: bool = False) -> pd.DataFrame:
        """Tidy long table: one row per (trial, metric) of the current plan.

        Columns: model, n_train, repeat, seed, state, metric, value, train_value,
        fit_seconds, predict_seconds, cpu_seconds, peak_rss_bytes, model_bytes,
        n_predicted, error_type, trial_id, predictions_digest. ``model_bytes`` is the
        fitted model's pickled size, ``n_predicted`` the test rows predicted in
        ``predict_seconds`` (None when unknown). ``energy_wh``: the trial's CPU seconds at
        ``costs.watts_per_core`` (an estimate; default 10 W per core); ``co2_g``: its
        emissions, when ``costs.co2_g_per_kwh`` is set.
        """
        import pandas as pd

        from dataroi.spec import CostSpec
        from dataroi.trial import trials_frame

        frame = trials_frame(self.snapshots(check_data=check_data), self.spec.metrics)
        costs = self.spec.costs or CostSpec()
        cpu = pd.to_numeric(frame.get("cpu_seconds", pd.Series(index=frame.index,
                                                                dtype=float)),
                            errors="coerce")
        frame["energy_wh"] = cpu * costs.watts_per_core / 3600.0
        if costs.co2_g_per_kwh is not None:
            frame["co2_g"] = frame["energy_wh"] / 1000.0 * costs.co2_g_per_kwh
        return frame

    def status(self, *, check_data: bool = False) -> StudyStatus:
        """Trial counts of the current plan by state and model (never writes).

        Fast by default: it reads the ledger only (see :meth:`snapshots`). A study whose
        SQLite ledger does not exist yet has every trial "not planned yet".
        """
        self._context_fingerprint = ""
        path = _sqlite_path(self.ledger_url)
        if path is not None and not Path(path).exists():
            plan = self.plan()
            counts = {s.value: 0 for s in TrialState} | {"not planned yet": plan.n_trials}
            return StudyStatus(
                name=self.spec.name, ledger_url=self.ledger_url, fingerprint="",
                counts=counts,
                per_model={m: {s.value: 0 for s in TrialState} for m in plan.models},
                owners={}, contexts=0)
        ledger, ctx, plan = self._current(check_data=check_data)
        with ledger:
            rows = [] if ctx is None else ledger.trial_counts(
                ctx["context_id"], model_hashes=plan.model_hashes, sizes=plan.sizes,
                repeats=plan.repeats)
            study_id = ledger.get_study_id(self.spec.name)
            n_ctx = len(ledger.list_contexts(study_id)) if study_id is not None else 0
            adaptive = None if ctx is None else _adaptive_status(
                ledger.list_documents(ADAPTIVE_DOCUMENT, study_id=study_id,
                                      context_id=ctx["context_id"]), plan)
        counts = {s.value: 0 for s in TrialState}
        per_model: dict[str, dict[str, int]] = {
            m: {s.value: 0 for s in TrialState} for m in plan.models}
        owners: Counter[str] = Counter()
        for model, state, owner, n in rows:
            counts[state.value] += n
            per_model[model][state.value] += n
            if state is TrialState.RUNNING:
                owners[str(owner)] += n
        counts["not planned yet"] = plan.n_trials - sum(n for *_, n in rows)
        return StudyStatus(name=self.spec.name, ledger_url=self.ledger_url,
                           fingerprint=(self._data().fingerprint if check_data
                                        else self._context_fingerprint), counts=counts,
                           per_model=per_model, owners=dict(owners), contexts=n_ctx,
                           adaptive=adaptive)

    def analyze(self, *, metric: str | None = None, check_data: bool = False,
                n_draws: int = 2000, random_state: int | None = None,
                curves: Any = None) -> Analysis:
        """The :class:`~dataroi.analysis.Analysis` of this study's trials (reads them once).

        The analysis keeps one ledger connection open for the documents it reads and the
        recommendation it may save; use it as a context manager (or ``close()`` it).

        Args:
            metric: the metric (default: ``decision.metric``, else the primary metric).
            check_data: load and fingerprint the data, and analyze only trials of exactly
                this data (default: the latest data version recorded for this spec).
            n_draws: joint curve draws per model.
            random_state: root seed of the fits and draws (default: the spec's seed).
            curves: how curves continue beyond today: ``"learned"``, ``"fitted"``, a
                gain model file (default: ``decision.curves``; see
                :class:`~dataroi.analysis.Analysis`).

        Raises:
            UsageError: no ledger yet or no finished trial (run the study first), or an
                unknown metric.
        """
        from dataroi.analysis import Analysis, StudyContext
        from dataroi.trial import subset_seed, trials_frame

        try:
            ledger, ctx, plan = self._current(check_data=check_data)
        except LedgerError as exc:
            raise UsageError(f"no finished trials to analyze; run the study first "
                             f"(`dataroi run SPEC`): {exc}") from None
        try:
            snaps = [] if ctx is None else ledger.get_trials(
                ctx["context_id"], model_hashes=plan.model_hashes, sizes=plan.sizes,
                repeats=plan.repeats)
            root = self.spec.schedule.seed
            context = StudyContext(
                name=self.spec.name, spec=self.spec, snapshots=tuple(snaps), store=ledger,
                ledger_url=self.ledger_url, workdir=self.workdir, context=ctx,
                artifacts_dir=self.artifacts_dir,
                study_id=None if ctx is None else ctx.get("study_id"),
                n_planned=plan.n_trials, prepare=self._data,
                default_ledger=self.ledger_url == _default_ledger_url(self.spec),
                subset_seed=lambda repeat: subset_seed(root, repeat))
            return Analysis(trials_frame(snaps, self.spec.metrics), metric=metric,
                            random_state=root if random_state is None else random_state,
                            n_draws=n_draws, context=context, curves=curves)
        except BaseException:
            ledger.close()
            raise

    def followup(self, *, n_draws: int = 2000, save: bool = True) -> list[FollowUp]:
        """Check earlier recommendations' forecasts against today's measurements.

        For every earlier data version (ledger context) of this study with a saved
        recommendation (``dataroi plan`` saves one), the latest one is taken as the
        decision made; its forecasts are recomputed from that version's own trials (the
        same fits and seeded draws the recommendation was made from) at the size the
        latest data version measured, and compared with the measurement there
        (:func:`~dataroi.decide.check_forecasts`). Each follow-up is recorded once in
        the ledger (a ``followup`` document); asking again returns the recorded one.

        Args:
            n_draws: curve draws per model (as ``analyze``).
            save: record each follow-up in the ledger.

        Returns:
            One :class:`~dataroi.decide.FollowUp` per earlier recommendation, oldest
            first; empty when there is none.

        Raises:
            UsageError: no ledger or no finished trial on the latest data, or the data
                has not grown since any earlier recommendation (another split or seed
                alone is skipped when another version did grow).
        """
        from dataroi import __version__
        from dataroi.analysis import Analysis, StudyContext
        from dataroi.decide import FollowUp, check_forecasts, forecasts_at, measured_today
        from dataroi.spec import canonical_hash
        from dataroi.study._followup import sampling_noise
        from dataroi.trial import trials_frame

        out: list[FollowUp] = []
        with self.analyze(n_draws=n_draws) as now:
            ctx, store = now.context, now.context.store if now.context else None
            if ctx is None or store is None or ctx.context is None:
                raise UsageError("no finished trials to follow up on; run the study first "
                                 "(`dataroi run SPEC`)")
            now_id = int(ctx.context["context_id"])
            curves_now = now.curves
            n_now = curves_now.current_n
            contexts = [c for c in store.list_contexts(int(ctx.study_id or 0))
                        if c["context_id"] != now_id and c["created_at"]
                        <= ctx.context["created_at"]]
            stale: list[str] = []
            for old in contexts:
                recs = store.list_documents("recommendation", study_id=ctx.study_id,
                                            context_id=old["context_id"])
                if not recs:
                    continue
                doc = recs[-1]  # the latest recommendation made on that data: the one taken
                rec = doc["payload"]
                n_then = int(rec["current_n"])
                if n_now <= n_then:  # another split or seed, not more data: nothing to check
                    stale.append(f"recommendation {doc['document_id']} ({n_then:,} labels "
                                 f"then, {n_now:,} now)")
                    continue
                h = canonical_hash({"recommendation": doc["document_id"], "context": now_id})
                done = store.list_documents("followup", context_id=now_id, content_hash=h)
                if done:
                    out.append(FollowUp.from_dict(done[-1]["payload"],
                                                  document_id=done[-1]["document_id"]))
                    continue
                snaps = store.get_trials(int(old["context_id"]))
                then_ctx = StudyContext(
                    name=self.spec.name, spec=self.spec, snapshots=tuple(snaps), store=None,
                    ledger_url=self.ledger_url, workdir=self.workdir, context=old,
                    artifacts_dir=self.artifacts_dir, study_id=ctx.study_id,
                    n_planned=len(snaps))
                then = Analysis(trials_frame(snaps, self.spec.metrics), metric=rec["metric"],
                                random_state=self.spec.schedule.seed, n_draws=n_draws,
                                context=then_ctx)
                curves_then = then.curves
                notes: list[str] = []
                chosen = rec["chosen"]
                if curves_then.input_hash != (rec.get("hashes") or {}).get("trials",
                                                                             curves_then.input_hash):
                    notes.append("the earlier trials read now differ from those the "
                                 "recommendation was made from (hash mismatch)")
                forecasts, sources = forecasts_at(rec, curves_then, n_now, n_draws=n_draws)
                measured = measured_today(curves_now)
                missing = sorted(set(forecasts) - set(measured))
                if missing:
                    notes.append(f"not measured on the new data: {', '.join(missing)}")
                planned = int(chosen["n_total"])
                if planned != n_now and int(chosen["delta_n"]) > 0:
                    notes.append(f"the plan was {planned:,} labels in all; {n_now:,} were "
                                 f"measured: the forecasts are checked at {n_now:,}")
                costs = self.spec.costs
                if costs is not None and (rec.get("hashes") or {}).get("costs") not in (
                        None, canonical_hash(costs.to_dict())):
                    notes.append("the costs: section changed since the recommendation: "
                                 "money is valued at today's prices")
                stay = not chosen["switch"] and int(chosen["delta_n"]) == 0
                test_sd, sd_note = sampling_noise(self.spec, curves_then, curves_now, old,
                                                  ctx.context)
                if sd_note:
                    notes.append(sd_note)
                shift = _class_shift(then_ctx, ctx)
                if shift:
                    notes.append(shift)
                checks = check_forecasts(
                    chosen_model=chosen["model"], current_model=rec["current_model"],
                    today=float(rec["today"]), n_then=n_then, n_now=n_now,
                    forecasts=forecasts, sources=sources, measured=measured,
                    higher_is_better=curves_then.higher_is_better, costs=costs,
                    expected_net_usd=chosen.get("net_mean_usd"), chose_stay=stay,
                    test_sd=test_sd)
                fu = FollowUp(
                    study=self.spec.name, recommendation_id=int(doc["document_id"]),
                    made_at=str(doc["created_at"]), first_step=str(rec.get("first_step")),
                    metric=str(rec["metric"]), current_model=str(rec["current_model"]),
                    today=float(rec["today"]), chosen_model=str(chosen["model"]),
                    planned_n=planned, chose_stay=stay, n_then=n_then, n_now=n_now,
                    checks=tuple(checks), notes=tuple(notes))
                if save:
                    payload = fu.to_dict() | {"dataroi_version": __version__,
                                              "context_then": int(old["context_id"])}
                    doc_id = store.record_document("followup", payload,
                                                   study_id=ctx.study_id,
                                                   context_id=now_id, content_hash=h)
                    fu = dataclasses.replace(fu, document_id=doc_id)
                out.append(fu)
        if stale and not out:
            raise UsageError(
                f"the data has not grown since {'; '.join(stale)}: a follow-up checks a "
                "forecast at more labels (add the new labeled rows to the data and "
                "`dataroi run SPEC` first)")
        return out

    def register(self, decision: DecisionSpec | None = None) -> Registration:
        """Pre-register the decision rule (default: the spec's ``decision:``): its hash
        with a timestamp in the ledger (created if needed), before ``run``.

        Raises:
            UsageError: the spec has no decision rule.
        """
        from dataroi.decide import register_decision_rule, study_first_result_at

        spec = self.spec
        with self._open(create=True) as ledger:
            return register_decision_rule(
                ledger, study=spec.name, spec_hash=spec.spec_hash,
                spec_text=spec.source_text or repr(spec.to_dict()),
                decision=decision if decision is not None else spec.decision,
                metric=spec.metrics[0], costs=spec.costs,
                first_result=study_first_result_at(ledger, ledger.get_study_id(spec.name)))

    def reproduce(self, *, sample: int = 5, seed: int = 0) -> dict[str, Any]:
        """Re-run ``sample`` finished trials here and compare every metric exactly.

        Returns a summary dictionary (also stored in the ledger): the trials checked,
        metrics that differ, prediction digests that differ, and environment changes.
        """
        from dataroi.study._reproduce import reproduce_trials

        return reproduce_trials(self, sample=sample, seed=seed)


def _adaptive_status(docs: Sequence[Mapping[str, Any]], plan: Plan) -> dict[str, Any] | None:
    """The latest look of the adaptive runs recorded in ``docs`` (``adaptive_step``
    documents of one data version, oldest first), and how many of ``plan``'s trials they
    asked for (None: no adaptive run).

    Example:
        >>> from types import SimpleNamespace
        >>> plan = SimpleNamespace(models=["a"], sizes=[10, 20], repeats=2)
        >>> docs = [{"payload": {"step": 1, "recommendation": "a+0", "label": "keep a",
        ...          "stability": 0.97, "stop_reason": "stable",
        ...          "asked": [{"model": "a", "n_train": 20, "repeat": r} for r in (0, 1)]}}]
        >>> st = _adaptive_status(docs, plan)
        >>> st["asked"], st["grid_trials"], st["stop_reason"]
        (2, 4, 'stable')
    """
    if not docs:
        return None
    grid = {(m, int(s), r) for m in plan.models for s in plan.sizes
            for r in range(plan.repeats)}
    asked = {(str(c.get("model")), int(c.get("n_train", -1)), int(c.get("repeat", -1)))
             for d in docs for c in d["payload"].get("asked", ())}
    last = docs[-1]["payload"]
    return {"looks": int(last.get("step", 0)), "recommendation": last.get("recommendation"),
            "label": last.get("label"), "stability": last.get("stability"),
            "expected_loss": last.get("expected_loss"),
            "expected_loss_unit": last.get("expected_loss_unit"),
            "stop_reason": last.get("stop_reason"), "asked": len(asked & grid),
            "grid_trials": len(grid)}


def _class_shift(then: Any, now: Any) -> str:
    """The follow-up's note on moved class shares (:func:`~dataroi.study._followup.
    class_shift`) from the two contexts' kept test labels; empty for a regression, or
    when either set's labels are not kept."""
    from dataroi.study._followup import class_shift

    desc_then = (then.context or {}).get("description") or {}
    desc_now = (now.context or {}).get("description") or {}
    if not desc_then.get("classes") or not desc_now.get("classes"):
        return ""
    y_then, y_now = then.kept_test_labels(), now.kept_test_labels()
    if y_then is None or y_now is None:
        return ""
    return class_shift(desc_then["classes"], y_then, desc_now["classes"], y_now)


def _seconds(snap: TrialSnapshot) -> float:
    """A finished trial's fit + predict seconds as the ledger recorded them (0: none)."""
    return float(snap.extra.get("fit_seconds") or 0.0) + float(
        snap.extra.get("predict_seconds") or 0.0)


def _sqlite_path(url: str) -> str | None:
    if url.startswith("sqlite:///"):
        rest = url[len("sqlite:///"):]
        return rest if rest and rest != ":memory:" else None
    if "://" in url:
        return None
    return str(Path(url))


def _default_ledger_url(spec: StudySpec) -> str:
    try:
        return resolve_ledger_url(spec, None)
    except UsageError:
        return ""


def resolve_ledger_url(spec: StudySpec, explicit: str | None) -> str:
    """The ledger to use: explicit > $DATAROI_LEDGER > spec.ledger > beside the spec."""
    return ledger_location(explicit or os.environ.get("DATAROI_LEDGER") or spec.ledger,
                           spec.base_dir)


def ledger_location(url: str | None, base_dir: str | os.PathLike[str]) -> str:
    """The ledger ``url`` names for a spec in ``base_dir``: ``.dataroi/ledger.db`` there
    when None, a path with ``~`` expanded and relative to ``base_dir``, or a URL as it is.

    Raises:
        UsageError: a URL of another scheme than SQLite or PostgreSQL.

    Example:
        >>> ledger_location(None, "/work/study")
        '/work/study/.dataroi/ledger.db'
        >>> ledger_location("runs/ledger.db", "/work/study")
        '/work/study/runs/ledger.db'
    """
    if not url:
        return str(Path(base_dir) / ".dataroi" / "ledger.db")
    if "://" not in url:
        p = Path(os.path.expanduser(url))
        return str(p if p.is_absolute() else Path(base_dir) / p)
    if url.startswith("sqlite") and "://" in url:
        return url
    if not url.startswith(("postgresql", "postgres")):
        raise UsageError(f"unsupported ledger URL '{url}'; use a file path, sqlite:///PATH or "
                         "postgresql://USER@HOST/DB")
    return url

