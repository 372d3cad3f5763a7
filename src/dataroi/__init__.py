"""dataroi: is the next dollar better spent on more labels, better labels or a better model?

Reproducible learning-curve studies with honest error bars. ``import dataroi`` is cheap:
heavy modules load when first used.

Example:
    >>> import dataroi
    >>> callable(dataroi.load_study)
    True
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from dataroi.exceptions import (
    ConvergenceError,
    DataError,
    DataroiError,
    LedgerError,
    SpecError,
    UsageError,
)

__version__ = "0.1.0"

__all__ = [
    "ConvergenceError",
    "DataError",
    "DataroiError",
    "LedgerError",
    "SpecError",
    "Study",
    "UsageError",
    "__version__",
    "load_spec",
    "load_study",
    "open_ledger",
]

_LAZY = {
    "Study": "dataroi.study",
    "load_study": "dataroi.study",
    "load_spec": "dataroi.spec",
    "open_ledger": "dataroi.ledger",
}

if TYPE_CHECKING:
    from dataroi.ledger import open_ledger
    from dataroi.spec import load_spec
    from dataroi.study import Study, load_study


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'dataroi' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
