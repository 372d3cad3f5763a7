"""Share and verify a study: one zip file another machine can check.

``export_study`` writes the bundle (the spec, the study's ledger rows as Parquet, the
trials' stored predictions, the report, an environment lock, the data's fingerprint, a
manifest with every member's SHA-256; the data too with ``with_data``);
``verify_bundle`` checks it elsewhere: the hashes, the environment against the lock, that
every number of the report traces back to the rows, the report recomputed, and a sample
of trials re-run exactly; ``log_to_mlflow`` logs the study to an MLflow tracking store
(a parent run, a child run per (model, size) cell). See ``docs/sharing.md``.

Example:
    >>> from dataroi.share import export_study, verify_bundle
    >>> callable(export_study), callable(verify_bundle)
    (True, True)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dataroi._lazy import lazy_exports

if TYPE_CHECKING:
    from dataroi.share._bundle import BUNDLE_FORMAT, BundleReader
    from dataroi.share._export import ExportResult, check_bundle_output, export_study
    from dataroi.share._lock import (
        NUMERIC_PACKAGES,
        EnvironmentDiff,
        LockDifference,
        capture_lock,
        compare_lock,
    )
    from dataroi.share._mismatch import Mismatch
    from dataroi.share._mlflow import MlflowResult, check_tracking_uri, log_to_mlflow
    from dataroi.share._trace import TraceResult, compare_documents, trace_report
    from dataroi.share._verify import Step, Verification, verify_bundle

__all__ = ["BUNDLE_FORMAT", "NUMERIC_PACKAGES", "BundleReader", "EnvironmentDiff",
           "ExportResult", "LockDifference", "Mismatch", "MlflowResult", "Step",
           "TraceResult", "Verification", "capture_lock", "check_bundle_output",
           "check_tracking_uri", "compare_documents", "compare_lock", "export_study",
           "log_to_mlflow", "trace_report", "verify_bundle"]

__getattr__, __dir__ = lazy_exports(__name__, {
    "BUNDLE_FORMAT": "_bundle", "BundleReader": "_bundle",
    "ExportResult": "_export", "check_bundle_output": "_export", "export_study": "_export",
    "NUMERIC_PACKAGES": "_lock", "EnvironmentDiff": "_lock", "LockDifference": "_lock",
    "capture_lock": "_lock", "compare_lock": "_lock",
    "Mismatch": "_mismatch",
    "MlflowResult": "_mlflow", "check_tracking_uri": "_mlflow", "log_to_mlflow": "_mlflow",
    "TraceResult": "_trace", "compare_documents": "_trace", "trace_report": "_trace",
    "Step": "_verify", "Verification": "_verify", "verify_bundle": "_verify",
}, globals())
