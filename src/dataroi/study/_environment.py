"""Capture the environment a trial ran in: Python, platform, CPU, packages, git commit.

Example:
    >>> env = capture_environment()
    >>> sorted(k for k in env if k in ("python", "packages", "platform"))
    ['packages', 'platform', 'python']
"""

from __future__ import annotations

import os
import platform
import re
import subprocess
import sys
import tempfile
from collections.abc import Iterable
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dataroi.spec import StudySpec

__all__ = ["TRIAL_THREADS", "capture_environment", "diff_environments", "model_modules",
           "trial_threads"]

#: The key of a run's environment document holding its trials' BLAS/OpenMP thread limit
#: (a setting of the run, not of the machine: :func:`diff_environments` leaves it out).
TRIAL_THREADS = "trial_threads"

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


_SHA = re.compile(r"[0-9a-f]{40}([0-9a-f]{24})?")
#: repository settings copied into git's sandbox for ``dirty``: each changes how a file is
#: compared, none names a command (values other than plain words are dropped)
_SAFE_CORE = ("filemode", "symlinks", "ignorecase", "precomposeunicode", "trustctime",
              "checkstat", "autocrlf", "eol", "safecrlf")


def _read_text(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None


def _git_dirs(directory: str) -> tuple[Path, Path, Path] | None:
    """(work tree, git dir, common dir) of the repository holding ``directory``: the
    nearest ``.git`` folder or ``.git`` file (``gitdir: ...``, a linked worktree or a
    submodule) found walking up; None outside a repository."""
    start = Path(directory).resolve()
    for top in (start, *start.parents):
        dot = top / ".git"
        if dot.is_dir():
            git_dir = dot
        elif dot.is_file():
            text = (_read_text(dot) or "").strip()
            if not text.startswith("gitdir:"):
                return None
            git_dir = (top / text[len("gitdir:"):].strip()).resolve()
        else:
            continue
        common = (_read_text(git_dir / "commondir") or "").strip()
        return top, git_dir, (git_dir / common).resolve() if common else git_dir
    return None


def _resolve_ref(git_dir: Path, common: Path, name: str) -> str | None:
    """The commit a ref names, from its loose file or ``packed-refs`` (symbolic refs
    followed a few levels); None when it names nothing (an unborn branch)."""
    for _ in range(5):
        if not name.startswith("refs/") or ".." in name.split("/"):
            return None
        text = None
        for base in (git_dir, common):  # per-worktree refs first
            text = _read_text(base / name)
            if text is not None:
                break
        if text is None:
            for line in (_read_text(common / "packed-refs") or "").splitlines():
                sha, _, ref = line.partition(" ")
                if ref.strip() == name and _SHA.fullmatch(sha):
                    return sha
            return None
        text = text.strip()
        if not text.startswith("ref:"):
            return text if _SHA.fullmatch(text) else None
        name = text[len("ref:"):].strip()
    return None


def _head_commit(git_dir: Path, common: Path) -> str | None:
    """HEAD's commit read from the repository's files (no git process)."""
    head = (_read_text(git_dir / "HEAD") or "").strip()
    if _SHA.fullmatch(head):  # detached
        return head
    if head.startswith("ref:"):
        return _resolve_ref(git_dir, common, head[len("ref:"):].strip())
    return None


def _safe_core_settings(config: Path) -> list[str]:
    """The ``[core]`` settings of ``_SAFE_CORE`` in a git config file, read as data."""
    out: list[str] = []
    in_core = False
    for raw in (_read_text(config) or "").splitlines():
        line = raw.split("#", 1)[0].split(";", 1)[0].strip()
        if line.startswith("["):
            in_core = line.lower() == "[core]"
            continue
        key, sep, value = line.partition("=")
        key, value = key.strip().lower(), value.strip()
        if in_core and sep and key in _SAFE_CORE and re.fullmatch(r"[A-Za-z0-9_-]+", value):
            out.append(f"\t{key} = {value}\n")
    return out


def _is_dirty(work_tree: Path, git_dir: Path, common: Path, commit: str) -> bool | None:
    """Whether tracked files differ from ``commit``, by ``git status`` in a sandbox.

    git runs with a git dir of our own (HEAD = ``commit``, a config of a few comparison
    settings, no hooks, no ``info/attributes``), the repository's objects and index as
    data, no system or global config and no inherited ``GIT_*`` variables: no setting of
    the repository (``core.fsmonitor``, a ``filter.<x>.clean`` that ``.gitattributes``
    names, hooks, ``include.path`` ...) reaches the process, so none can run a command.
    The index is only read (``--no-optional-locks``); submodules are not looked into.
    None when git is missing or fails (e.g. a split index).
    """
    with tempfile.TemporaryDirectory(prefix="dataroi-git-") as tmp:
        sandbox = Path(tmp)
        (sandbox / "refs").mkdir()
        (sandbox / "HEAD").write_text(commit + "\n")
        sha256 = len(commit) == 64
        (sandbox / "config").write_text(
            f"[core]\n\trepositoryformatversion = {int(sha256)}\n\tbare = false\n"
            + "".join(_safe_core_settings(common / "config"))
            + ("[extensions]\n\tobjectformat = sha256\n" if sha256 else ""))
        env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
        env.update(GIT_DIR=str(sandbox), GIT_WORK_TREE=str(work_tree),
                   GIT_OBJECT_DIRECTORY=str(common / "objects"),
                   GIT_INDEX_FILE=str(git_dir / "index"), GIT_CONFIG_NOSYSTEM="1",
                   GIT_CONFIG_GLOBAL=os.devnull, GIT_OPTIONAL_LOCKS="0",
                   GIT_TERMINAL_PROMPT="0")
        try:
            status = subprocess.run(
                ["git", "--no-optional-locks", "status", "--porcelain",
                 "--untracked-files=no", "--ignore-submodules=all"],
                cwd=work_tree, env=env, capture_output=True, text=True, timeout=5,
                check=False)
        except (OSError, subprocess.SubprocessError):
            return None
    return bool(status.stdout.strip()) if status.returncode == 0 else None


def _git_commit(directory: str | None) -> dict[str, Any] | None:
    """The commit of the git repository holding ``directory`` and whether its tracked
    files have uncommitted changes; None outside a repository or without a commit.

    A spec's folder may be anyone's repository (a cloned project, an unpacked archive),
    and a repository's own config can make git run commands (``core.fsmonitor``, filter
    drivers that ``.gitattributes`` selects, hooks). So the commit is read from
    ``.git/HEAD``, the refs and ``packed-refs`` without running git, and ``dirty`` comes
    from a sandboxed ``git status`` that sees none of the repository's settings
    (:func:`_is_dirty`). The trade-off: a file that only a filter or a setting outside
    the few comparison ones copied would normalize may count as changed, submodules are
    not looked into, and a repository in the reftable format records no commit.

    Example:
        >>> print(_git_commit(None))
        None
    """
    if not directory:
        return None
    dirs = _git_dirs(directory)
    if dirs is None:
        return None
    work_tree, git_dir, common = dirs
    commit = _head_commit(git_dir, common)
    if commit is None:
        return None
    return {"commit": commit, "dirty": _is_dirty(work_tree, git_dir, common, commit)}


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
    keys = sorted((set(old) | set(new)) - {TRIAL_THREADS})
    for k in keys:
        if k == "packages":
            po, pn = old.get(k) or {}, new.get(k) or {}
            for name in sorted(set(po) | set(pn)):
                if po.get(name) != pn.get(name):
                    out.append(f"{name}: {po.get(name, '-')} → {pn.get(name, '-')}")
        elif old.get(k) != new.get(k):
            out.append(f"{k}: {old.get(k)} → {new.get(k)}")
    return out


def trial_threads(environment: dict[str, Any] | None) -> int:
    """The BLAS/OpenMP threads a run gave each trial, from its environment document (1
    for a run recorded before dataroi kept them: the count ``reproduce`` used then).

    Example:
        >>> trial_threads({"python": "3.11", TRIAL_THREADS: 2}), trial_threads({})
        (2, 1)
    """
    value = (environment or {}).get(TRIAL_THREADS)
    return int(value) if isinstance(value, int) and value > 0 else 1
