"""Small real studies shared by the plotting and report tests (each run once per session).

``full_study``: iris, two models, costs and a pre-registered decision rule: every
section of the report has its data. ``hostile_study``: a CSV whose target column and
one model's name hold markup and quotes, plus a model that fails: escaping and the
failed-trials diagnostics (a 30-neighbour model on 20 rows). ``bare_study``: one model,
no costs, no decision.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import yaml

from tests._specs import IRIS_DATA, logreg_and_tree

EVIL_MODEL = "<script>alert('m')</script>\"q"
EVIL_COLUMN = "la\"bel<script>alert(1)</script>"

_CACHE: dict[str, Any] = {}

FULL_SPEC: dict[str, Any] = {
    "name": "iris-report",
    "data": dict(IRIS_DATA),
    "models": logreg_and_tree(),
    "metrics": ["accuracy", "log_loss"],
    "schedule": {"sizes": [12, 24, 48, 96], "repeats": 3, "seed": 0},
    "costs": {"price_per_label_usd": 0.5, "engineering_cost_usd": 200,
              "value_per_point_usd": 300, "periods": 2},
    "decision": {"target": 0.97, "risk": 0.2, "budget_usd": 2000, "rule": "expected_net",
                 "current_model": "logreg", "guardrails": {"min_p_gain": 0.5}},
}


def _run(study: Any) -> Any:
    study.run(jobs=1, progress=False)
    return study


def full_study(base: Path) -> tuple[Any, Path]:
    """The iris study with costs and a rule registered before running (cached)."""
    if "full" not in _CACHE:
        import dataroi

        folder = base / "full"
        folder.mkdir(parents=True)
        spec_path = folder / "study.yaml"
        spec_path.write_text(yaml.safe_dump(FULL_SPEC, sort_keys=False))
        study = dataroi.load_study(spec_path)
        study.register()
        _CACHE["full"] = (_run(study), spec_path)
    return _CACHE["full"]


def hostile_study(base: Path) -> Any:
    """Markup and quotes in a model name and the target column; one failing model."""
    if "hostile" not in _CACHE:
        import numpy as np
        import pandas as pd
        from sklearn.datasets import load_iris

        import dataroi
        from dataroi.study import Study

        folder = base / "hostile"
        folder.mkdir(parents=True)
        x, y = load_iris(return_X_y=True)
        frame = pd.DataFrame(x, columns=["a", "b", "c", "d"])
        frame[EVIL_COLUMN] = np.asarray(y)
        frame.to_csv(folder / "data.csv", index=False)
        spec = {
            "name": "hostile",
            "data": {"source": "data.csv", "target": EVIL_COLUMN},
            "models": {
                "good": {"estimator": "sklearn.linear_model.LogisticRegression",
                         "params": {"max_iter": 500}},
                "knn30": {"estimator": "sklearn.neighbors.KNeighborsClassifier",
                          "params": {"n_neighbors": 30}},  # fails with < 30 rows
            },
            "metrics": ["accuracy"],
            "schedule": {"sizes": [20, 40, 80], "repeats": 2, "seed": 0},
        }
        spec_path = folder / "study.yaml"
        spec_path.write_text(yaml.safe_dump(spec, sort_keys=False))
        parsed = dataroi.load_spec(spec_path)
        # the spec validator only accepts plain model names: put the hostile one in
        # afterwards, as a name from any other source (a ledger, a plugin) could be
        models = tuple(dataclasses.replace(m, name=EVIL_MODEL) if m.name == "good" else m
                       for m in parsed.models)
        _CACHE["hostile"] = _run(Study(dataclasses.replace(parsed, models=models)))
    return _CACHE["hostile"]


def bare_study(base: Path) -> tuple[Any, Path]:
    """One model, no costs, no decision rule."""
    if "bare" not in _CACHE:
        import dataroi

        folder = base / "bare"
        folder.mkdir(parents=True)
        spec = {k: v for k, v in FULL_SPEC.items() if k not in ("costs", "decision")}
        spec = dict(spec, name="iris-bare", models={"logreg": FULL_SPEC["models"]["logreg"]},
                    schedule={"sizes": [12, 24, 48, 96], "repeats": 2, "seed": 1})
        spec_path = folder / "study.yaml"
        spec_path.write_text(yaml.safe_dump(spec, sort_keys=False))
        _CACHE["bare"] = (_run(dataroi.load_study(spec_path)), spec_path)
    return _CACHE["bare"]


def shared_dir(factory: Any) -> Path:
    """One folder for every cached study of this test session."""
    if "dir" not in _CACHE:
        _CACHE["dir"] = factory.mktemp("studies")
    return _CACHE["dir"]


def build_report(study: Any, *, n_draws: int = 2000, spec_path: str | None = None,
                 output: str | None = None, fmt: str = "html") -> Any:
    """The report of a study, through its analysis (as ``dataroi report`` makes it)."""
    with study.analyze(n_draws=n_draws) as analysis:
        return analysis.report(spec_path=spec_path, output=output, fmt=fmt)
