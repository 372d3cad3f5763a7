"""Number formatting shared by the command-line tables.

Example:
    >>> num(0.12345), num(None), num(float("nan")), num(float("inf")), num(-float("inf"))
    ('0.1235', '–', '–', '∞', '-∞')
    >>> interval(0.1, 0.3, ".2f"), interval(0.1, float("nan"))
    ('0.10 … 0.30', '–')
"""

from __future__ import annotations

import math
from typing import Any

__all__ = ["interval", "num"]


def num(v: Any, fmt: str = ".4f") -> str:
    """``v`` formatted with ``fmt``; "–" when missing or NaN, "∞" / "-∞" when infinite."""
    if v is None:
        return "–"
    if isinstance(v, float) and not math.isfinite(v):
        return "–" if math.isnan(v) else ("∞" if v > 0 else "-∞")
    return format(v, fmt)


def interval(lo: Any, hi: Any, fmt: str = ".4f") -> str:
    """``"lo … hi"``, or "–" unless both ends are finite numbers."""
    ends = [v for v in (lo, hi) if v is not None and math.isfinite(v)]
    return f"{format(lo, fmt)} … {format(hi, fmt)}" if len(ends) == 2 else "–"
