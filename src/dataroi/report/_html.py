"""The HTML report: one self-contained page composed from the report document.

Inline CSS, figures as embedded SVG images, no scripts, no fonts, no links to fetch;
a Content-Security-Policy forbids loading anything but embedded images. Every string
goes through Jinja2's autoescaping, so names from the user's data or spec (models,
columns, files) can never become markup.

Example:
    >>> html = render_html({"study": {"name": "<b>x</b>"}, "sections": {}, "missing": []})
    >>> "&lt;b&gt;x&lt;/b&gt;" in html and "<b>x</b>" not in html
    True
"""

from __future__ import annotations

import math
from typing import Any

from dataroi._money import usd
from dataroi.report._document import SECTIONS

__all__ = ["fmt_int", "fmt_money", "fmt_num", "fmt_signed", "render_html", "render_template"]


def fmt_num(v: Any, digits: int = 4) -> str:
    """A number with ``digits`` decimals (``n/a`` for missing, ``∞`` for infinite).

    Example:
        >>> fmt_num(0.123456), fmt_num(None), fmt_num(12345.0, 0)
        ('0.1235', 'n/a', '12,345')
    """
    if v is None:
        return "n/a"
    if isinstance(v, bool):
        return str(v)
    try:
        f = float(v)
    except (TypeError, ValueError):
        return str(v)
    if math.isinf(f):
        return "∞"
    if math.isnan(f):
        return "n/a"
    return f"{f:,.{digits}f}"


def fmt_signed(v: Any, digits: int = 4) -> str:
    """A signed number (``+0.0120``)."""
    s = fmt_num(v, digits)
    return s if s in ("n/a", "∞") or s.startswith("-") else "+" + s


def fmt_money(v: Any) -> str:
    """US dollars without cents (``$1,500``; ``-$104``): :func:`dataroi._money.usd`."""
    return usd(v)


def fmt_int(v: Any) -> str:
    """An integer with thousands separators (``∞`` / ``n/a`` where undefined)."""
    if v is None:
        return "n/a"
    f = float(v)
    return "∞" if math.isinf(f) else f"{round(f):,}"


def reach(section: dict[str, Any]) -> str:
    """"≥" or "≤": what reaching a section's target means (older documents: "≥").

    Example:
        >>> reach({"higher_is_better": False}), reach({})
        ('≤', '≥')
    """
    return "≥" if section.get("higher_is_better", True) is not False else "≤"


def gate_sentence(models: list[dict[str, Any]], name: Any = str) -> str:
    """The sentence naming the models whose extrapolation read the training scores
    (``curve_gate == "train"``), or ``""``; ``name`` formats a model name (an escaper).

    Example:
        >>> gate_sentence([{"model": "lr", "curve_gate": "train"}])[:36]
        'The extrapolation of lr also read th'
    """
    gated = [name(m["model"]) for m in models if m.get("curve_gate") == "train"]
    if not gated:
        return ""
    if len(gated) == 1:
        return (f"The extrapolation of {gated[0]} also read the scores on the training "
                "rows (the train–test gap) to weigh its curve families.")
    return (f"The extrapolations of {', '.join(gated[:-1])} and {gated[-1]} also read the "
            "scores on the training rows (the train–test gap) to weigh their curve "
            "families.")


def render_template(name: str, *, strict: bool = False, **context: Any) -> str:
    """Render a page template of ``templates/`` (package data). Every page extends
    ``base.html.j2``: one head with the Content-Security-Policy (nothing loads but
    embedded images), one style sheet, autoescaping of every string.

    Args:
        name: the template (``report.html.j2``, ``impact.html.j2``).
        strict: fail on an undefined name (else it renders as empty).
        **context: the template's variables.
    """
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("dataroi.report", "templates"), autoescape=True,
        undefined=jinja2.StrictUndefined if strict else jinja2.ChainableUndefined)
    return env.get_template(name).render(**context)



def render_html(doc: dict[str, Any]) -> str:
    """Render the report document as one self-contained HTML page."""
    from markupsafe import Markup, escape

    from dataroi.report._figures import report_figures

    figures = report_figures(doc)
    missing = doc.get("missing") or []
    sections = doc.get("sections") or {}

    def figs(section: str) -> Markup:
        parts = [Markup('<figure id="{}"><img alt="{}" src="{}"><figcaption>{}</figcaption>'
                        "</figure>").format(f.figure_id, f.alt, f.data_uri, f.caption)
                 for f in figures if f.section == section]
        return Markup("\n").join(parts)

    def todo(section: str) -> bool:
        return any(m["section"] == section for m in missing)

    def todo_block(section: str) -> Markup:
        msgs = [m["message"] for m in missing if m["section"] == section]
        if not msgs or section == "diagnostics":
            return Markup("")
        return Markup('<div class="todo"><b>To complete this section:</b><ul class="tight">'
                      "{}</ul></div>").format(
            Markup("").join(Markup("<li>{}</li>").format(escape(m)) for m in msgs))

    def shown(key: str) -> bool:
        return bool(sections.get(key)) or todo(key) or key == "diagnostics"

    return render_template(
        "report.html.j2", doc=doc, study=doc.get("study") or {}, s=sections, order=list(SECTIONS),
        titles=SECTIONS, figs=figs, todo=todo, todo_block=todo_block, shown=shown,
        num=fmt_num, signed=fmt_signed, money=fmt_money, int=fmt_int, reach=reach,
        gate_sentence=gate_sentence,
        far=lambda v: "beyond the limit" if v is None else fmt_int(v))
