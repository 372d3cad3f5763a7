"""Counts of labels or rows in three significant digits, as people read them.

Example:
    >>> short_count(950), short_count(56_600), short_count(1_190_000), short_count(7.24e10)
    ('950', '56.6k', '1.19M', '72.4G')
    >>> short_count(float("inf"))
    '∞'
"""

from __future__ import annotations

import math

__all__ = ["short_count"]

_UNITS = ((1e9, "G"), (1e6, "M"), (1e3, "k"))


def short_count(n: float) -> str:
    """``n`` in three significant digits with k, M or G; "∞" when infinite.

    A count that rounds up to the next unit takes it (999,999 is "1M", not "1e+03k").
    """
    if not math.isfinite(n):
        return "∞" if n > 0 else "-∞"
    a = abs(n)
    for scale, unit in _UNITS:
        if float(f"{a:.3g}") >= scale:
            return f"{n / scale:.3g}{unit}"
    return f"{n:.0f}"
