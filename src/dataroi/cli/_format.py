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

__all__ = ["interval", "num", "small"]


def num(v: Any, fmt: str = ".4f") -> str:
    """``v`` formatted with ``fmt``; "–" when missing or NaN, "∞" / "-∞" when infinite; a
    value that rounds to zero carries no minus sign.

    Example:
        >>> num(-0.00001, "+.4f"), num(-0.00001), num(-0.0002, "+.4f")
        ('+0.0000', '0.0000', '-0.0002')
    """
    if v is None:
        return "–"
    if isinstance(v, float) and not math.isfinite(v):
        return "–" if math.isnan(v) else ("∞" if v > 0 else "-∞")
    text = format(v, fmt)
    if text.startswith("-") and not any(c in "123456789" for c in text):
        text = ("+" if "+" in fmt else "") + text[1:]  # -0.0000: a rounded zero
    return text


def small(v: Any, *, sign: bool = False, digits: int = 4) -> str:
    """A rate that can be tiny (a gain per 1,000 labels at hundreds of thousands of
    labels) or large (a regression's error in dollars): ``digits`` decimals below 10, as
    many as two significant digits need (at most 8) when tiny, and ``digits``
    significant digits with thousands grouped from 10 up.

    Example:
        >>> [small(v, sign=True) for v in (0.0018, 0.0000123, 0.0, -0.0, -0.25)]
        ['+0.0018', '+0.000012', '+0.0000', '+0.0000', '-0.2500']
        >>> [small(v, sign=True) for v in (12.34567, -1523.4567, 123456.7)]
        ['+12.35', '-1,523', '+123,457']
        >>> small(None)
        '–'
    """
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return num(v)
    a = abs(float(v))
    if a >= 10:
        d = max(0, digits - 1 - math.floor(math.log10(a)))
        return num(float(v), f"{'+' if sign else ''},.{d}f")
    d = digits if a == 0 or a >= 10 ** -(digits - 1) else min(8, 1 - math.floor(math.log10(a)))
    return num(float(v), f"{'+' if sign else ''}.{d}f")


def interval(lo: Any, hi: Any, fmt: str = ".4f") -> str:
    """``"lo … hi"``, or "–" unless both ends are finite numbers."""
    ends = [v for v in (lo, hi) if v is not None and math.isfinite(v)]
    return f"{format(lo, fmt)} … {format(hi, fmt)}" if len(ends) == 2 else "–"
