"""Every study of a ledger at a glance: ``dataroi portfolio`` (one static page) and
``dataroi serve`` (the same, read-only, as a small local web app).

Example:
    >>> from dataroi.ledger import open_ledger
    >>> from dataroi.portfolio import read_portfolio, render_portfolio
    >>> ledger = open_ledger("sqlite://")
    >>> html = render_portfolio(read_portfolio(ledger, ledger_url="sqlite://"))
    >>> "no study in this ledger yet" in html
    True
"""

from __future__ import annotations

from dataroi.portfolio._overview import (
    Portfolio,
    StudyRow,
    differences,
    flatten,
    read_portfolio,
)
from dataroi.portfolio._page import (
    render_portfolio,
    render_study,
    study_file,
    study_slug,
    write_portfolio,
)
from dataroi.portfolio._serve import make_server, serve

__all__ = ["Portfolio", "StudyRow", "differences", "flatten", "make_server", "read_portfolio",
           "render_portfolio", "render_study", "serve", "study_file", "study_slug",
           "write_portfolio"]
