"""The "did you mean" hint of a one-line error: the closest known name.

Example:
    >>> did_you_mean("defualt", ["default", "student", "balance"])
    " (did you mean 'default'?)"
    >>> did_you_mean("Default", ["default"]), did_you_mean("xyz", ["default"])
    (" (did you mean 'default'?)", '')
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

__all__ = ["did_you_mean"]


def did_you_mean(name: object, candidates: Iterable[object]) -> str:
    """`` (did you mean 'x'?)`` for the candidate equal to ``name`` but for case, else the
    closest one (:func:`difflib.get_close_matches`), else ``""``."""
    names = [str(c) for c in candidates]
    text = str(name)
    close = [c for c in names if c.lower() == text.lower()] or \
        difflib.get_close_matches(text, names, n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""
