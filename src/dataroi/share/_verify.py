"""``dataroi verify``: check a study bundle on another machine or in another folder.

The checks, in order (each is a :class:`Step`; the first mismatch names the verdict):

1. **manifest** — every member is present and has the SHA-256 the manifest lists; no
   member is unlisted or has an unsafe path. A bundle that fails here is not read
   further.
2. **environment** — this environment against the bundle's lock. A difference is a
   warning; one in a package that computes the numbers (dataroi, numpy, scipy,
   scikit-learn and the models' own distributions) is named in the verdict line: when
   every number still matched, the bundle is verified (in this environment too); when a
   number differs, the version difference is the first suspect.
3. **rows** — the bundled ledger rows load into a new ledger (in a temporary folder),
   the report's context is among them, and every stored prediction a trial names is
   bundled and hashes to its digest.
4. **report** — every number the report states about the trials traces back to the
   bundled rows (:func:`dataroi.share.trace_report`).
5. **data** — the data (bundled with ``--with-data``, else the spec's source where the
   exporter had it, beside the bundle or ``data=``) has the trials' fingerprint.
6. **recomputed report** — the whole report recomputed from the bundled rows is
   identical to the bundled JSON, and the bundled HTML is its rendering.
7. **re-run** — ``sample`` trials (seeded choice) re-run from the bundled spec and data
   give the bundled metrics exactly and the same predictions (``Study.reproduce``).

Nothing is written outside a temporary folder, which is removed at the end.

Example:
    >>> v = Verification(bundle=Path("s.zip"))
    >>> v.add(Step("manifest", "ok", "3 members intact"))
    >>> v.verified, v.exit_code
    (True, 0)
"""

from __future__ import annotations

import dataclasses
import io
import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dataroi.exceptions import BundleError, DataroiError
from dataroi.share._bundle import (
    ARTIFACTS_DIR,
    CODE_DIR,
    LEDGER_DIR,
    LOCK,
    REPORT_HTML,
    REPORT_JSON,
    BundleReader,
)
from dataroi.share._lock import EnvironmentDiff, compare_lock
from dataroi.share._mismatch import Mismatch
from dataroi.share._trace import (
    VOLATILE,
    TraceResult,
    compare_documents,
    earlier_minor,
    trace_report,
)

if TYPE_CHECKING:
    from dataroi.study import Study

__all__ = ["RENDERING_PACKAGES", "Step", "Verification", "verify_bundle"]

#: Packages whose version changes the HTML's bytes (not its numbers): the HTML is
#: compared byte for byte only when they match the lock.
RENDERING_PACKAGES: tuple[str, ...] = ("dataroi", "matplotlib", "jinja2")

#: At most this many ``..`` of a spec's data path are kept inside the work folder.
_MAX_DEPTH = 16


@dataclass(frozen=True)
class Step:
    """One check's outcome: ``ok``, ``warning``, ``failed`` or ``skipped``."""

    name: str
    status: str
    detail: str

    def to_dict(self) -> dict[str, str]:
        """Plain data."""
        return {"name": self.name, "status": self.status, "detail": self.detail}


