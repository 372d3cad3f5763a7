"""The environment recorded with each trial: a library model's code is identified by its
package version, the user's own modules by their content (in the model's hash)."""

from __future__ import annotations

from importlib import metadata

import pytest

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


# -- the git commit: read without letting the repository run anything -------------------
def _git(repo, *args: str) -> str:
    """Run git for the test's own set-up (never with the hostile settings in force)."""
    import os
    import subprocess

    env = dict(os.environ, GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL=os.devnull)
    return subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.org",
                           "-c", "core.fsmonitor=false", *args], cwd=repo, env=env,
                          check=True, capture_output=True, text=True).stdout.strip()


def _repo(path, files: dict[str, str]) -> str:
    """A real repository with one commit of ``files``; return the commit."""
    path.mkdir()
    _git(path, "init", "-q")
    for name, text in files.items():
        (path / name).write_text(text)
    _git(path, "add", ".")
    _git(path, "commit", "-qm", "first")
    return _git(path, "rev-parse", "HEAD")


@pytest.fixture
def git_available():
    import shutil

    if shutil.which("git") is None:
        pytest.skip("git is not installed")


def test_a_repositorys_fsmonitor_command_is_never_run(tmp_path, git_available):
    repo, marker = tmp_path / "repo", tmp_path / "fsmonitor-ran"
    commit = _repo(repo, {"study.yaml": "name: x\n"})
    _git(repo, "config", "core.fsmonitor", f"touch {marker}; false")
    git = capture_environment(str(repo))["git"]
    assert not marker.exists()
    assert git == {"commit": commit, "dirty": False}
    (repo / "study.yaml").write_text("name: y\n")  # an uncommitted change is still seen
    assert capture_environment(str(repo / "."))["git"] == {"commit": commit, "dirty": True}
    assert not marker.exists()


def test_a_clean_filter_named_by_gitattributes_is_never_run(tmp_path, git_available):
    repo, marker = tmp_path / "repo", tmp_path / "filter-ran"
    commit = _repo(repo, {"data.txt": "a\n", ".gitattributes": "*.txt filter=x\n"})
    _git(repo, "config", "filter.x.clean", f"sh -c 'touch {marker}; cat'")
    _git(repo, "config", "core.hooksPath", str(tmp_path / "hooks"))
    (repo / "data.txt").write_text("b\n")  # git status must read it: a filter would run
    (repo / "sub").mkdir()
    git = capture_environment(str(repo / "sub"))["git"]
    assert not marker.exists()
    assert git == {"commit": commit, "dirty": True}


def test_the_commit_is_read_from_packed_refs_and_a_detached_head(tmp_path, git_available):
    repo = tmp_path / "repo"
    commit = _repo(repo, {"a.txt": "a\n"})
    _git(repo, "pack-refs", "--all")
    assert not list((repo / ".git" / "refs" / "heads").iterdir())
    assert capture_environment(str(repo))["git"]["commit"] == commit
    _git(repo, "checkout", "-q", "--detach")
    assert capture_environment(str(repo))["git"]["commit"] == commit


def test_no_repository_or_no_commit_records_no_git(tmp_path, git_available):
    assert capture_environment(str(tmp_path))["git"] is None
    _git(tmp_path, "init", "-q")  # an unborn branch: no commit yet
    assert capture_environment(str(tmp_path))["git"] is None
