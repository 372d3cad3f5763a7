"""A small real study (iris, two models, 5 sizes × 3 repeats) shared by value/decide tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

import dataroi
from tests._specs import IRIS_DATA, logreg_and_tree


def iris_two_models(**extra: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "name": "iris-value",
        "data": dict(IRIS_DATA),
        "models": logreg_and_tree(),
        "metrics": ["accuracy"],
        "schedule": {"sizes": [10, 20, 40, 80, 120], "repeats": 3, "seed": 0},
    }
    spec.update(extra)
    return spec


def write(folder: Path, spec: dict[str, Any]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "study.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return path


def run_study(folder: Path, spec: dict[str, Any]) -> Any:
    study = dataroi.load_study(write(folder, spec))
    summary = study.run(jobs=1, progress=False)
    assert summary.failed == 0
    return study


def crossing_frame() -> pd.DataFrame:
    """Trials of two models whose curves cross: 'simple' wins small, 'deep' wins large."""
    rows = []
    rng = np.random.default_rng(0)
    for m, top, k in (("simple", 0.86, 1.0), ("deep", 0.97, 4.0)):
        for n in (25, 50, 100, 200, 400):
            for r in range(4):
                rows.append({"model": m, "n_train": n, "repeat": r, "metric": "accuracy",
                             "value": top - k / n ** 0.5 + rng.normal(0, 0.002),
                             "fit_seconds": 1e-3 * n})
    return pd.DataFrame(rows)


def breaking_frame(break_at: int | None) -> pd.DataFrame:
    """Two models on 7 sizes; 'breaks' collapses from ``break_at`` on (None: it does not)."""
    rng = np.random.default_rng(1)
    rows = []
    for m in ("steady", "breaks"):
        for n in (25, 50, 100, 200, 400, 800, 1600):
            for r in range(4):
                v = 0.95 - 1.5 / n ** 0.5 + rng.normal(0, 0.002)
                if m == "breaks" and break_at is not None and n >= break_at:
                    v -= 0.15
                rows.append({"model": m, "n_train": n, "repeat": r, "metric": "accuracy",
                             "value": v})
    return pd.DataFrame(rows)