@dataclass
class Verification:
    """What :func:`verify_bundle` found.

    Attributes:
        bundle: the bundle checked.
        steps: each check's outcome, in order.
        mismatches: every mismatch found (the first names the verdict).
        environment: how this environment differs from the bundle's lock.
        warnings: differences that do not fail the verification.
        traced: numbers of the report traced to the rows.
        rerun: trials re-run (and how many were identical).
        seconds: time taken.
    """

    bundle: Path
    steps: list[Step] = field(default_factory=list)
    mismatches: list[Mismatch] = field(default_factory=list)
    environment: EnvironmentDiff = field(default_factory=EnvironmentDiff)
    warnings: list[str] = field(default_factory=list)
    traced: int = 0
    rerun: tuple[int, int] = (0, 0)
    seconds: float = 0.0
    on_step: Callable[[Step], None] | None = field(default=None, repr=False)

    def add(self, step: Step) -> None:
        """Record a step (and tell ``on_step``)."""
        self.steps.append(step)
        if self.on_step is not None:
            self.on_step(step)

    @property
    def verified(self) -> bool:
        """No mismatch (a package that computes the numbers may differ: the numbers are
        what is verified; the verdict names the difference)."""
        return not self.mismatches

    @property
    def exit_code(self) -> int:
        """0 verified, 1 not."""
        return 0 if self.verified else 1

    @property
    def verdict(self) -> str:
        """One line: VERIFIED or NOT VERIFIED, and why."""
        name = self.bundle.name
        numeric = "; ".join(str(d) for d in self.environment.numeric)
        if self.mismatches:
            first = self.mismatches[0]
            more = len(self.mismatches) - 1
            line = f"NOT VERIFIED: {name}: {first}"
            if more:
                line += f" (and {more} more mismatch{'es' if more > 1 else ''})"
            if numeric:
                line += f"; a package that computes the numbers differs: {numeric}"
            return line
        line = f"VERIFIED: {name}" + self._matched(prefix=": ")
        if numeric:
            line += (f"; every number matched although a package that computes the numbers "
                     f"differs from the bundle's lock: {numeric}")
        if self.warnings:
            line += f"; {len(self.warnings)} warning(s)"
        return line

    def _matched(self, prefix: str = " (numbers still matched: ") -> str:
        parts = []
        if self.traced:
            parts.append(f"{self.traced} report numbers traced to the rows")
        if any(s.name == "recomputed report" and s.status == "ok" for s in self.steps):
            parts.append("report recomputed identically")
        done, same = self.rerun
        if done:
            parts.append(f"{same} of {done} re-run trials identical")
        if not parts:
            return ""
        return prefix + ", ".join(parts) + (")" if prefix.startswith(" (") else "")

    def to_dict(self) -> dict[str, Any]:
        """Plain data (``dataroi verify --json``)."""
        return {"bundle": str(self.bundle), "verified": self.verified,
                "exit_code": self.exit_code, "verdict": self.verdict,
                "steps": [s.to_dict() for s in self.steps],
                "mismatches": [m.to_dict() for m in self.mismatches],
                "environment": self.environment.to_dict(), "warnings": list(self.warnings),
                "traced_numbers": self.traced,
                "rerun": {"trials": self.rerun[0], "identical": self.rerun[1]},
                "seconds": self.seconds}


@dataclass
class _Layout:
    """The bundle unpacked into a temporary study folder."""

    spec_path: Path
    ledger_path: Path
    relocated: Path | None = None  # data.source, used where it is (see _unpack)
    notes: list[str] = field(default_factory=list)


def _depth(values: list[str]) -> int:
    """How many folders the spec must sit below the work folder for relative paths that
    climb (``../data.csv``) to stay inside it."""
    depth = 0
    for value in values:
        p = Path(value)
        if not p.is_absolute():
            depth = max(depth, sum(1 for part in p.parts if part == ".."))
    return min(depth, _MAX_DEPTH)  # deeper: the file is put aside (see _unpack)


