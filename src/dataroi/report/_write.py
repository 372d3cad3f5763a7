"""Write a report: render first, then write atomically (temporary file and rename).

Example:
    >>> format_for_path("out/report.md"), format_for_path("r.html"), format_for_path("x")
    ('md', 'html', 'html')
    >>> resolve_format("r.md", None), resolve_format("r.txt", "md")
    ('md', 'md')
"""

from __future__ import annotations

import os
from pathlib import Path

from dataroi.exceptions import UsageError
from dataroi.report._document import Report

__all__ = ["FORMATS", "check_output_path", "format_for_path", "resolve_format", "write_report"]

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


def resolve_format(path: str | os.PathLike[str] | None, fmt: str | None) -> str:
    """The format to write ``path`` in: ``fmt`` if given, else the suffix's.

    Raises:
        UsageError: an unknown format; a suffix of another known format than ``fmt``
            (``-o r.md --format html``); or, without ``fmt``, a suffix that names no
            format (``-o r.exe`` would otherwise get HTML).
    """
    if fmt is not None and fmt not in FORMATS:
        raise UsageError(f"unknown report format {fmt!r}; use html, md or json")
    suffix = Path(path).suffix.lower() if path else ""
    known = {s: f for f, suffixes in FORMATS.items() for s in suffixes}
    if fmt is None:
        if suffix and suffix not in known:
            raise UsageError(f"cannot tell the report format from the file name {path} "
                             f"('{suffix}'): end it in .html, .md or .json, or give --format")
        return known.get(suffix, "html")
    if suffix in known and known[suffix] != fmt:
        raise UsageError(f"{path} ends in {suffix} but the format asked for is {fmt}: "
                         "make them agree")
    return fmt


def check_output_path(path: str | os.PathLike[str], *, option: str = "-o") -> Path:
    """Refuse, before any work, an output that cannot be written as a file.

    Args:
        path: the file the user named.
        option: the option that named it, for the message (``-o``, ``--report``...).

    Returns:
        The path.

    Raises:
        UsageError: an empty name; a folder (or a name ending in ``/``); a folder that
            does not exist (a typo must not create folders); a parent that is a file.

    Example:
        >>> check_output_path("report.html").name
        'report.html'
        >>> try:
        ...     check_output_path("no/such/folder/r.html")
        ... except UsageError as exc:
        ...     print(str(exc)[:60])
        -o no/such/folder/r.html: the folder no/such/folder does not
    """
    text = os.fspath(path)
    if not text.strip():
        raise UsageError(f"{option} needs a file name, e.g. {option} report.html")
    target = Path(text)
    if text.endswith(("/", os.sep)) or target.is_dir():
        raise UsageError(f"{option} {text} is a folder; name a file in it, e.g. {option} "
                         f"{(target / 'report.html').as_posix()}")
    parent = target.parent
    if not parent.exists():
        raise UsageError(f"{option} {text}: the folder {parent.as_posix()} does not exist; "
                         f"create it first (mkdir -p {parent.as_posix()})")
    if not parent.is_dir():
        raise UsageError(f"{option} {text}: {parent.as_posix()} is a file, not a folder")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise UsageError(f"{option} {text}: cannot write in the folder {parent.as_posix()} "
                         "(permission denied); choose another place")
    return target


def write_report(report: Report, path: str | os.PathLike[str], *,
                 fmt: str | None = None) -> Path:
    """Render ``report`` and write it atomically (a temporary file, then a rename).

    Args:
        report: a built :class:`Report` (``Analysis.report()``).
        path: the file to write (its folder is created).
        fmt: ``html``, ``md`` or ``json`` (default: from the file suffix, else html).

    Returns:
        The path written.

    Raises:
        UsageError: a format that cannot be written (:func:`resolve_format`).
    """
    from dataroi._files import write_atomic

    fmt = resolve_format(path, fmt)
    write_atomic(path, report.render(fmt))
    return Path(path)
