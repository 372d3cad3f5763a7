"""A large ledger in seconds: many studies of finished trials, for scale tests.

:func:`fill_many_studies` writes ``n_studies`` studies, each one data version with
``models × sizes × repeats`` finished trials (accuracy rising with the size, a few
failures) and a saved recommendation, through
:func:`~dataroi.ledger.write_study_tables` (one bulk transaction, the path a bundle's
rows take into a ledger), so 100,000 trials take seconds rather than the minutes of one
transaction per trial.

Example:
    >>> from dataroi.ledger import open_ledger
    >>> ledger = open_ledger("sqlite://")
    >>> counts = fill_many_studies(ledger, n_studies=3, trials_per_study=40)
    >>> counts["studies"], counts["trials"], counts["trial_metrics"]
    (3, 120, 234)
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import numpy as np

from dataroi.ledger import BaseLedger, write_study_tables

__all__ = ["fill_many_studies"]

MODELS = ("logreg", "hgb", "rf", "knn")


def fill_many_studies(ledger: BaseLedger, *, n_studies: int = 100,
                      trials_per_study: int = 1000, seed: int = 0) -> dict[str, int]:
    """Write ``n_studies`` studies of ``trials_per_study`` trials into an empty ledger.

    Each study has 4 models, doubling sizes from 64 and as many repeats as fill the
    trials; 5 % of the trials failed; the others have an accuracy and a log-loss. Returns
    the rows written per table.

    Raises:
        dataroi.exceptions.UsageError: the ledger already holds a study.
    """
    import pyarrow as pa

    rng = np.random.default_rng(seed)
    t0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    sizes = [64 * 2 ** i for i in range(10)]
    per_model = max(trials_per_study // len(MODELS), 1)
    n_sizes = min(len(sizes), max(per_model // 5, 1))
    repeats = max(per_model // n_sizes, 1)
    tables: dict[str, list[dict[str, Any]]] = {k: [] for k in (
        "studies", "study_specs", "dataset_versions", "environments", "contexts", "trials",
        "trial_metrics", "documents")}
    tables["environments"].append({"id": 1, "env_hash": "0" * 64, "payload": "{}",
                                   "created_at": t0})
    trial_id = 0
    for s in range(1, n_studies + 1):
        name = f"study-{s:04d}"
        created = t0 + dt.timedelta(hours=s)
        spec = (f"name: {name}\nmetrics: [accuracy, log_loss]\n"
                f"schedule: {{repeats: {repeats}, seed: {s % 7}}}\n"
                f"costs: {{price_per_label_usd: {0.05 * (1 + s % 4):.2f}, "
                "value_per_point_usd: 1000, compute_price_per_hour_usd: 0.5}\n")
        tables["studies"].append({"id": s, "name": name, "created_at": created})
        tables["study_specs"].append({"id": s, "study_id": s, "spec_hash": f"{s:064x}",
                                      "spec_text": spec, "created_at": created})
        tables["dataset_versions"].append({
            "id": s, "fingerprint": f"{s:064x}", "n_rows": 10_000 + s, "n_columns": 8,
            "dtypes": json.dumps({"x": "float64"}), "source": f"{name}.csv",
            "created_at": created})
        tables["contexts"].append({
            "id": s, "study_id": s, "dataset_version_id": s, "context_hash": f"c{s}",
            "description": json.dumps({"pool_size": 8000 + s, "test_size": 2000}),
            "created_at": created})
        level = rng.uniform(0.6, 0.85, len(MODELS))
        rate = rng.uniform(0.02, 0.1, len(MODELS))
        done = 0
        for m, model in enumerate(MODELS):
            for n in sizes[:n_sizes]:
                for r in range(repeats):
                    if done >= trials_per_study:
                        break
                    trial_id += 1
                    done += 1
                    failed = rng.random() < 0.05
                    finished = created + dt.timedelta(seconds=trial_id % 3600)
                    tables["trials"].append({
                        "id": trial_id, "context_id": s, "model": model,
                        "model_hash": f"h{m}", "n_train": n, "repeat_index": r,
                        "seed": trial_id, "state": "failed" if failed else "complete",
                        "created_at": created, "started_at": created,
                        "finished_at": finished, "fit_seconds": 0.01 * n ** 0.5,
                        "predict_seconds": 0.01, "cpu_seconds": 0.012 * n ** 0.5,
                        "environment_id": 1,
                        "error_type": "ValueError" if failed else None})
                    if not failed:
                        acc = float(level[m] + 0.15 * (1 - (n / 64) ** -rate[m])
                                    + rng.normal(0, 0.005))
                        tables["trial_metrics"] += [
                            {"trial_id": trial_id, "name": "accuracy", "value": acc},
                            {"trial_id": trial_id, "name": "log_loss", "value": 1.2 - acc}]
        tables["documents"].append({
            "id": s, "kind": "recommendation", "study_id": s, "context_id": s,
            "content_hash": f"r{s}", "created_at": created + dt.timedelta(days=1),
            "payload": json.dumps({
                "kind": "dataroi.recommendation", "current_n": sizes[n_sizes - 1],
                "first_step": f"label {1000 * (1 + s % 5):,} more for logreg",
                "headline": "label more", "chosen": {"p_net_positive": 0.8,
                                                     "net_mean_usd": 1000.0 + s}})})
    arrow = {k: pa.Table.from_pylist(v) for k, v in tables.items() if v}
    return write_study_tables(ledger, arrow)