def _place(source: Path, target: Path) -> None:
    """Make ``target`` name the file ``source`` (a link, else a copy)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.symlink(source.resolve(), target)
    except OSError:
        shutil.copyfile(source, target)


def _within(path: Path, root: Path) -> bool:
    return os.path.normpath(path).startswith(os.path.normpath(root) + os.sep)


def _unpack(bundle: BundleReader, work: Path, data: str | None) -> _Layout:
    """Write the spec, code, data, ledger and predictions into ``work``.

    Raises:
        BundleError: the ledger rows cannot be loaded, or the data cannot be found.
    """
    import pyarrow.parquet as pq

    from dataroi.ledger import STUDY_TABLES, open_ledger, write_study_tables

    manifest = bundle.manifest
    entries = [e for e in manifest.get("data") or [] if isinstance(e, dict)]
    files = [str(e.get("value")) for e in entries if not e.get("builtin")]
    spec_dir = work.joinpath("study", *(["up"] * _depth(files)))
    spec_dir.mkdir(parents=True)
    spec_member = str(manifest.get("spec") or "")
    spec_path = spec_dir / Path(spec_member).name
    spec_path.write_bytes(bundle.read(spec_member))
    layout = _Layout(spec_path=spec_path, ledger_path=spec_dir / ".dataroi" / "ledger.db")
    for name in bundle.names:
        if name.startswith(CODE_DIR):
            target = spec_dir / name[len(CODE_DIR):]
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(bundle.read(name))
    origin = Path(str(manifest.get("spec_dir") or "."))
    for entry in entries:
        if entry.get("builtin"):
            continue
        value, name = str(entry.get("value")), str(entry.get("field"))
        given = Path(os.path.expanduser(value))
        target = given if given.is_absolute() else Path(os.path.normpath(spec_dir / given))
        if given.is_absolute() or not _within(target, work):
            target = None  # the spec points outside the work folder
        member = entry.get("member")
        if member:  # bundled: unpacked aside, then named where the spec says
            if data and name == "data.source":
                layout.notes.append(f"--data {data} is not used: the bundle holds the data "
                                    "(exported with --with-data), checked by its SHA-256")
            found: Path | None = work / "data" / name / Path(str(member)).name
            found.parent.mkdir(parents=True, exist_ok=True)
            found.write_bytes(bundle.read(str(member)))
        else:
            beside = bundle.path.resolve().parent
            candidates = ([Path(os.path.expanduser(data))] if data and name == "data.source"
                          else []) + (
                [given] if given.is_absolute() else [origin / given, beside / given])
            # the bundle beside the study it came from: one place, named once
            candidates = list(dict.fromkeys(candidates))
            found = next((c for c in candidates if c.is_file()), None)
            if found is None:
                where = " nor ".join(str(c) for c in candidates)
                raise BundleError(f"the bundle holds no data (exported without --with-data) "
                                  f"and {name} {value} is not at {where}: give --data PATH, "
                                  "or export with --with-data")
        if target is not None:
            _place(found, target)
        elif given.is_absolute() and found == given:
            continue  # the spec's absolute path holds it here
        elif name == "data.source":  # used where it is; the spec is told so
            layout.relocated = found
            layout.notes.append(f"{name} {value} cannot be put where the spec names it "
                                f"(outside the verification's folder): {found} is used")
        else:
            raise BundleError(f"{name} {value} cannot be put where the spec names it "
                              "(outside the verification's folder)")
    tables = {}
    for table in STUDY_TABLES:
        member = f"{LEDGER_DIR}{table}.parquet"
        try:
            tables[table] = pq.read_table(io.BytesIO(bundle.read(member)))
        except BundleError:
            raise
        except Exception as exc:  # pyarrow's errors: not a Parquet file
            raise BundleError(f"{bundle.path}: {member} cannot be read as Parquet "
                              f"({type(exc).__name__})") from None
    try:
        with open_ledger(layout.ledger_path, create=True) as ledger:
            write_study_tables(ledger, tables)
    except DataroiError as exc:
        raise BundleError(f"{bundle.path}: the bundled ledger rows cannot be loaded: {exc}"
                          ) from None
    artifacts = layout.ledger_path.parent / "artifacts"
    for name in bundle.names:
        if name.startswith(ARTIFACTS_DIR):
            target = artifacts / name[len(ARTIFACTS_DIR):]
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(bundle.read(name))
    return layout


def _check_rows(v: Verification, study: Study, bundle: BundleReader, document: dict[str, Any]
                ) -> tuple[list[Any], dict[int, dict[str, Any]], dict[str, Any]]:
    """The rows step: the report's context is in the rows, predictions are intact."""
    import pyarrow.parquet as pq

    from dataroi.artifacts import ArtifactStore
    from dataroi.exceptions import ArtifactError

    snapshots = study.snapshots()
    rows_ctx = snapshots[0].context_id if snapshots else None
    stated = ((document.get("sections") or {}).get("reproducibility") or {}).get(
        "context_id")
    if stated is not None and rows_ctx is not None and stated != rows_ctx:
        v.mismatches.append(Mismatch("rows", "the report's context id", bundled=stated,
                                     recomputed=rows_ctx, stated="in report.json",
                                     source="for the spec's context in the bundled rows"))
    trials = pq.read_table(io.BytesIO(bundle.read(f"{LEDGER_DIR}trials.parquet"))).to_pylist()
    store = ArtifactStore(study.artifacts_dir)
    missing = 0
    bad = 0
    for row in trials:
        digest = row.get("predictions_digest")
        if not digest:
            continue
        try:
            store.get(digest)
        except FileNotFoundError:
            missing += 1
        except ArtifactError:
            bad += 1
            v.mismatches.append(Mismatch(
                "rows", f"trial {row['id']} ({row['model']} n_train={row['n_train']} "
                f"repeat={row['repeat_index']})",
                detail=f"its stored predictions do not hash to their digest {digest[:16]}…"))
    envs = {}
    for row in pq.read_table(io.BytesIO(bundle.read(
            f"{LEDGER_DIR}environments.parquet"))).to_pylist():
        envs[int(row["id"])] = json.loads(row["payload"])
    contexts = pq.read_table(io.BytesIO(bundle.read(
        f"{LEDGER_DIR}contexts.parquet"))).to_pylist()
    ctx = next((c for c in contexts if c["id"] == rows_ctx), None)
    desc = json.loads(ctx["description"]) if ctx else {}
    with_digest = sum(1 for r in trials if r.get("predictions_digest"))
    detail = (f"{len(trials)} trial rows ({len(snapshots)} in the report's plan), "
              f"{with_digest - missing - bad} of {with_digest} stored predictions intact")
    if missing:
        v.warnings.append(f"{missing} stored predictions named by trial rows are not in the "
                          "bundle (they were missing when it was exported)")
    status = "failed" if bad or (stated is not None and stated != rows_ctx) else (
        "warning" if missing else "ok")
    if not snapshots:
        status = "failed"
        v.mismatches.append(Mismatch("rows", "the spec's trials", detail=(
            "the bundled rows hold no trial of the bundled spec's plan")))
    v.add(Step("rows", status, detail))
    return snapshots, envs, desc


