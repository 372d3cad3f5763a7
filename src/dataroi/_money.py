"""Money as people read it: whole US dollars with thousands separators, sign in front.

Example:
    >>> usd(1500), usd(-104.4), usd(None), usd(float("nan"))
    ('$1,500', '-$104', 'n/a', 'n/a')
"""

from __future__ import annotations

import math
from typing import Any

__all__ = ["usd"]


def usd(v: Any) -> str:
    """``v`` dollars without cents (``$1,500``; ``-$104``); "n/a" when missing or NaN."""
    if v is None:
        return "n/a"
    f = float(v)
    if math.isnan(f):
        return "n/a"
    if math.isinf(f):
        return "-$∞" if f < 0 else "$∞"
    whole = round(f)
    return f"-${-whole:,}" if whole < 0 else f"${whole:,}"
