"""``dataroi export``: a study as one zip file that another machine can verify.

The bundle holds the spec, the study's ledger rows as Parquet, the trials' stored
predictions, the report (HTML and JSON), an environment lock, the data's fingerprint,
the project modules the models name, a manifest with every member's SHA-256 and, with
``with_data``, the data file(s). Data rows are never embedded otherwise: the ledger rows,
the predictions and the report hold scores, predictions, column names and class labels,
not the table's values (see ``docs/sharing.md``).

Example:
    >>> import tempfile, os, dataroi
    >>> d = tempfile.mkdtemp()
    >>> spec = os.path.join(d, "study.yaml")
    >>> _ = open(spec, "w").write("name: iris\\ndata: sklearn:iris\\nmodels:\\n"
    ...     "  lr: sklearn.linear_model.LogisticRegression\\n"
    ...     "schedule: {sizes: [30, 60], repeats: 1}\\n")
    >>> _ = dataroi.load_study(spec).run(jobs=1, progress=False)
    >>> result = export_study(spec, os.path.join(d, "iris.zip"))
    >>> result.n_trials, result.n_artifacts, result.path.name
    (2, 2, 'iris.zip')
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dataroi.data import is_builtin_source, resolve_path
from dataroi.exceptions import UsageError
from dataroi.share._bundle import (
    ARTIFACTS_DIR,
    CODE_DIR,
    DATA_FILES,
    DATA_NOTE,
    FINGERPRINT,
    LEDGER_DIR,
    LOCK,
    REPORT_HTML,
    REPORT_JSON,
    REQUIREMENTS,
    SPEC_DIR,
    write_bundle,
)

if TYPE_CHECKING:
    import pyarrow as pa

    from dataroi.spec import StudySpec
    from dataroi.study import Study

__all__ = ["ExportResult", "check_bundle_output", "export_study"]


@dataclass(frozen=True)
class ExportResult:
    """What :func:`export_study` wrote.

    Attributes:
        path: the bundle.
        bytes: its size.
        members: its members (besides the manifest).
        n_trials: trial rows bundled (every context of the study).
        n_artifacts: stored predictions bundled (distinct files: trials with identical
            predictions share one).
        n_predicted_trials: trial rows whose predictions are bundled.
        seconds: time taken.
        notes: what the user should know (predictions missing, a built-in data set...).
    """

    path: Path
    bytes: int
    members: int
    n_trials: int
    n_artifacts: int
    seconds: float
    notes: list[str] = field(default_factory=list)
    n_predicted_trials: int = 0

    def to_dict(self) -> dict[str, Any]:
        """Plain data (``dataroi export --json``)."""
        return {"path": str(self.path), "bytes": self.bytes, "members": self.members,
                "n_trials": self.n_trials, "n_artifacts": self.n_artifacts,
                "n_predicted_trials": self.n_predicted_trials,
                "seconds": self.seconds, "notes": list(self.notes)}


def check_bundle_output(path: str | os.PathLike[str], *, force: bool = False) -> Path:
    """Refuse, before any work, an output the bundle cannot be written to.

    Raises:
        UsageError: an empty name, a folder, a missing folder, a name that does not end
            in ``.zip``, or an existing file without ``force``.

    Example:
        >>> try:
        ...     check_bundle_output("study.tar")
        ... except UsageError as exc:
        ...     print(str(exc)[:44])
        -o study.tar: a bundle is a zip file; end th
    """
    from dataroi.report import check_output_path

    out = check_output_path(path)
    if out.suffix.lower() != ".zip":
        raise UsageError(f"-o {path}: a bundle is a zip file; end the name in .zip")
    if out.exists() and not force:
        raise UsageError(f"{out} exists; use --force to overwrite it")
    return out


def _data_fields(spec: StudySpec) -> list[tuple[str, str]]:
    """(field, value) of every data file the spec names."""
    out = [("data.source", spec.data.source)]
    if spec.split.test_file:
        out.append(("split.test_file", spec.split.test_file))
    return out


def _parquet(table: pa.Table) -> bytes:
    import pyarrow.parquet as pq

    buf = io.BytesIO()
    pq.write_table(table, buf, compression="zstd")
    return buf.getvalue()


def _code_files(spec: StudySpec) -> tuple[dict[str, bytes], list[str]]:
    """The files of the project modules the models name (and their packages'
    ``__init__``), by their path in the spec's folder; notes for those outside it."""
    from dataroi._imports import locate_module, split_import_path

    base = Path(spec.base_dir).resolve()
    files: dict[str, bytes] = {}
    notes: list[str] = []
    for model in spec.models:
        for path in model.import_paths():
            try:
                module = split_import_path(path)[0]
            except ImportError:
                continue
            origin = locate_module(module, search_path=spec.base_dir)
            if origin is None:
                continue  # a library: its version is in the lock
            where = Path(origin).resolve()
            if not where.is_relative_to(base):
                notes.append(f"model {model.name}: its module {module} ({where}) is outside "
                             "the spec's folder and is not bundled")
                continue
            folder = where.parent
            chain = [where]
            while folder != base and (folder / "__init__.py").is_file():
                chain.append(folder / "__init__.py")
                folder = folder.parent
            for file in chain:
                files[CODE_DIR + file.relative_to(base).as_posix()] = file.read_bytes()
    return files, notes


