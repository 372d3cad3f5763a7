"""A verification's finding: one number (or member) that is not what it should be.

Example:
    >>> m = Mismatch("report", "lr n_train=40 repeat=1", bundled=0.95, recomputed=0.5,
    ...              stated="in report.json", source="in the trial rows")
    >>> print(m)
    report: lr n_train=40 repeat=1: 0.95 in report.json, 0.5 in the trial rows
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["Mismatch", "show", "show_pair"]


def show(value: Any) -> str:
    """A value as a message shows it: floats in full (``repr``), text quoted, short.

    Example:
        >>> show(0.1 + 0.2), show("abc"), show(None)
        ('0.30000000000000004', "'abc'", 'nothing')
    """
    if value is None:
        return "nothing"
    text = repr(value) if isinstance(value, (float, str)) else str(value)
    return text if len(text) <= 80 else text[:77] + "..."


def show_pair(a: Any, b: Any) -> tuple[str, str]:
    """Two values as :func:`show` shows them — but two long texts that differ only past
    what it shows are shown around their first difference (two cut texts that look the
    same say nothing).

    Example:
        >>> x = "a" * 100 + "1" + "z" * 50
        >>> show_pair(x, x.replace("1", "2"))  # doctest: +NORMALIZE_WHITESPACE
        ("'...aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1zzzzzzzzzzzzzzzzzzzzzzzzzzzzzz...' (from
        character 71)", "'...aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa2zzzzzzzzzzzzzzzzzzzzzzzzzzzzzz...'
        (from character 71)")
    """
    sa, sb = show(a), show(b)
    if sa != sb or not (isinstance(a, str) and isinstance(b, str)) or a == b:
        return sa, sb
    i = next((k for k, (x, y) in enumerate(zip(a, b, strict=False)) if x != y),
             min(len(a), len(b)))
    start = max(0, i - 30)

    def cut(t: str) -> str:
        part = t[start:i + 31]
        return (repr(("..." if start else "") + part + ("..." if i + 31 < len(t) else ""))
                + (f" (from character {start + 1})" if start else ""))

    return cut(a), cut(b)


@dataclass(frozen=True)
class Mismatch:
    """What differs, where, and the two values.

    Attributes:
        check: the check that found it (``manifest``, ``environment``, ``rows``,
            ``report``, ``recomputed report``, ``re-run``).
        where: the member, the number's place in the report, or the trial.
        bundled: the value the bundle holds (None for a message without values).
        recomputed: the value found here.
        stated: where ``bundled`` was read (for the message).
        source: what ``recomputed`` was computed from (for the message).
        detail: the message when the values alone do not say it.
    """

    check: str
    where: str
    bundled: Any = None
    recomputed: Any = None
    source: str = "recomputed"
    detail: str = ""
    stated: str = "in the bundle"

    def __str__(self) -> str:
        if self.detail:
            return f"{self.check}: {self.where}: {self.detail}"
        a, b = show_pair(self.bundled, self.recomputed)
        return f"{self.check}: {self.where}: {a} {self.stated}, {b} {self.source}"

    def to_dict(self) -> dict[str, Any]:
        """Plain data (JSON-safe when the values are)."""
        return {"check": self.check, "where": self.where, "bundled": self.bundled,
                "recomputed": self.recomputed, "stated": self.stated, "source": self.source,
                "detail": self.detail, "message": str(self)}
