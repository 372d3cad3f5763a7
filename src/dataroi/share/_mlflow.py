"""``dataroi export SPEC --mlflow URI``: a study in an MLflow tracking store.

Teams already look at their experiments in MLflow. One export logs:

* a **parent run** (the study): the spec's models, sizes, repeats, seed and metrics as
  parameters; the spec hash, the data fingerprint, the context hash and dataroi's version
  as tags; every model's learning curve as metric histories
  (``<model>.<metric>`` with the training-set size as the step, so the MLflow UI plots the
  curve), and the recommendation's headline and P(net > 0) when the spec prices labels;
  the report (HTML and JSON) as artifacts;
* one **child run per (model, size) cell**: the model, its estimator and the size as
  parameters; per metric the mean over the repeats, its standard deviation, the 95 %
  interval dataroi's own tables show (:func:`dataroi.trial.summary_frame`: the repeats and
  the test set's sampling noise) and every repeat's value (a history, the repeat as the
  step); fit, predict
  and CPU seconds, model size, failed trials.

MLflow compares point values; the interval columns are what its evaluation gates lack.
An export is logged once: a second export of the same trials is refused (the parent run
carries the trials' digest as ``dataroi.export_key``) unless ``force``. MLflow's client
is an optional extra (``pip install 'dataroi[mlflow]'``); its file store is deprecated,
so a local store is a SQLite file (``sqlite:///mlflow.db``) whose artifacts go beside it
(``mlartifacts/``).

Example:
    >>> check_tracking_uri("sqlite:///no/such/folder/mlflow.db")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    dataroi.exceptions.UsageError: --mlflow sqlite:///no/such/folder/mlflow.db: the folder ...
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import math
import os
import tempfile
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from dataroi.exceptions import UsageError

__all__ = ["MlflowResult", "check_tracking_uri", "log_to_mlflow"]

#: schemes of a tracking store the export can log to
_REMOTE = ("http://", "https://", "databricks")
_DATABASES = ("sqlite:", "postgresql:", "postgresql+", "mysql:", "mysql+", "mssql:")
#: MLflow's limits on one ``log_batch``
_BATCH_METRICS = 1000
_BATCH_PARAMS = 100


@dataclass(frozen=True)
class MlflowResult:
    """What :func:`log_to_mlflow` logged.

    Attributes:
        tracking_uri: the store.
        experiment: the experiment's name; ``experiment_id`` its id.
        run_id: the parent run (the study).
        child_runs: one per (model, size) cell.
        metrics: metric values logged (every run, every step).
        seconds: time taken.
        notes: what the user should know.
    """

    tracking_uri: str
    experiment: str
    experiment_id: str
    run_id: str
    child_runs: int
    metrics: int
    seconds: float
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """Plain data (``dataroi export --mlflow URI --json``)."""
        return {"tracking_uri": self.tracking_uri, "experiment": self.experiment,
                "experiment_id": self.experiment_id, "run_id": self.run_id,
                "child_runs": self.child_runs, "metrics": self.metrics,
                "seconds": self.seconds, "notes": list(self.notes)}


def _require_mlflow() -> None:
    try:
        import mlflow  # noqa: F401
    except ImportError:
        raise UsageError("--mlflow needs MLflow's client: pip install 'dataroi[mlflow]' "
                         "(or mlflow-skinny)") from None


def check_tracking_uri(uri: str) -> str:
    """Refuse, before any work, a tracking URI the export cannot log to; return the URI
    to use (a plain path to a ``.db`` file becomes ``sqlite:///`` of its absolute path).

    A SQLite store's folder must exist (a typo must not create folders) and an existing
    file must be a SQLite database; MLflow's file store (a folder, ``file:``) is
    deprecated and refused with the URI to use instead. Remote stores (``http(s)://``,
    ``databricks``) and other databases are checked by MLflow when the export connects.

    Raises:
        UsageError: MLflow's client not installed, an empty URI, an unknown scheme, a
            folder that does not exist, a file that is not a SQLite database, a file
            store.

    Example:
        >>> check_tracking_uri("http://127.0.0.1:5000")
        'http://127.0.0.1:5000'
        >>> try:
        ...     check_tracking_uri("mlruns/")
        ... except UsageError as exc:
        ...     print(str(exc)[:63])
        --mlflow mlruns/: MLflow's file store (a folder) is deprecated;
    """
    _require_mlflow()
    text = (uri or "").strip()
    if not text:
        raise UsageError("--mlflow needs a tracking URI, e.g. --mlflow sqlite:///mlflow.db "
                         "or --mlflow http://127.0.0.1:5000")
    if text.startswith(_REMOTE) or (text.startswith(_DATABASES)
                                    and not text.startswith("sqlite:")):
        return text
    if text.startswith("sqlite:"):
        if not text.startswith("sqlite:///"):
            raise UsageError(f"--mlflow {uri}: a SQLite store is sqlite:///relative/path.db "
                             "or sqlite:////absolute/path.db")
        path = Path(text[len("sqlite:///"):])
    elif "://" in text or text.startswith("file:"):
        if text.startswith("file:"):
            raise UsageError(f"--mlflow {uri}: MLflow's file store is deprecated; log to a "
                             "SQLite file instead, e.g. --mlflow sqlite:///mlflow.db")
        raise UsageError(f"--mlflow {uri}: not a tracking URI dataroi knows (sqlite:///, "
                         "postgresql://, mysql://, http(s)://, databricks)")
    elif text.endswith(("/", os.sep)) or Path(text).is_dir():
        raise UsageError(f"--mlflow {uri}: MLflow's file store (a folder) is deprecated; "
                         f"log to a SQLite file instead, e.g. --mlflow "
                         f"sqlite:///{(Path(text) / 'mlflow.db').as_posix()}")
    else:
        path = Path(text)
        if path.suffix.lower() not in (".db", ".sqlite", ".sqlite3"):
            raise UsageError(f"--mlflow {uri}: name a SQLite file (.db) or a tracking URI, "
                             "e.g. --mlflow sqlite:///mlflow.db")
        text = f"sqlite:///{path.resolve().as_posix()}"
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise UsageError(f"--mlflow {uri}: the folder {parent} does not exist")
    if path.is_dir():
        raise UsageError(f"--mlflow {uri}: {path} is a folder; name a SQLite file in it")
    if path.exists() and path.stat().st_size:
        with path.open("rb") as fh:
            if fh.read(16) != b"SQLite format 3\x00":
                raise UsageError(f"--mlflow {uri}: {path} exists and is not a SQLite "
                                 "database")
    return text


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """MLflow's INFO lines (creating tables...) and its dependencies' deprecation
    warnings are not the user's business: silenced while logging."""
    loggers = [logging.getLogger(n) for n in ("mlflow", "alembic")]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.WARNING)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        for lg, level in zip(loggers, levels, strict=True):
            lg.setLevel(level)


