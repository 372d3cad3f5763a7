"""dataroi: is the next dollar better spent on more labels, better labels or a better model?

Reproducible learning-curve studies with honest error bars. ``import dataroi`` is cheap:
heavy modules load when first used.

Example:
    >>> import dataroi
    >>> callable(dataroi.load_study), callable(dataroi.analyze)
    (True, True)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dataroi._lazy import lazy_exports
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
    "Analysis",
    "ConvergenceError",
    "DataError",
    "DataroiError",
    "LedgerError",
    "SpecError",
    "Study",
    "UsageError",
    "__version__",
    "analyze",
    "load_spec",
    "load_study",
    "open_ledger",
    "trials_from_learning_curve",
]

if TYPE_CHECKING:
    from dataroi.analysis import Analysis, analyze, trials_from_learning_curve
    from dataroi.ledger import open_ledger
    from dataroi.spec import load_spec
    from dataroi.study import Study, load_study

__getattr__, __dir__ = lazy_exports(__name__, {
    "Analysis": "analysis", "analyze": "analysis",
    "trials_from_learning_curve": "analysis",
    "Study": "study", "load_study": "study",
    "load_spec": "spec",
    "open_ledger": "ledger",
}, globals())