def _html_check(v: Verification, bundle: BundleReader, document: dict[str, Any],
                lock: dict[str, Any]) -> str:
    """Whether the bundled HTML is the rendering of the bundled JSON (when the rendering
    packages are the lock's)."""
    from dataroi.report import Report
    from dataroi.share._lock import installed_packages, normalize_name

    here = installed_packages()
    locked = {normalize_name(k): val for k, val in (lock.get("packages") or {}).items()}
    differ = [p for p in RENDERING_PACKAGES if locked.get(p) != here.get(p)]
    if differ:
        v.warnings.append(f"the HTML report was not compared byte for byte: "
                          f"{', '.join(differ)} differ from the lock")
        return "HTML not compared (rendering packages differ)"
    html = Report(document).to_html().encode("utf-8")
    if html != bundle.read(REPORT_HTML):
        v.mismatches.append(Mismatch("recomputed report", REPORT_HTML, detail=(
            f"it is not the rendering of {REPORT_JSON} (re-rendered here: "
            f"{len(html):,} bytes, bundled: {len(bundle.read(REPORT_HTML)):,})")))
        return "HTML differs"
    return "HTML is its rendering"


def _rerun(v: Verification, study: Study, sample: int, seed: int) -> None:
    from dataroi.exceptions import UsageError

    if sample == 0:
        v.add(Step("re-run", "skipped", "no trial re-run (--sample 0)"))
        return
    try:
        summary = study.reproduce(sample=sample, seed=seed)
    except UsageError as exc:
        v.add(Step("re-run", "skipped", str(exc)))
        v.warnings.append(f"no trial re-run: {exc}")
        return
    same = 0
    for t in summary["trials"]:
        where = f"trial {t['model']} n_train={t['n_train']} repeat={t['repeat']}"
        found = False
        for d in t["metric_differences"]:
            found = True
            v.mismatches.append(Mismatch("re-run", f"{where} ({d['metric']})",
                                         bundled=d["recorded"], recomputed=d["reproduced"],
                                         stated="in the bundled trial row",
                                         source="re-run here"))
        if t["state"] != "complete":
            found = True
            v.mismatches.append(Mismatch("re-run", where, detail=(
                f"the re-run failed here: {t.get('error') or t['state']}")))
        if t["predictions_match"] is False:
            found = True
            v.mismatches.append(Mismatch("re-run", where, detail=(
                "its predictions re-run here differ from the bundled digest")))
        same += not found
    v.rerun = (summary["sample"], same)
    for line in summary.get("environment_differences") or []:
        v.warnings.append(f"since the trials ran: {line}")
    v.add(Step("re-run", "ok" if same == summary["sample"] else "failed",
               f"{same} of {summary['sample']} trials re-run identically "
               f"(seed {seed})"))


