"""Lazy package exports: a name is imported from its submodule on first use.

Packages whose submodules pull in heavy libraries (scipy, pandas) expose their public
names this way, so ``import dataroi.impact`` stays cheap.

Example:
    >>> ns = {"__all__": ["sqrt"]}
    >>> getattr_, dir_ = lazy_exports("math", {"sqrt": ""}, ns)
    >>> getattr_("sqrt")(9.0), "sqrt" in ns
    (3.0, True)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from importlib import import_module
from typing import Any

__all__ = ["lazy_exports"]


def lazy_exports(package: str, names: Mapping[str, str], namespace: dict[str, Any]
                 ) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """The module-level ``__getattr__`` and ``__dir__`` of ``package``.

    Args:
        package: the package's ``__name__``.
        names: public name → submodule (``"_report"``; ``""`` for the package itself; a
            full ``"dataroi...."`` path for a module elsewhere).
        namespace: the package's ``globals()``; a loaded name is cached there.
    """
    def __getattr__(name: str) -> Any:
        module = names.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        path = (module if module.startswith("dataroi.") else
                f"{package}.{module}" if module else package)
        value = getattr(import_module(path), name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted(set(namespace) | set(namespace.get("__all__", ())))

    return __getattr__, __dir__