def _current_context(tables: dict[str, pa.Table], context_id: int | None
                     ) -> tuple[dict[str, Any], dict[str, Any]]:
    """The report's context row and its dataset version row."""
    ctxs = tables["contexts"].to_pylist()
    ctx = next((c for c in ctxs if c["id"] == context_id), ctxs[-1] if ctxs else None)
    if ctx is None:
        raise UsageError("the ledger holds no context for this study; run it first")
    dv = next(d for d in tables["dataset_versions"].to_pylist()
              if d["id"] == ctx["dataset_version_id"])
    return ctx, dv


def _fingerprint(ctx: dict[str, Any], dv: dict[str, Any]) -> dict[str, Any]:
    """``data/fingerprint.json``: what identifies the data (no data value)."""
    desc = json.loads(ctx["description"])
    return {"fingerprint": dv["fingerprint"], "source": dv["source"],
            "n_rows": dv["n_rows"], "n_columns": dv["n_columns"],
            "dtypes": json.loads(dv["dtypes"]), "context_id": ctx["id"],
            "context_hash": ctx["context_hash"], "target": desc.get("target"),
            "features": desc.get("features"), "split": desc.get("split"),
            "task": desc.get("task"), "pool_size": desc.get("pool_size"),
            "test_size": desc.get("test_size")}


def _data_members(study: Study, fingerprint: str) -> tuple[dict[str, bytes],
                                                          list[dict[str, Any]], list[str]]:
    """The data file(s) for ``--with-data``, checked to be the data the trials ran on.

    Raises:
        UsageError: a file is missing, or the data no longer has the study's fingerprint.
    """
    from dataroi.data import prepare_data

    spec = study.spec
    members: dict[str, bytes] = {}
    entries: list[dict[str, Any]] = []
    notes: list[str] = []
    for name, value in _data_fields(spec):
        if is_builtin_source(value):
            entries.append({"field": name, "value": value, "builtin": True})
            members[DATA_NOTE] = (
                f"{name}: {value} is a data set built into dataroi (it ships with "
                "scikit-learn): nothing to bundle; verify loads it from there.\n").encode()
            notes.append(f"{name} {value} is built in: the bundle holds a note, not a copy")
            continue
        path = resolve_path(value, spec.base_dir)
        if not path.is_file():
            raise UsageError(f"--with-data: {name} {value} is not a file ({path})")
        member = f"{DATA_FILES}{name}/{path.name}"
        members[member] = path.read_bytes()
        entries.append({"field": name, "value": value, "builtin": False, "member": member})
    now = prepare_data(spec).fingerprint
    if now != fingerprint:
        raise UsageError(f"--with-data: the data at {spec.data.source} has changed since the "
                         f"trials ran (fingerprint {fingerprint[:12]} → {now[:12]}): run the "
                         "study again, or export without --with-data")
    return members, entries, notes


