"""The environment recorded with each trial: a library model's code is identified by its
package version, the user's own modules by their content (in the model's hash)."""

from __future__ import annotations

from importlib import metadata

from dataroi.spec import spec_from_dict
from dataroi.study._environment import capture_environment, model_modules


def test_the_packages_of_library_models_are_recorded_not_the_users_modules(tmp_path):
    (tmp_path / "env_own_models.py").write_text("def make():\n    return None\n")
    spec = spec_from_dict({
        "data": "sklearn:iris", "schedule": {"sizes": [20]},
        "models": {"own": "env_own_models:make",
                   "lr": "sklearn.linear_model.LogisticRegression",
                   "tab": {"pipeline": ["statsmodels.api.OLS",
                                        "sklearn.linear_model.LogisticRegression"]}}},
        base_dir=str(tmp_path))
    modules = model_modules(spec)
    assert modules == ["sklearn.linear_model", "statsmodels.api"]
    packages = capture_environment(modules=modules)["packages"]
    assert packages["statsmodels"] == metadata.version("statsmodels")
    assert "statsmodels" not in capture_environment()["packages"]
