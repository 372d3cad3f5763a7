"""The portfolio as HTML: one page for every study, one page per study, written or served.

Both go through the report system's templates (``report/templates``: the one head, style
sheet and Content-Security-Policy): ``portfolio.html.j2`` (its inline script filters,
sorts and compares; nothing is loaded) and ``study_page.html.j2``.

Example:
    >>> study_slug("churn model / v2")
    'churn-model-v2'
"""

from __future__ import annotations

import datetime as dt
import math
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from dataroi.portfolio._overview import Portfolio, StudyRow, flatten

__all__ = ["render_portfolio", "render_study", "study_file", "study_slug", "write_portfolio"]


def study_slug(name: str) -> str:
    """A file-name-safe form of a study's name."""
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-.")
    return slug or "study"


def study_file(s: StudyRow) -> str:
    """Where :func:`write_portfolio` writes a study's page, relative to the index (the
    id keeps two names with one slug apart)."""
    return f"studies/{s.study_id}-{study_slug(s.name)}.html"


def _pct(v: Any) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "–"
    return f"{100 * float(v):.0f} %"


def _spent(s: StudyRow) -> float | None:
    if s.labels_usd is None and s.compute_usd is None:
        return None
    return (s.labels_usd or 0.0) + (s.compute_usd or 0.0)


def _helpers() -> dict[str, Any]:
    """The report system's number formats (``n/a`` where a figure is missing)."""
    from dataroi.decide import MIN_CHECKS
    from dataroi.report import fmt_int, fmt_money, fmt_num, fmt_signed

    return {"num": fmt_num, "signed": fmt_signed, "pct": _pct, "int": fmt_int,
            "money": fmt_money, "spent": _spent, "min_checks": MIN_CHECKS}


def render_portfolio(p: Portfolio, *,
                     href: Callable[[StudyRow], str] | None = None) -> str:
    """The portfolio page; ``href`` gives each study's link (default
    :func:`study_file`, as :func:`write_portfolio` writes them)."""
    from dataroi.report import render_template

    link = href or study_file
    fields = {}
    for s in p.studies:
        d = {k: v for k, v in s.to_dict().items()
             if k not in ("spec", "study_id", "created_at", "updated_at", "recommendation")}
        d |= {f"spec.{k}": v for k, v in flatten(s.spec).items()}
        rec = s.recommendation or {}
        d["recommendation.first_step"] = rec.get("first_step")
        fields[s.name] = d
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M")
    return render_template("portfolio.html.j2", p=p, href=link, fields=fields,
                           generated=now, **_helpers())


def render_study(p: Portfolio, name: str, *, back: str = "../index.html") -> str:
    """One study's page (its latest curves, recommendation, follow-ups and spec).

    Raises:
        UnknownNameError: no study ``name`` in the portfolio.
    """
    from dataroi.report import render_template

    s = p.study(name)
    curve = p.curves.get(name) or {"models": [], "sizes": [], "cells": {}}
    return render_template("study_page.html.j2", s=s, curve=curve,
                           followups=p.followups.get(name, ()),
                           spec_text=p.spec_texts.get(name, ""), back=back, **_helpers())


def write_portfolio(p: Portfolio, path: str | os.PathLike[str]) -> list[Path]:
    """Write ``index.html`` (at ``path``) and ``studies/<slug>.html`` beside it, each
    atomically; return the files written."""
    from dataroi._files import write_atomic

    index = Path(path)
    written = []
    for s in p.studies:
        target = index.parent / study_file(s)
        write_atomic(target, render_study(p, s.name))
        written.append(target)
    write_atomic(index, render_portfolio(p))
    return [index, *written]