def verify_bundle(bundle: str | os.PathLike[str], *, sample: int = 5, seed: int = 0,
                  data: str | os.PathLike[str] | None = None,
                  on_step: Callable[[Step], None] | None = None) -> Verification:
    """Verify a study bundle here (see the module for the checks).

    Args:
        bundle: the zip file ``dataroi export`` wrote.
        sample: trials to re-run (0: none).
        seed: seed of the choice of trials to re-run.
        data: the data file of the spec's ``data.source`` when the bundle has none
            (default: where the exporter had it, then beside the bundle).
        on_step: called with each :class:`Step` as it finishes (progress).

    Returns:
        The :class:`Verification` (``exit_code`` 0 verified, 1 a mismatch).

    Raises:
        BundleError: the bundle cannot be used (not a zip file, no manifest, data that
            cannot be found): nothing could be checked.
        UsageError: ``sample`` is negative.
    """
    from dataroi.exceptions import UsageError

    if sample < 0:
        raise UsageError(f"--sample must be 0 or more, got {sample}")
    if data is not None and not Path(os.path.expanduser(str(data))).is_file():
        what = "a folder, not a file" if Path(data).is_dir() else "no such file"
        raise UsageError(f"--data {data}: {what}")  # never the exporter's copy instead
    t0 = time.perf_counter()
    v = Verification(bundle=Path(bundle), on_step=on_step)
    with BundleReader.open(bundle) as b:
        problems = b.problems()
        if problems:
            for name, why in problems:
                v.mismatches.append(Mismatch("manifest", f"member {name}", detail=why))
            v.add(Step("manifest", "failed", f"{len(problems)} member(s) do not match the "
                       "manifest; nothing else was read"))
            v.seconds = time.perf_counter() - t0
            return v
        v.add(Step("manifest", "ok", f"{len(b.names)} members match their SHA-256"))
        lock, document = b.json(LOCK), b.json(REPORT_JSON)
        for name, value in ((LOCK, lock), (REPORT_JSON, document)):
            if not isinstance(value, dict):
                raise BundleError(f"{b.path}: {name} is not a JSON object")
        v.environment = compare_lock(lock)
        env = v.environment
        v.warnings += [f"environment: {line}" for line in env.warnings()]
        v.add(Step("environment",
                   "warning" if env.numeric or env.other else "ok",
                   "; ".join(str(d) for d in env.numeric) + (
                       " (packages that compute the numbers)" if env.numeric else "")
                   or (f"{len(env.other)} difference(s) in other packages or the platform"
                       if env.other else "identical to the lock")))
        work = Path(tempfile.mkdtemp(prefix="dataroi-verify-"))
        try:
            layout = _unpack(b, work, None if data is None else str(data))
            v.warnings += layout.notes
            _verify_study(v, b, layout, document, lock, sample=sample, seed=seed)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    v.seconds = time.perf_counter() - t0
    return v


