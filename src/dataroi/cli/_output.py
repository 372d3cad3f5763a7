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

import contextlib
import json
import os
import sys
import warnings
from collections.abc import Iterator
from typing import Any, TextIO

__all__ = ["data_warnings_to", "log_console", "print_json", "result_console"]


def print_json(obj: Any, *, file: TextIO | None = None) -> None:
    """``obj`` as indented JSON (NaN and infinities as null) on standard output."""
    from dataroi._json import json_safe

    out = file or sys.stdout
    out.write(json.dumps(json_safe(obj), indent=1, allow_nan=False, default=str) + "\n")


def result_console(*, markup: bool = False) -> Any:
    """A console for results on standard output: without Rich markup by default (labels
    such as ``E[net]`` print as they are; with ``markup`` escape user text), the
    terminal's width, or 140 columns when piped and ``COLUMNS`` is not set (so piped
    tables stay readable). Piped, a line of text stays one line (a ledger's path is not
    broken where Rich would wrap it); tables are drawn to the width either way.

    Example:
        >>> console = result_console()  # standard output is not a terminal here
        >>> console.width, console.soft_wrap
        (140, True)
    """
    from rich.console import Console

    tty = sys.stdout.isatty()
    wide = tty or bool(os.environ.get("COLUMNS"))
    return Console(highlight=False, markup=markup, width=None if wide else 140,
                   soft_wrap=not tty)


def log_console() -> Any:
    """A console for notes, progress and logs on standard error: in a terminal, wrapped
    at its width; to a file or a pipe, one line per message (a log a program can read).

    Example:
        >>> log_console().soft_wrap  # standard error is not a terminal here
        True
    """
    from rich.console import Console

    return Console(stderr=True, highlight=False, soft_wrap=not sys.stderr.isatty())


@contextlib.contextmanager
def data_warnings_to(console: Any) -> Iterator[None]:
    """Print each :class:`~dataroi.exceptions.DataWarning` issued inside the block as
    one line, ``warning: <message>``, on ``console`` (standard error) when it is issued
    — so ``dataroi run`` shows the data checks before the first trial; other warnings
    are shown as Python shows them.

    Example:
        >>> import io, warnings
        >>> from rich.console import Console
        >>> from dataroi.exceptions import DataWarning
        >>> buf = io.StringIO()
        >>> with data_warnings_to(Console(file=buf, width=200)):
        ...     warnings.warn("column 'x' is empty [sic]", DataWarning)
        >>> buf.getvalue()
        "warning: column 'x' is empty [sic]\\n"
    """
    from dataroi.exceptions import DataWarning

    with warnings.catch_warnings():
        warnings.simplefilter("always", DataWarning)
        shown = warnings.showwarning

        def show(message: Any, category: type[Warning], *args: Any, **kwargs: Any) -> None:
            if issubclass(category, DataWarning):
                console.print(f"warning: {message}", markup=False, highlight=False,
                              soft_wrap=True)
            else:
                shown(message, category, *args, **kwargs)

        warnings.showwarning = show
        yield