def export_study(spec: str | os.PathLike[str], output: str | os.PathLike[str], *,
                 ledger: str | None = None, with_data: bool = False,
                 force: bool = False) -> ExportResult:
    """Write the study of ``spec`` as a bundle ``output`` (a zip file, atomically).

    Nothing is written unless everything needed was read: the output is checked first,
    then the study must have finished trials, and with ``with_data`` the data file(s)
    must still be the data the trials ran on (same fingerprint).

    Args:
        spec: the study spec (YAML file).
        output: the bundle to write (``.zip``).
        ledger: ledger URL or path (default: the spec's, as ``dataroi run`` uses).
        with_data: bundle the data file(s) (a note for a built-in data set).
        force: overwrite an existing ``output``.

    Raises:
        UsageError: a bad output, a missing spec, a study with no finished trial, data
            that changed since the run (with ``with_data``).
    """
    import dataroi
    from dataroi.artifacts import ArtifactStore
    from dataroi.ledger import head_revision, open_ledger, read_study_tables
    from dataroi.share._lock import capture_lock, requirements_text
    from dataroi.study import model_modules

    t0 = time.perf_counter()
    out = check_bundle_output(output, force=force)
    spec_path = Path(spec)
    study = dataroi.load_study(spec_path, ledger=ledger, build_models=False)
    status = study.status()
    finished = status.counts.get("complete", 0) + status.counts.get("failed", 0)
    if not finished:
        raise UsageError(f"nothing to export: study {study.spec.name!r} has no finished "
                         f"trial in {study.ledger_url}; run it first: dataroi run {spec}")
    notes: list[str] = []
    data_members: dict[str, bytes] = {}
    data_entries = [{"field": f, "value": v, "builtin": is_builtin_source(v)}
                    for f, v in _data_fields(study.spec)]
    if with_data:  # before the long part: data that changed is refused at once
        data_members, data_entries, data_notes = _data_members(study, status.fingerprint)
        notes += data_notes
    with open_ledger(study.ledger_url, create=False) as lg:
        tables = read_study_tables(lg, study.spec.name)
    with study.analyze() as analysis:
        report = analysis.report(spec_path=spec_path.name, output="report.html")
        no_bootstrap = analysis.bootstrap_skipped is not None
    document = report.document
    context_id = ((document.get("sections") or {}).get("reproducibility") or {}
                  ).get("context_id")
    ctx, dv = _current_context(tables, context_id)

    members: dict[str, bytes] = {
        SPEC_DIR + spec_path.name: spec_path.read_bytes(),
        REPORT_JSON: report.to_json().encode("utf-8"),
        REPORT_HTML: report.to_html().encode("utf-8"),
        FINGERPRINT: json.dumps(_fingerprint(ctx, dv), indent=1).encode("utf-8"),
    }
    for name, table in tables.items():
        members[f"{LEDGER_DIR}{name}.parquet"] = _parquet(table)
    store = ArtifactStore(study.artifacts_dir)
    named = [d for d in tables["trials"].column("predictions_digest").to_pylist() if d]
    digests = sorted(set(named))
    missing = damaged = 0
    bundled: set[str] = set()
    for digest in digests:
        if digest not in store:
            missing += 1
        elif not store.intact(digest):
            damaged += 1
        else:
            members[f"{ARTIFACTS_DIR}{digest[:2]}/{digest}.npz"] = (
                store.path(digest).read_bytes())
            bundled.add(digest)
    # trials whose predictions are identical (a model that predicts one class at a small
    # size) share one stored file
    n_predicted = sum(d in bundled for d in named)
    if missing:
        notes.append(f"{missing} of {len(digests)} stored predictions are not in the artifact "
                     f"store {store.root} and are not bundled (runs on another machine keep "
                     "them in their own store: point the spec's artifacts: or "
                     "$DATAROI_ARTIFACTS at a folder the team shares)")
    if damaged:
        notes.append(f"{damaged} of {len(digests)} stored predictions are damaged in the "
                     f"artifact store {store.root} (their content no longer matches their "
                     "hash) and are not bundled")
    if no_bootstrap and missing + damaged < len(digests):
        notes.append("the bundled report was made without the test-set bootstrap (the test "
                     "labels are neither in the artifact store nor in data readable here), "
                     "but the bundle holds predictions: `dataroi verify`, which has the data, "
                     "will recompute other intervals; export where the data or the team's "
                     "artifacts: folder is")
    lock = capture_lock(model_modules(study.spec))
    members[LOCK] = json.dumps(lock, indent=1).encode("utf-8")
    members[REQUIREMENTS] = requirements_text(lock).encode("utf-8")
    code, code_notes = _code_files(study.spec)
    members.update(code)
    notes += code_notes
    members.update(data_members)

    manifest = {
        "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "dataroi": dataroi.__version__,
        "study": study.spec.name,
        "spec": SPEC_DIR + spec_path.name,
        "spec_dir": str(Path(study.spec.base_dir).resolve()),
        "spec_hash": study.spec.spec_hash,
        "context_id": ctx["id"],
        "fingerprint": dv["fingerprint"],
        "ledger": {"revision": head_revision(),
                   "tables": {n: t.num_rows for n, t in tables.items()}},
        "report": {"json": REPORT_JSON, "html": REPORT_HTML,
                   "metric": (document.get("study") or {}).get("metric")},
        "with_data": with_data,
        "data": data_entries,
        "code": sorted(code),
        "artifacts": {"named": len(digests), "bundled": len(bundled)},
    }
    write_bundle(out, members, manifest)
    return ExportResult(path=out, bytes=out.stat().st_size, members=len(members),
                        n_trials=tables["trials"].num_rows,
                        n_artifacts=len(bundled),
                        n_predicted_trials=n_predicted,
                        seconds=time.perf_counter() - t0, notes=notes)
