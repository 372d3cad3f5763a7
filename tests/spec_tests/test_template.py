"""The spec template: its commented costs: and decision: sections show every key the docs
describe, and validate once uncommented; its metric list is the registry's."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from dataroi.metrics import metric_names
from dataroi.spec import TEMPLATE, decision_sections, spec_from_dict

DOCS = Path(__file__).resolve().parents[2] / "docs" / "decisions.md"


def uncomment_decision(text: str) -> dict:
    """The ``costs:`` and ``decision:`` sections of a written spec, uncommented."""
    lines = text.splitlines()
    start = lines.index("# costs:")
    block = []
    for line in lines[start:]:
        if not line.startswith("#"):
            break
        block.append(line[2:])
    return yaml.safe_load("\n".join(block))


def _documented() -> dict:
    text = DOCS.read_text(encoding="utf-8")
    section = text.split("## The cost spec and the decision rule", 1)[1]
    return yaml.safe_load(re.search(r"```yaml\n(.*?)```", section, re.S).group(1))


def _keys(d: dict, prefix: str = "") -> set[str]:
    out = set()
    for k, v in d.items():
        out.add(prefix + k)
        if isinstance(v, dict) and k != "engineering_cost_usd":
            out |= _keys(v, f"{prefix}{k}.")
    return out


def test_the_commented_sections_show_every_documented_key():
    shown = uncomment_decision(TEMPLATE)
    assert _keys(shown) == _keys(_documented())
    # one line each, with a comment that says what it is
    text = decision_sections()
    assert text in TEMPLATE
    for line in text[text.index("# costs:"):].splitlines():
        if line.startswith("#   "):
            assert re.match(r"#\s+\w+:( \S.*)? +# \S", line), line


@pytest.mark.parametrize("models", [("logreg", "hgb"), ("ridge", "hgb", "forest")])
def test_the_template_validates_with_its_sections_uncommented(models):
    raw = yaml.safe_load(TEMPLATE)
    raw["data"]["source"] = "sklearn:breast_cancer"
    raw["data"]["target"] = "target"
    raw["models"] = {m: "sklearn.tree.DecisionTreeClassifier" for m in models}
    sections = uncomment_decision(decision_sections(models=models))
    spec = spec_from_dict({**raw, **sections})
    assert spec.decision is not None and spec.costs is not None
    assert spec.decision.max_p_loss == 0.2 and spec.decision.current_model == models[0]
    assert spec.decision.guardrails.max_model_mb == 200
    assert spec.costs.price_per_label_usd == 0.08


def test_the_template_lists_every_registered_metric():
    listed = " ".join(line for line in TEMPLATE.splitlines() if line.startswith("#")
                      and ("classification:" in line or line.startswith("#" + " " * 17)))
    for name in metric_names("classification"):
        assert f" {name}" in listed
    assert "average_precision" in listed and "mcc" in listed
