"""The usage error of the impact inputs (value model, gate, options) with field paths.

Example:
    >>> err = ImpactSpecError("value.expression: unknown name 'x'", what="value model")
    >>> print(err)
    invalid value model: value.expression: unknown name 'x'
    >>> err.exit_code
    2
"""

from __future__ import annotations

from collections.abc import Sequence

from dataroi.exceptions import SpecError, _problems_message

__all__ = ["ImpactSpecError"]


class ImpactSpecError(SpecError):
    """An invalid value model, gate file or impact option; ``problems`` lists them all."""

    def __init__(self, problems: Sequence[str] | str, *, what: str = "impact input",
                 source: str | None = None) -> None:
        super().__init__(problems, source=source)
        self.what = what
        self.args = (_problems_message(f"invalid {what}", self.problems, source),)

    def __str__(self) -> str:
        return str(self.args[0])