def _artifact_location(uri: str) -> str | None:
    """Where a new experiment's artifacts go: beside a SQLite store (``mlartifacts/``;
    MLflow's default is ``./mlruns`` of whatever folder the command ran in); the
    server's choice for the others."""
    if not uri.startswith("sqlite:///"):
        return None
    return (Path(uri[len("sqlite:///"):]).resolve().parent / "mlartifacts").as_uri()


def _export_key(trials: pd.DataFrame, context_hash: str) -> str:
    """The digest of what is logged: the context and every trial's id, state, metric
    and value (the same trials export to the same key)."""
    cols = [c for c in ("trial_id", "state", "metric", "value") if c in trials]
    rows = trials[cols].sort_values(cols[:3]).astype(str).to_csv(index=False)
    return hashlib.sha256((context_hash + "\n" + rows).encode()).hexdigest()[:32]


def _intervals(trials: pd.DataFrame, primary: str, boot: Any
               ) -> dict[tuple[str, str, int], tuple[float, float]]:
    """(metric, model, size) → the 95 % interval dataroi's own tables show
    (:func:`dataroi.trial.summary_frame`: the repeats and the test set's sampling noise,
    within the metric's range); the test-set bootstrap ``boot`` is the primary metric's."""
    from dataroi.trial import summary_frame

    out = {}
    for metric in trials["metric"].dropna().unique():
        frame = summary_frame(trials, str(metric), boot if metric == primary else None)
        for r in frame.itertuples():
            out[(str(metric), str(r.model), int(r.n_train))] = (r.ci_low, r.ci_high)
    return out


def _finite(v: Any) -> bool:
    return v is not None and isinstance(v, int | float | np.number) and math.isfinite(v)