def _verify_study(v: Verification, b: BundleReader, layout: _Layout,
                  document: dict[str, Any], lock: dict[str, Any], *, sample: int,
                  seed: int) -> None:
    """The steps after the unpacking: rows, report, data, recomputed report, re-run."""
    import dataroi
    from dataroi.exceptions import UsageError
    from dataroi.trial import trials_frame

    spec = dataroi.load_spec(layout.spec_path)
    spec_hash = spec.spec_hash
    if layout.relocated is not None:  # the spec's absolute path: the bundled copy
        spec = dataclasses.replace(spec, data=dataclasses.replace(
            spec.data, source=str(layout.relocated)))
    # the bundle's predictions were unpacked beside its ledger: not where the spec's
    # artifacts: or $DATAROI_ARTIFACTS point (a shared folder of the exporting team)
    study = dataroi.load_study(spec, ledger=str(layout.ledger_path), build_models=False,
                               artifacts=layout.ledger_path.parent / "artifacts")
    snapshots, envs, desc = _check_rows(v, study, b, document)
    if not snapshots:
        return
    trials = trials_frame(snapshots, study.spec.metrics)
    try:
        traced = trace_report(document, trials, snapshots, spec_hash=spec_hash,
                              fingerprint=str(b.manifest.get("fingerprint")),
                              n_rows=desc.get("n_rows"), environments=envs)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:  # hand-edited JSON
        traced = TraceResult(numbers=1, mismatches=[Mismatch(
            "report", REPORT_JSON, detail=f"it is not shaped as a dataroi report "
            f"({type(exc).__name__}: {exc})")])
    v.traced = traced.numbers
    v.mismatches += traced.mismatches
    v.warnings += traced.notes
    v.add(Step("report", "failed" if traced.mismatches else "ok",
               f"{traced.numbers - len(traced.mismatches)} of {traced.numbers} numbers "
               f"trace back to the rows ({'; '.join(traced.covered)})"))
    try:
        here = study.status(check_data=True).fingerprint
    except UsageError as exc:
        raise BundleError(f"the study's data cannot be read here: {exc}") from None
    bundled = str(b.manifest.get("fingerprint"))
    if here != bundled:
        v.mismatches.append(Mismatch("data", f"fingerprint of {spec.data.source}",
                                     bundled=bundled, recomputed=here,
                                     stated="for the trials' data",
                                     source="for the data found here"))
        v.add(Step("data", "failed", "the data here is not the data the trials ran on; "
                   "nothing was recomputed or re-run"))
        return
    v.add(Step("data", "ok", f"fingerprint {here[:12]} (as the trials')"))
    ignore = set(VOLATILE)
    if layout.relocated is not None:
        ignore |= {"sections.reproducibility.data.source",
                   "sections.reproducibility.spec_hash"}
    spec_path = (document.get("study") or {}).get("spec_path")
    with study.analyze() as analysis:
        again = analysis.report(spec_path=spec_path, output="report.html")
    diffs = compare_documents(document, again.document, ignore=ignore)
    v.mismatches += diffs
    then, now = document.get("schema_version"), again.document.get("schema_version")
    if earlier_minor(then, now):
        v.warnings.append(f"recomputed report: {REPORT_JSON} was written under report "
                          f"schema {then} and recomputed here under {now}; compared on what "
                          f"{then} states (fields added since, null here, are not compared)")
    html = _html_check(v, b, document, lock)
    failed = bool(diffs) or html == "HTML differs"
    v.add(Step("recomputed report", "failed" if failed else "ok",
               (f"{len(diffs)} value(s) differ, first {diffs[0].where}" if diffs
                else "the JSON recomputed from the rows is identical") + f"; {html}"))
    _rerun(v, study, sample, seed)
