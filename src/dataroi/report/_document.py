"""The report document: its schema version, its sections and the rendered forms.

The document is plain data (what ``--format json`` writes; schema:
``docs/report-schema.json``, ``schema_version`` :data:`SCHEMA_VERSION`). It is composed
by :meth:`dataroi.analysis.Analysis.report`; this package only renders it (HTML,
Markdown, JSON) and writes it. It reads no ledger and computes nothing.

Example:
    >>> sorted(SECTIONS)[:2], SCHEMA_VERSION
    (['answer', 'data_vs_model'], '1.7')
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["SCHEMA_VERSION", "SECTIONS", "Report"]

#: Version of the JSON document (``docs/report-schema.json``): major.minor; a new minor
#: only adds optional fields.
SCHEMA_VERSION = "1.7"

#: Section keys in the order they appear, with their titles.
SECTIONS: dict[str, str] = {
    "answer": "The answer",
    "learning_curves": "Learning curves",
    "data_vs_model": "Data vs. model",
    "marginal_value": "Marginal value of labels",
    "stress": "Stress tests and slices",
    "diagnostics": "Diagnostics",
    "reproducibility": "Reproducibility",
}

@dataclass
class Report:
    """A built report: the JSON-compatible ``document`` and renderers.

    Attributes:
        document: the report as plain data (see ``docs/report-schema.json``).
        build_seconds: time spent building it.
    """

    document: dict[str, Any]
    build_seconds: float = 0.0
    _cache: dict[str, str] = field(default_factory=dict, repr=False)

    def to_json(self) -> str:
        """The JSON document (indented, no NaN)."""
        return json.dumps(self.document, indent=1, ensure_ascii=False, allow_nan=False)

    def to_markdown(self) -> str:
        """The Markdown report (tables, no images)."""
        from dataroi.report._markdown import render_markdown

        return render_markdown(self.document)

    def to_html(self) -> str:
        """The self-contained HTML page (inline CSS, embedded SVG images, no scripts)."""
        if "html" not in self._cache:
            from dataroi.report._html import render_html

            self._cache["html"] = render_html(self.document)
        return self._cache["html"]

    def render(self, fmt: str) -> str:
        """Render ``fmt`` = ``html``, ``md`` or ``json``."""
        renderers: dict[str, Callable[[], str]] = {
            "html": self.to_html, "md": self.to_markdown, "json": self.to_json}
        if fmt not in renderers:
            from dataroi.exceptions import UsageError

            raise UsageError(f"unknown report format {fmt!r}; use html, md or json")
        return renderers[fmt]()