def _cell_metrics(cell: pd.DataFrame, now: int,
                  intervals: dict[tuple[str, str, int], tuple[float, float]]) -> list[Any]:
    """The metrics of one (model, size) cell (complete trials)."""
    from mlflow.entities import Metric

    out: list[Metric] = []
    done = cell[cell["state"] == "complete"]
    for metric, g in done.groupby("metric", sort=True):
        vals = g.sort_values("repeat")
        v = vals["value"].to_numpy(float)
        v = v[np.isfinite(v)]
        if not len(v):
            continue
        lo, hi = intervals.get((str(metric), str(g["model"].iloc[0]),
                                int(g["n_train"].iloc[0])), (math.nan, math.nan))
        stats = {f"{metric}": float(v.mean()), f"{metric}_sd":
                 float(v.std(ddof=1)) if len(v) > 1 else math.nan,
                 f"{metric}_ci95_low": lo, f"{metric}_ci95_high": hi,
                 f"{metric}_repeats": float(len(v))}
        out += [Metric(k, x, now, 0) for k, x in stats.items() if _finite(x)]
        out += [Metric(f"{metric}_by_repeat", float(x), now, int(r))
                for r, x in zip(vals["repeat"], vals["value"], strict=True) if _finite(x)]
    first = done.drop_duplicates("trial_id") if "trial_id" in done else done
    extra = {"fit_seconds": "fit_seconds", "cpu_seconds": "cpu_seconds"}
    for col, name in extra.items():
        if col in first and first[col].notna().any():
            out.append(Metric(name, float(first[col].mean()), now, 0))
    if {"predict_seconds", "n_predicted"} <= set(first) and first["n_predicted"].gt(0).any():
        ok = first[first["n_predicted"] > 0]
        ms = float((1000 * ok["predict_seconds"] / ok["n_predicted"] * 1000).mean())
        if math.isfinite(ms):
            out.append(Metric("predict_ms_per_1k", ms, now, 0))
    if "model_bytes" in first and first["model_bytes"].notna().any():
        out.append(Metric("model_mb", float(first["model_bytes"].mean()) / 1e6, now, 0))
    trials = cell.drop_duplicates("trial_id") if "trial_id" in cell else cell
    out.append(Metric("failed_trials", float((trials["state"] == "failed").sum()), now, 0))
    return out


def _curve_metrics(trials: pd.DataFrame, now: int) -> list[Any]:
    """Each model's learning curve: ``<model>.<metric>`` = the mean over repeats, the
    training-set size as the step."""
    from mlflow.entities import Metric

    done = trials[trials["state"] == "complete"]
    means = done.groupby(["model", "metric", "n_train"], sort=True)["value"].mean()
    return [Metric(f"{m}.{metric}", float(v), now, int(n))
            for (m, metric, n), v in means.items() if _finite(v)]


def _log_batched(client: Any, run_id: str, *, metrics: list[Any] = (),
                 params: list[Any] = ()) -> None:
    metrics, params = list(metrics), list(params)
    for i in range(0, max(len(metrics), 1), _BATCH_METRICS):
        chunk = metrics[i:i + _BATCH_METRICS]
        if chunk:
            client.log_batch(run_id, metrics=chunk)
    for i in range(0, len(params), _BATCH_PARAMS):
        client.log_batch(run_id, params=params[i:i + _BATCH_PARAMS])


def _param(key: str, value: Any) -> Any:
    from mlflow.entities import Param

    text = str(value)
    return Param(key, text if len(text) <= 6000 else text[:5997] + "...")


def log_to_mlflow(spec: str | os.PathLike[str], tracking_uri: str, *,
                  ledger: str | None = None, experiment: str | None = None,
                  force: bool = False) -> MlflowResult:
    """Log the study of ``spec`` to the MLflow tracking store ``tracking_uri``.

    Args:
        spec: the study spec (YAML file).
        tracking_uri: the store (``sqlite:///mlflow.db``, ``http://host:5000``...; a
            path to a ``.db`` file is a SQLite store).
        ledger: ledger URL or path (default: the spec's).
        experiment: the MLflow experiment (default: the study's name; created if new).
        force: log again trials an earlier export logged.

    Returns:
        An :class:`MlflowResult` (the parent run's id).

    Raises:
        UsageError: MLflow not installed, a bad URI, a study with no finished trial, the
            same trials logged already (without ``force``), or a store MLflow cannot use.
    """
    import dataroi

    t0 = time.perf_counter()
    uri = check_tracking_uri(tracking_uri)  # MLflow installed, the URI usable
    study = dataroi.load_study(spec, ledger=ledger, build_models=False)
    status = study.status()
    if not status.counts.get("complete", 0):
        raise UsageError(f"nothing to log: study {study.spec.name!r} has no complete trial "
                         f"in {study.ledger_url}; run it first: dataroi run {spec}")
    notes: list[str] = []
    with study.analyze() as analysis:
        trials = analysis.trials
        intervals = _intervals(trials, analysis.metric, analysis.curves.test_boot)
        hashes = analysis.context.hashes() if analysis.context is not None else {}
        report = analysis.report(spec_path=Path(spec).name, output="report.html")
        answer = ((report.document.get("sections") or {}).get("answer") or {})
        html, doc = report.to_html(), report.to_json()
    key = _export_key(trials, hashes.get("context", ""))
    name = experiment or study.spec.name
    from mlflow.exceptions import MlflowException
    from mlflow.tracking import MlflowClient

    try:
        with _quiet():
            return _log(MlflowClient(tracking_uri=uri), uri, name, study, trials, hashes,
                        key, answer, html, doc, force, notes, t0, intervals)
    except MlflowException as exc:
        first = str(exc.message if hasattr(exc, "message") else exc).strip().splitlines()
        raise UsageError(f"--mlflow {tracking_uri}: MLflow refused: "
                         f"{first[0] if first else type(exc).__name__}") from None


