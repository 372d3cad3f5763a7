"""Money as people read it: whole US dollars with thousands separators, sign in front.

Example:
    >>> usd(1500), usd(-104.4), usd(None), usd(float("nan"))
    ('$1,500', '-$104', 'n/a', 'n/a')
    >>> amount(-12754.3), amount(-3.6543), amount(0.000123)
    ('-12,754', '-3.654', '0.000123')
"""

from __future__ import annotations

import math
from typing import Any

__all__ = ["amount", "usd", "value_text"]


def usd(v: Any) -> str:
    """``v`` dollars without cents (``$1,500``; ``-$104``); "n/a" when missing or NaN."""
    f = _number(v)
    if f is None:
        return "n/a"
    if math.isinf(f):
        return "-$∞" if f < 0 else "$∞"
    whole = round(f)
    return f"-${-whole:,}" if whole < 0 else f"${whole:,}"


def value_text(v: Any, *, money: bool) -> str:
    """A value of the options (a net value, an expected loss) in words: dollars when the
    options are priced (``money``), else gain in the metric's units.

    Example:
        >>> value_text(1234.5, money=True), value_text(0.00042, money=False)
        ('$1,234', '0.00042 of gain')
    """
    return usd(v) if money else f"{amount(v)} of gain"


def amount(v: Any, digits: int = 4) -> str:
    """``v`` in any currency or unit, to ``digits`` significant digits but never in
    exponent notation from a thousand up (``-12,754``, not ``-1.275e+04``); "n/a" when
    missing or NaN.

    Example:
        >>> amount(1234567.8), amount(999.94), amount(-0.5), amount(None), amount(-0.0)
        ('1,234,568', '999.9', '-0.5', 'n/a', '0')
    """
    f = _number(v)
    if f is None:
        return "n/a"
    if math.isinf(f):
        return "-∞" if f < 0 else "∞"
    text = f"{f:,.0f}" if abs(f) >= 10 ** (digits - 1) else f"{f:,.{digits}g}"
    return text[1:] if text.startswith("-") and float(text.replace(",", "")) == 0 else text


def signed(v: float, digits: int = 4) -> str:
    """``v`` with its sign and ``digits`` decimals, a zero always ``+0.0000`` (a tiny
    negative rounds to ``-0.0000`` otherwise).

    Example:
        >>> signed(0.01234), signed(-0.00001), signed(-0.5, 2)
        ('+0.0123', '+0.0000', '-0.50')
    """
    text = f"{v:+.{digits}f}"
    return "+" + text[1:] if float(text) == 0 else text


def _number(v: Any) -> float | None:
    """``v`` as a float, None when missing or NaN."""
    if v is None:
        return None
    f = float(v)
    return None if math.isnan(f) else f
