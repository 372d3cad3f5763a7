"""Write a report: render first, then write atomically (temporary file and rename).

Example:
    >>> format_for_path("out/report.md"), format_for_path("r.html"), format_for_path("x")
    ('md', 'html', 'html')
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from dataroi.exceptions import UsageError
from dataroi.report._build import Report, build_report

__all__ = ["FORMATS", "format_for_path", "write_report"]

#: Output formats and their file suffixes.
FORMATS: dict[str, tuple[str, ...]] = {"html": (".html", ".htm"), "md": (".md", ".markdown"),
                                       "json": (".json",)}


def format_for_path(path: str | os.PathLike[str] | None) -> str:
    """The format a file name asks for (``html`` unless it ends in .md or .json)."""
    suffix = Path(path).suffix.lower() if path else ""
    for fmt, suffixes in FORMATS.items():
        if suffix in suffixes:
            return fmt
    return "html"


def write_report(
    study: Any,
    path: str | os.PathLike[str],
    *,
    fmt: str | None = None,
    spec_path: str | None = None,
    n_draws: int = 2000,
    report: Report | None = None,
) -> Path:
    """Build (unless ``report`` is given) and atomically write a study's report.

    Args:
        study: a :class:`~dataroi.study.Study` whose trials have run.
        path: the file to write (its folder is created).
        fmt: ``html``, ``md`` or ``json`` (default: from the file suffix, else html).
        spec_path: the spec's path, shown in the command that re-creates the report.
        n_draws: joint curve draws per model.
        report: an already built :class:`Report` to write.

    Returns:
        The path written.
    """
    from dataroi.study._files import write_atomic

    fmt = fmt or format_for_path(path)
    if fmt not in FORMATS:
        raise UsageError(f"unknown report format {fmt!r}; use html, md or json")
    if report is None:
        report = build_report(study, spec_path=spec_path, output=str(path), fmt=fmt,
                              n_draws=n_draws)
    text = report.render(fmt)
    write_atomic(path, text)
    return Path(path)
