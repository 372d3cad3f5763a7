"""The environment lock: what it records and how a difference is classed."""

from __future__ import annotations

from importlib.metadata import version

from dataroi.share import NUMERIC_PACKAGES, capture_lock, compare_lock
from dataroi.share._lock import model_distributions, normalize_name, requirements_text


def test_the_lock_records_every_installed_distribution_and_the_numeric_ones():
    lock = capture_lock(["sklearn.ensemble", "numpy.linalg", "os.path"])
    assert lock["packages"]["scikit-learn"] == version("scikit-learn")
    assert lock["packages"]["pyyaml"] == version("PyYAML")  # by normalized name
    assert set(NUMERIC_PACKAGES) <= set(lock["numeric"])
    assert "os" not in lock["numeric"]
    assert compare_lock(lock).numeric == [] and compare_lock(lock).other == []


def test_a_models_own_distribution_computes_the_numbers():
    assert model_distributions(["yaml"]) == ["pyyaml"]
    lock = {"packages": {"pyyaml": "1.0", "numpy": "1"}, "numeric": ["pyyaml"]}
    diff = compare_lock(lock, {"packages": {"pyyaml": "2.0", "numpy": "1"}})
    assert [d.name for d in diff.numeric] == ["pyyaml"] and not diff.other


def test_differences_are_classed_and_missing_packages_named():
    lock = {"python": "3.11.7", "platform": "Linux", "packages": {
        "numpy": "1.26.4", "scipy": "1.11", "rich": "13.0", "attrs": "1"}, "numeric": []}
    here = {"python": "3.12.1", "platform": "Linux", "packages": {
        "numpy": "1.26.4", "rich": "13.0", "zict": "3"}}
    diff = compare_lock(lock, here)
    assert [str(d) for d in diff.numeric] == ["scipy: 1.11 in the bundle, not installed here"]
    assert [str(d) for d in diff.other] == [
        "python: 3.11.7 in the bundle, 3.12.1 here",
        "attrs: 1 in the bundle, not installed here",
        "zict: not installed in the bundle, 3 here"]
    assert diff.warnings() == ["python: 3.11.7 in the bundle, 3.12.1 here",
                               "1 package of the lock is not installed here: attrs",
                               "1 package installed here is not in the lock: zict"]


def test_names_compare_as_pip_compares_them():
    assert normalize_name("Scikit_Learn") == normalize_name("scikit.learn") == "scikit-learn"
    diff = compare_lock({"packages": {"Scikit_Learn": "1.4"}},
                        {"packages": {"scikit-learn": "1.4"}})
    assert not diff.numeric and not diff.other


def test_requirements_pin_every_package():
    text = requirements_text({"python": "3.11.7", "packages": {"b": "2", "a": "1"}})
    assert text == "# Python 3.11.7\na==1\nb==2\n"
