"""One output layer for every command: results on standard output, notes and progress on
standard error; ``--json`` prints the result as JSON (no NaN) and nothing else on stdout.

Example:
    >>> import io
    >>> buf = io.StringIO()
    >>> print_json({"a": float("nan"), "b": [1, 2]}, file=buf)
    >>> buf.getvalue()
    '{\\n "a": null,\\n "b": [\\n  1,\\n  2\\n ]\\n}\\n'
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any, TextIO

__all__ = ["log_console", "print_json", "result_console"]


def print_json(obj: Any, *, file: TextIO | None = None) -> None:
    """``obj`` as indented JSON (NaN and infinities as null) on standard output."""
    from dataroi._json import json_safe

    out = file or sys.stdout
    out.write(json.dumps(json_safe(obj), indent=1, allow_nan=False, default=str) + "\n")


def result_console(*, markup: bool = False) -> Any:
    """A console for results on standard output: without Rich markup by default (labels
    such as ``E[net]`` print as they are; with ``markup`` escape user text), the
    terminal's width, or 140 columns when piped and ``COLUMNS`` is not set (so piped
    tables stay readable)."""
    from rich.console import Console

    wide = sys.stdout.isatty() or bool(os.environ.get("COLUMNS"))
    return Console(highlight=False, markup=markup, width=None if wide else 140)


def log_console() -> Any:
    """A console for notes, progress and logs on standard error."""
    from rich.console import Console

    return Console(stderr=True, highlight=False)