def _log(client: Any, uri: str, name: str, study: Any, trials: pd.DataFrame,
         hashes: dict[str, str], key: str, answer: dict[str, Any], html: str, doc: str,
         force: bool, notes: list[str], t0: float,
         intervals: dict[tuple[str, str, int], tuple[float, float]]) -> MlflowResult:
    import dataroi

    exp = client.get_experiment_by_name(name)
    exp_id = exp.experiment_id if exp is not None else client.create_experiment(
        name, artifact_location=_artifact_location(uri))
    earlier = client.search_runs([exp_id], filter_string=f"tags.`dataroi.export_key` = "
                                 f"'{key}'", max_results=1)
    if earlier and not force:
        raise UsageError(f"these trials of study {study.spec.name!r} are logged already in "
                         f"{uri} (experiment {name!r}, run {earlier[0].info.run_id}); "
                         "--force logs them again")
    spec = study.spec
    now = int(time.time() * 1000)
    tags = {"dataroi.study": spec.name, "dataroi.version": dataroi.__version__,
            "dataroi.export_key": key, "dataroi.spec_hash": spec.spec_hash,
            "dataroi.data_fingerprint": hashes.get("data_fingerprint", ""),
            "dataroi.context_hash": hashes.get("context", ""),
            "dataroi.seed": str(spec.schedule.seed), "dataroi.data_source": spec.data.source}
    if answer.get("headline"):
        tags["dataroi.recommendation"] = str(answer["headline"])[:5000]
    if answer.get("paragraph"):
        tags["mlflow.note.content"] = str(answer["paragraph"])
    parent = client.create_run(exp_id, run_name=spec.name, tags=tags)
    pid = parent.info.run_id
    n_metrics, children = 0, 0
    try:
        sizes = sorted(int(n) for n in trials["n_train"].unique())
        params = [_param("models", ", ".join(m.name for m in spec.models)),
                  _param("metrics", ", ".join(spec.metrics)),
                  _param("sizes", ", ".join(map(str, sizes))),
                  _param("repeats", spec.schedule.repeats), _param("seed", spec.schedule.seed),
                  _param("data", spec.data.source), _param("trials", len(
                      trials.drop_duplicates("trial_id") if "trial_id" in trials else trials))]
        params += [_param(f"model.{m.name}", m.estimator or m.factory or m.pipeline or "")
                   for m in spec.models]
        curve = _curve_metrics(trials, now)
        rows = answer.get("options") or []
        chosen = next((r for r in rows if r.get("role") == "recommended"), None)
        if chosen and _finite(chosen.get("p_net_positive")):
            from mlflow.entities import Metric

            curve.append(Metric("recommendation.p_net_positive",
                                float(chosen["p_net_positive"]), now, 0))
        _log_batched(client, pid, metrics=curve, params=params)
        n_metrics += len(curve)
        estimators = {m.name: m.estimator or m.factory or m.pipeline or "" for m in spec.models}
        for (model, n), cell in trials.groupby(["model", "n_train"], sort=True):
            run = client.create_run(exp_id, run_name=f"{model} @ {int(n):,}", tags={
                "mlflow.parentRunId": pid, "dataroi.study": spec.name,
                "dataroi.model": str(model), "dataroi.n_train": str(int(n))})
            metrics = _cell_metrics(cell, now, intervals)
            seeds = sorted({int(s) for s in cell.get("seed", pd.Series([], dtype=float))
                            .dropna()})
            _log_batched(client, run.info.run_id, metrics=metrics, params=[
                _param("model", model), _param("estimator", estimators.get(str(model), "")),
                _param("n_train", int(n)), _param("seeds", ", ".join(map(str, seeds)))])
            client.set_terminated(run.info.run_id, "FINISHED")
            n_metrics += len(metrics)
            children += 1
        with tempfile.TemporaryDirectory(prefix="dataroi-mlflow-") as tmp:
            for fname, text in (("report.html", html), ("report.json", doc)):
                path = Path(tmp) / fname
                path.write_text(text, encoding="utf-8")
                client.log_artifact(pid, str(path))
        client.set_terminated(pid, "FINISHED")
    except BaseException:
        with contextlib.suppress(Exception):
            client.set_terminated(pid, "FAILED")
        raise
    return MlflowResult(tracking_uri=uri, experiment=name, experiment_id=str(exp_id),
                        run_id=pid, child_runs=children, metrics=n_metrics,
                        seconds=time.perf_counter() - t0, notes=notes)
