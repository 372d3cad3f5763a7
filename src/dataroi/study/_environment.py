"""Capture the environment a trial ran in: Python, platform, CPU, packages, git commit.

Example:
    >>> env = capture_environment()
    >>> sorted(k for k in env if k in ("python", "packages", "platform"))
    ['packages', 'platform', 'python']
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from collections.abc import Iterable
from importlib import metadata
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dataroi.spec import StudySpec

__all__ = ["capture_environment", "diff_environments", "model_modules"]

_PACKAGES = ("dataroi", "numpy", "scipy", "pandas", "scikit-learn", "threadpoolctl",
             "joblib", "SQLAlchemy", "pyarrow", "xgboost", "lightgbm", "catboost")


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _git_commit(directory: str | None) -> dict[str, Any] | None:
    if not directory:
        return None
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=directory, capture_output=True,
                                text=True, timeout=5, check=False)
        if commit.returncode != 0:
            return None
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                               cwd=directory, capture_output=True, text=True, timeout=5,
                               check=False)
        return {"commit": commit.stdout.strip(), "dirty": bool(dirty.stdout.strip())}
    except (OSError, subprocess.SubprocessError):
        return None


def model_modules(spec: StudySpec) -> list[str]:
    """The library modules the spec's models name (every import path, pipeline steps
    too); the user's own modules are left out (their content is in the model's hash).

    Example:
        >>> from dataroi.spec import spec_from_dict
        >>> model_modules(spec_from_dict({"data": "sklearn:iris",
        ...     "schedule": {"sizes": [20]},
        ...     "models": {"lr": "sklearn.linear_model.LogisticRegression"}}))
        ['sklearn.linear_model']
    """
    from dataroi._imports import source_digest, split_import_path

    out: list[str] = []
    for model in spec.models:
        for path in model.import_paths():
            try:
                name = split_import_path(path)[0]
            except ImportError:
                continue
            if name not in out and source_digest(path, search_path=spec.base_dir) is None:
                out.append(name)
    return out


def _distributions(modules: Iterable[str]) -> list[str]:
    """The installed distributions that provide these top-level modules (e.g. a model's
    ``skorch`` → ``skorch``), beyond the packages always recorded."""
    wanted = ({m.split(".")[0] for m in modules} - {"sklearn", "dataroi"}
              - set(sys.stdlib_module_names))
    if not wanted:
        return []
    provided = metadata.packages_distributions()
    return sorted({d for m in wanted for d in provided.get(m, ())} - set(_PACKAGES))


def capture_environment(project_dir: str | None = None, *,
                        modules: Iterable[str] = ()) -> dict[str, Any]:
    """Describe this process's environment as plain data (stored once per distinct value).

    Args:
        project_dir: the user's project folder (the spec's), for its git commit.
        modules: the modules the models name; the versions of the installed packages
            that provide them are recorded too (a library model's code is identified by
            its version; the user's own modules by their content, in the model's hash).
    """
    packages = {}
    for name in (*_PACKAGES, *_distributions(modules)):
        try:
            packages[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return {
        "python": sys.version.split()[0],
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpu": _cpu_model(),
        "cpu_count": os.cpu_count(),
        "packages": packages,
        "git": _git_commit(project_dir),
    }


def diff_environments(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """Human-readable differences between two environments (packages compared one by one).

    Example:
        >>> diff_environments({"python": "3.11.7", "packages": {"numpy": "1.26"}},
        ...                   {"python": "3.11.7", "packages": {"numpy": "2.0"}})
        ['numpy: 1.26 → 2.0']
    """
    out = []
    keys = sorted(set(old) | set(new))
    for k in keys:
        if k == "packages":
            po, pn = old.get(k) or {}, new.get(k) or {}
            for name in sorted(set(po) | set(pn)):
                if po.get(name) != pn.get(name):
                    out.append(f"{name}: {po.get(name, '-')} → {pn.get(name, '-')}")
        elif old.get(k) != new.get(k):
            out.append(f"{k}: {old.get(k)} → {new.get(k)}")
    return out
