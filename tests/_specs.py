"""Model sections shared by the test studies (real scikit-learn estimators, fast on iris)."""

from __future__ import annotations

from typing import Any

LOGREG: dict[str, Any] = {"estimator": "sklearn.linear_model.LogisticRegression",
                          "params": {"max_iter": 500}}
TREE: dict[str, Any] = {"estimator": "sklearn.tree.DecisionTreeClassifier",
                        "params": {"max_depth": 3}}
IRIS_DATA: dict[str, Any] = {"source": "sklearn:iris", "target": "target"}


def logreg_and_tree() -> dict[str, Any]:
    """A fresh ``models:`` section with a logistic regression and a shallow tree."""
    return {"logreg": dict(LOGREG, params=dict(LOGREG["params"])),
            "tree": dict(TREE, params=dict(TREE["params"]))}
