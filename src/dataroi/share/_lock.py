"""The environment lock of a bundle: every installed distribution's exact version,
Python and the platform; and how another environment differs from it.

A difference is a warning, except in a package that computes the numbers
(:data:`NUMERIC_PACKAGES` and the distributions that provide the study's models):
there it makes a verification fail, because an exact re-run is then not expected.

Example:
    >>> lock = {"python": "3.11.7", "packages": {"numpy": "1.26.4", "rich": "13.0"},
    ...         "numeric": ["numpy"]}
    >>> here = {"python": "3.11.7", "packages": {"numpy": "2.0.0", "rich": "13.1"}}
    >>> diff = compare_lock(lock, here)
    >>> [str(d) for d in diff.numeric], [str(d) for d in diff.other]
    (['numpy: 1.26.4 in the bundle, 2.0.0 here'], ['rich: 13.0 in the bundle, 13.1 here'])
"""

from __future__ import annotations

import platform
import re
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any

__all__ = ["NUMERIC_PACKAGES", "EnvironmentDiff", "LockDifference", "capture_lock",
           "compare_lock", "normalize_name", "requirements_text"]

#: Distributions whose version can change a study's numbers, always (the models' own
#: distributions are added per study).
NUMERIC_PACKAGES: tuple[str, ...] = ("dataroi", "numpy", "scikit-learn", "scipy")


def normalize_name(name: str) -> str:
    """A distribution's name as PEP 503 compares it.

    Example:
        >>> normalize_name("Scikit_Learn"), normalize_name("ruamel.yaml")
        ('scikit-learn', 'ruamel-yaml')
    """
    return re.sub(r"[-_.]+", "-", name).lower()


def installed_packages() -> dict[str, str]:
    """Every installed distribution → its version (the first found on ``sys.path``, the
    one ``import`` uses), by normalized name, sorted."""
    out: dict[str, str] = {}
    for dist in metadata.distributions():
        name = dist.metadata["Name"] if dist.metadata else None
        if not name:
            continue
        out.setdefault(normalize_name(name), dist.version)
    return dict(sorted(out.items()))


def model_distributions(modules: Iterable[str]) -> list[str]:
    """The installed distributions that provide these top-level modules (a model's
    ``xgboost`` → ``xgboost``), by normalized name.

    Example:
        >>> model_distributions(["sklearn.linear_model"])
        ['scikit-learn']
    """
    tops = {m.split(".")[0] for m in modules} - set(sys.stdlib_module_names)
    if not tops:
        return []
    provided = metadata.packages_distributions()
    return sorted({normalize_name(d) for m in tops for d in provided.get(m, ())})


def capture_lock(modules: Iterable[str] = ()) -> dict[str, Any]:
    """This environment as a lock: Python, platform, every installed distribution, and
    which of them compute the numbers (:data:`NUMERIC_PACKAGES` plus the distributions
    of ``modules``, the library modules the study's models name).

    Example:
        >>> lock = capture_lock(["sklearn.tree"])
        >>> "scikit-learn" in lock["numeric"], lock["python"] == platform.python_version()
        (True, True)
    """
    numeric = sorted(set(NUMERIC_PACKAGES) | set(model_distributions(modules)))
    return {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "packages": installed_packages(),
        "numeric": numeric,
    }


def requirements_text(lock: Mapping[str, Any]) -> str:
    """The lock's packages as ``pip install -r`` lines (``name==version``).

    Example:
        >>> print(requirements_text({"python": "3.11.7",
        ...                          "packages": {"numpy": "2.0.0"}}), end="")
        # Python 3.11.7
        numpy==2.0.0
    """
    lines = [f"# Python {lock.get('python', '?')}"]
    lines += [f"{name}=={version}" for name, version in sorted(lock["packages"].items())]
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class LockDifference:
    """One item that differs: a package (``-`` where it is missing) or a setting."""

    name: str
    locked: str | None
    here: str | None
    numeric: bool = False

    def __str__(self) -> str:
        return (f"{self.name}: {self.locked or 'not installed'} in the bundle, "
                f"{self.here or 'not installed'} here")

    def to_dict(self) -> dict[str, Any]:
        """Plain data."""
        return {"name": self.name, "bundle": self.locked, "here": self.here,
                "numeric": self.numeric}


@dataclass(frozen=True)
class EnvironmentDiff:
    """How this environment differs from a lock.

    Attributes:
        numeric: packages that compute the numbers and differ (a verification fails).
        other: other packages, Python and the platform (warnings).
    """

    numeric: list[LockDifference] = field(default_factory=list)
    other: list[LockDifference] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """Plain data."""
        return {"numeric": [d.to_dict() for d in self.numeric],
                "other": [d.to_dict() for d in self.other]}

    def warnings(self, *, shown: int = 8) -> list[str]:
        """The other differences as short lines: one per changed version or setting, one
        for the packages only the bundle has, one for those only here.

        Example:
            >>> diff = EnvironmentDiff(other=[LockDifference("rich", "13.0", "13.1"),
            ...     LockDifference("attrs", "26.1", None), LockDifference("zict", "3.0", None)])
            >>> for line in diff.warnings():
            ...     print(line)
            rich: 13.0 in the bundle, 13.1 here
            2 packages of the lock are not installed here: attrs, zict
        """
        changed = [str(d) for d in self.other if d.locked and d.here]
        gone = [d.name for d in self.other if d.locked and not d.here]
        new = [d.name for d in self.other if d.here and not d.locked]

        def listing(names: list[str]) -> str:
            more = f", ... ({len(names) - shown} more)" if len(names) > shown else ""
            return ", ".join(names[:shown]) + more

        out = changed
        if gone:
            out.append(f"{len(gone)} package{'s' if len(gone) > 1 else ''} of the lock "
                       f"{'are' if len(gone) > 1 else 'is'} not installed here: "
                       f"{listing(gone)}")
        if new:
            out.append(f"{len(new)} package{'s' if len(new) > 1 else ''} installed here "
                       f"{'are' if len(new) > 1 else 'is'} not in the lock: {listing(new)}")
        return out


def compare_lock(lock: Mapping[str, Any], here: Mapping[str, Any] | None = None
                 ) -> EnvironmentDiff:
    """How ``here`` (default: this environment) differs from ``lock``.

    Packages are compared by normalized name and exact version; a package in one and not
    the other differs too. ``python``, ``implementation``, ``platform`` and ``machine``
    are compared as settings (warnings).
    """
    here = capture_lock() if here is None else here
    numeric_names = {normalize_name(n) for n in (*NUMERIC_PACKAGES, *lock.get("numeric", ()))}
    locked = {normalize_name(k): v for k, v in (lock.get("packages") or {}).items()}
    now = {normalize_name(k): v for k, v in (here.get("packages") or {}).items()}
    numeric: list[LockDifference] = []
    other: list[LockDifference] = []
    for name in sorted(set(locked) | set(now) | numeric_names):
        a, b = locked.get(name), now.get(name)
        if a == b:
            continue
        diff = LockDifference(name, a, b, numeric=name in numeric_names)
        (numeric if diff.numeric else other).append(diff)
    settings = [LockDifference(key, str(lock.get(key)), str(here.get(key)))
                for key in ("python", "implementation", "platform", "machine")
                if key in lock and lock.get(key) != here.get(key)]
    return EnvironmentDiff(numeric=numeric, other=settings + other)
