"""Reports: one self-contained HTML page, Markdown and JSON, rendered from a document.

::

    with study.analyze() as analysis:          # dataroi.analysis composes the document
        report = analysis.report()
    write_report(report, "report.html")        # or .md / .json (atomic)
    report.document                            # the JSON document as a dict

Sections, in order: the answer (recommendation), learning curves, data vs. model,
marginal value of labels, stress tests and slices, diagnostics, reproducibility. Each
appears when its data exists; otherwise the report says what to add to the spec. The
JSON document follows ``docs/report-schema.json`` (``schema_version``
:data:`SCHEMA_VERSION`). This package renders and writes; it reads no ledger.

Example:
    >>> from dataroi.report import SECTIONS
    >>> list(SECTIONS)[0], list(SECTIONS)[-1]
    ('answer', 'reproducibility')
"""

from __future__ import annotations

from dataroi.report._document import SCHEMA_VERSION, SECTIONS, Report
from dataroi.report._figures import svg_data_uri
from dataroi.report._html import fmt_int, fmt_money, fmt_num, fmt_signed, render_template
from dataroi.report._redact import Redactor
from dataroi.report._write import (
    FORMATS,
    check_output_path,
    format_for_path,
    resolve_format,
    write_report,
)

__all__ = ["FORMATS", "SCHEMA_VERSION", "SECTIONS", "Redactor", "Report", "check_output_path",
           "fmt_int", "fmt_money", "fmt_num", "fmt_signed", "format_for_path",
           "render_template", "resolve_format", "svg_data_uri", "write_report"]
