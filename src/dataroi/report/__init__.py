"""Reports of a study: one self-contained HTML page, Markdown and JSON.

::

    from dataroi.report import build_report, write_report
    write_report(study, "report.html")            # or .md / .json
    doc = build_report(study).document            # the JSON document as a dict

Sections, in order: the answer (recommendation), learning curves, data vs. model,
marginal value of labels, diagnostics, reproducibility. Each appears when its data
exists; otherwise the report says what to add to the spec. The JSON document follows
``docs/report-schema.json`` (``schema_version`` :data:`SCHEMA_VERSION`).

Example:
    >>> from dataroi.report import SECTIONS
    >>> list(SECTIONS)[0], list(SECTIONS)[-1]
    ('answer', 'reproducibility')
"""

from __future__ import annotations

from dataroi.report._build import SCHEMA_VERSION, SECTIONS, Report, build_report
from dataroi.report._write import FORMATS, format_for_path, write_report

__all__ = ["FORMATS", "SCHEMA_VERSION", "SECTIONS", "Report", "build_report",
           "format_for_path", "write_report"]
