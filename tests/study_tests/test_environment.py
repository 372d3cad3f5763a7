"""The environment recorded with each trial: a library model's code is identified by its
package version, the user's own modules by their content (in the model's hash)."""

from __future__ import annotations

from importlib import metadata

import pytest

from dataroi.spec import spec_from_dict
from dataroi.study._environment import capture_environment, model_modules


def test_the_packages_of_library_models_are_recorded_not_the_users_modules(tmp_path):
    pytest.importorskip("skrub")
    (tmp_path / "env_own_models.py").write_text("def make():\n    return None\n")
    spec = spec_from_dict({
        "data": "sklearn:iris", "schedule": {"sizes": [20]},
        "models": {"own": "env_own_models:make",
                   "lr": "sklearn.linear_model.LogisticRegression",
                   "tab": {"pipeline": ["skrub.TableVectorizer",
                                        "sklearn.linear_model.LogisticRegression"]}}},
        base_dir=str(tmp_path))
    modules = model_modules(spec)
    assert modules == ["sklearn.linear_model", "skrub"]
    packages = capture_environment(modules=modules)["packages"]
    assert packages["skrub"] == metadata.version("skrub")
    assert "skrub" not in capture_environment()["packages"]
