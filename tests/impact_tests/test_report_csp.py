"""The impact report carries the study report's Content-Security-Policy (one base template)."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from dataroi.impact import ImpactAssessment, load_value_model, render_html

_META = re.compile(r'<meta http-equiv="Content-Security-Policy"\s+content="([^"]*)">')


def _impact_html() -> str:
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 400)
    table = pd.DataFrame({"id": np.arange(400), "y": y,
                          "base": np.where(rng.random(400) < 0.7, y, 1 - y),
                          "cand": np.where(rng.random(400) < 0.8, y, 1 - y),
                          "seg": rng.choice(["<b>a</b>", "b"], 400)})
    vm = load_value_model({"payoff": {0: {0: 0, 1: -1}, 1: {0: -5, 1: 3}}})
    result = ImpactAssessment(vm, target="y", n_resamples=200, segments=["seg"],
                              min_segment_size=50).run(table, baseline="col:base",
                                                       candidate="col:cand")
    return render_html(result)


def test_the_impact_page_has_the_same_csp_meta_tag_as_the_study_report() -> None:
    from dataroi.report._html import render_html as render_study_html

    impact = _impact_html()
    study = render_study_html({"study": {"name": "x"}, "sections": {}, "missing": []})
    found = _META.findall(impact)
    assert found == _META.findall(study)  # exactly one, the same policy
    assert found == ["default-src 'none'; img-src data:; style-src 'unsafe-inline'"]
    head = impact[:impact.index("</head>")]
    assert _META.search(head)  # in the head, before any content
    assert "<script" not in impact.lower() and "<link" not in impact.lower()
    assert "&lt;b&gt;a&lt;/b&gt;" in impact and "<b>a</b>" not in impact
