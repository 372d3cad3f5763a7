"""Read a YAML input of the impact assessment (value model, contract, gate) or take a mapping.

Example:
    >>> read_yaml_input({"a": 1}, what="gate")
    ({'a': 1}, '<mapping>')
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from dataroi.exceptions import ImpactSpecError, UsageError

__all__ = ["read_yaml_input"]


def read_yaml_input(source: Mapping[str, Any] | str | Path, *, what: str) -> tuple[Any, str]:
    """Return the parsed content and where it came from (a path, or ``<mapping>``).

    Raises:
        UsageError: the file does not exist.
        ImpactSpecError: the file is not valid (safe) YAML.
    """
    from dataroi._yaml import read_yaml
    from dataroi.exceptions import SpecError

    if isinstance(source, Mapping):
        return dict(source), "<mapping>"
    path = Path(source)
    if not path.is_file():
        raise UsageError(f"{what} file not found: {path}")
    try:
        raw, _ = read_yaml(path, what=what)
    except SpecError as exc:
        raise ImpactSpecError(exc.problems, what=what, source=str(path)) from None
    return raw, str(path)
