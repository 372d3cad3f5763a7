"""The bad-input catalogue, specs: every malformed section is one line, exit 2, no write.

Each case writes ``study.yaml`` (a valid iris spec with one thing broken) into an empty
folder and runs ``dataroi run study.yaml``; the harness checks the exit code, the one
error line and that nothing (no ledger, no cache) appeared.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from tests.cli_tests._refusals import Refusal, check_refusal
from tests.conftest import iris_spec

RUN = ("run", "study.yaml", "--no-progress")


def _spec(change: Callable[[dict[str, Any]], Any]) -> dict[str, Any]:
    raw = copy.deepcopy(iris_spec())
    change(raw)
    return raw


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    """Set ``a.b.c`` in the spec (creating sections on the way)."""
    def change(raw: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node = raw
        for key in parents:
            node = node.setdefault(key, {})
        node[last] = value
    return change


def _drop(key: str) -> Callable[[dict[str, Any]], None]:
    return lambda raw: raw.pop(key)


_M = {"estimator": "sklearn.linear_model.LogisticRegression"}

#: (id, change, message regex) for specs that parse as YAML but are wrong.
_SPEC_CASES: list[tuple[str, Callable[[dict[str, Any]], Any], str]] = [
    # top level
    ("top-unknown-key", _set("modles", {}), "did you mean 'models'"),
    ("top-name-spaces", _set("name", "my study"), "name: must be 1-64"),
    ("top-name-long", _set("name", "x" * 65), "name: must be 1-64"),
    ("top-name-number", _set("name", 12), "name: must be 1-64"),
    ("top-name-empty", _set("name", ""), "name: must be 1-64"),
    ("top-ledger-number", _set("ledger", 5), "ledger: must be a URL or path"),
    ("top-ledger-mysql", _set("ledger", "mysql://h/db"), "unsupported ledger URL"),
    # data
    ("data-missing", _drop("data"), "data: missing"),
    ("data-list", _set("data", [1, 2]), "data: must be a mapping"),
    ("data-source-missing", _set("data", {"target": "target"}), "data.source: missing"),
    ("data-source-blank", _set("data.source", "  "), "data.source: missing"),
    ("data-source-number", _set("data.source", 3), "data.source: missing"),
    ("data-source-absent-file", _set("data.source", "nope.csv"), "nope.csv"),
    ("data-source-unknown-builtin", _set("data.source", "sklearn:irs"), "sklearn:irs"),
    ("data-source-bad-suffix", _set("data.source", "data.exe"), "data.exe"),
    ("data-target-number", _set("data.target", 7), "data.target: must be a column name"),
    ("data-target-absent", _set("data.target", "species"), "column 'species' not found"),
    ("data-task-bad", _set("data.task", "clustering"), "data.task: must be one of"),
    ("data-features-str", _set("data.features", "a,b"), "data.features: must be a list"),
    ("data-features-empty", _set("data.features", []), "data.features: empty list"),
    ("data-features-dup", _set("data.features", ["petal length (cm)", "petal length (cm)"]),
     "data.features: duplicated columns"),
    ("data-features-target", _set("data.features", ["target"]),
     "data.features: contains the target"),
    ("data-features-absent", _set("data.features", ["petal size"]), "'petal size'"),
    ("data-float32-text", _set("data.float32", "yes"), "data.float32: must be true or false"),
    ("data-drop-text", _set("data.drop_missing_target", 1),
     "data.drop_missing_target: must be true or false"),
    ("data-unknown-key", _set("data.targte", "target"), "did you mean 'target'"),
    # split
    ("split-size-zero", _set("split", {"test_size": 0}), "split.test_size: must be positive"),
    ("split-size-negative", _set("split", {"test_size": -0.2}), "split.test_size"),
    ("split-size-fraction-above-1", _set("split", {"test_size": 1.5}),
     "split.test_size: a fraction must lie in"),
    ("split-size-text", _set("split", {"test_size": "20%"}), "split.test_size"),
    ("split-size-all-rows", _set("split", {"test_size": 150}), "test"),
    ("split-file-and-size", _set("split", {"test_size": 0.2, "test_file": "t.csv"}),
     "not used with split.test_file"),
    ("split-group-is-target", _set("split", {"group_column": "target"}),
     "split.group_column: 'target' is the target column"),
    ("split-unknown-key", _set("split", {"tset_size": 0.2}), "did you mean 'test_size'"),
    ("split-stratify-text", _set("split", {"stratify": "maybe"}), "split.stratify"),
    # models
    ("models-missing", _drop("models"), "models: missing"),
    ("models-empty", _set("models", {}), "models: empty"),
    ("models-number", _set("models", 3), "models: must be a mapping"),
    ("models-list-no-name", _set("models", [_M]), "list entries need a 'name'"),
    ("models-bad-name", _set("models", {"my model": _M}), "model names use letters"),
    ("models-two-kinds", _set("models.m", dict(_M, factory="a:b")),
     "give exactly one of estimator, pipeline, factory"),
    ("models-no-kind", _set("models.m", {"params": {}}), "give exactly one of"),
    ("models-unknown-class", _set("models.m", "sklearn.linear_model.Nope"),
     "has no attribute 'Nope'"),
    ("models-misspelt-class", _set("models.m", "sklearn.linear_model.LogisticRegresion"),
     "did you mean 'sklearn.linear_model.LogisticRegression'"),
    ("models-unknown-module", _set("models.m", "sklaern.svm.SVC"), "sklaern"),
    ("models-not-estimator", _set("models.m", "collections.OrderedDict"), "estimator"),
    ("models-params-list", _set("models.m", dict(_M, params=[1])),
     "models.m.params: must be a mapping"),
    ("models-bad-param", _set("models.m", dict(_M, params={"Cc": 1})), "models.m.params"),
    ("models-bad-param-value", _set("models.m", dict(_M, params={"C": -1})),
     "models.m.params"),
    ("models-estimator-number", _set("models.m", {"estimator": 5}),
     "models.m.estimator: must be an import path"),
    ("models-factory-no-colon", _set("models.m", {"factory": "mymod.make"}),
     "write it as 'package.module:function'"),
    ("models-factory-absent", _set("models.m", {"factory": "nomodule_here:make"}),
     "nomodule_here"),
    ("models-pipeline-empty", _set("models.m", {"pipeline": []}),
     "models.m.pipeline: must be a non-empty list"),
    ("models-pipeline-bad-step", _set("models.m", {"pipeline": [5]}),
     r"models.m.pipeline\[0\]"),
    ("models-resources-negative", _set("models.m", dict(_M, resources={"GPU": -1})),
     "models.m.resources: must map resource names to positive numbers"),
    ("models-unknown-key", _set("models.m", dict(_M, parms={})), "did you mean 'params'"),
    # metrics
    ("metrics-unknown", _set("metrics", ["acuracy"]), "acuracy"),
    ("metrics-empty", _set("metrics", []), "metrics: must be a non-empty list"),
    ("metrics-twice", _set("metrics", ["accuracy", "accuracy"]), "listed twice"),
    ("metrics-regression-on-classes", _set("metrics", ["r2"]),
     "'r2' is a regression metric"),
    ("metrics-mixed", _set("metrics", ["accuracy", "r2"]),
     "mixes classification and regression"),
    ("metrics-number", _set("metrics", 5), "metrics"),
    # schedule
    ("schedule-missing", _drop("schedule"), "schedule: missing"),
    ("schedule-both", _set("schedule.geometric", {"min": 10, "count": 3}),
     "give exactly one of sizes"),
    ("schedule-sizes-empty", _set("schedule.sizes", []),
     "schedule.sizes: must be a non-empty list"),
    ("schedule-sizes-zero", _set("schedule.sizes", [0, 10]),
     r"schedule.sizes\[0\]: must be a positive integer"),
    ("schedule-sizes-float", _set("schedule.sizes", [10.5]),
     r"schedule.sizes\[0\]: must be a positive integer"),
    ("schedule-sizes-text", _set("schedule.sizes", ["ten"]), r"schedule.sizes\[0\]"),
    ("schedule-sizes-dup", _set("schedule.sizes", [10, 10]), "contains duplicates"),
    ("schedule-sizes-too-big", _set("schedule.sizes", [50, 5000]),
     "exceed the training pool of 120 rows"),
    ("schedule-repeats-zero", _set("schedule.repeats", 0), "schedule.repeats: must be"),
    ("schedule-repeats-huge", _set("schedule.repeats", 10**6), "schedule.repeats: must be"),
    ("schedule-repeats-text", _set("schedule.repeats", "five"), "schedule.repeats"),
    ("schedule-seed-negative", _set("schedule.seed", -1), "schedule.seed: must be"),
    ("schedule-seed-huge", _set("schedule.seed", 2**64), "schedule.seed: must be"),
    ("schedule-unknown-key", _set("schedule.repeat", 3), "did you mean 'repeats'"),
    ("schedule-geometric-bad", _set("schedule", {"geometric": {"min": 0, "count": 3}}),
     "schedule.geometric"),
    # costs
    ("costs-list", _set("costs", [1]), "costs: must be a mapping"),
    ("costs-price-negative", _set("costs.price_per_label_usd", -1),
     "costs.price_per_label_usd"),
    ("costs-price-text", _set("costs.price_per_label_usd", "cheap"),
     "costs.price_per_label_usd"),
    ("costs-price-nan", _set("costs.price_per_label_usd", float("nan")),
     "costs.price_per_label_usd"),
    ("costs-price-inf", _set("costs.price_per_label_usd", float("inf")),
     "costs.price_per_label_usd"),
    ("costs-adjudication-above-1", _set("costs.adjudication_rate", 1.5),
     "costs.adjudication_rate"),
    ("costs-periods-zero", _set("costs.periods", 0), "costs.periods"),
    ("costs-unlabeled-float", _set("costs.unlabeled_items", 10.5), "costs.unlabeled_items"),
    ("costs-engineering-unknown-model", _set("costs.engineering_cost_usd", {"svm": 5}),
     "svm"),
    ("costs-engineering-negative", _set("costs.engineering_cost_usd", {"logreg": -5}),
     "costs.engineering_cost_usd.logreg"),
    ("costs-unknown-key", _set("costs.price_per_labl_usd", 1),
     "did you mean 'price_per_label_usd'"),
    # decision
    ("decision-list", _set("decision", [1]), "decision: must be a mapping"),
    ("decision-metric-unknown", _set("decision.metric", "acc"), "decision.metric"),
    ("decision-metric-not-in-study", _set("decision.metric", "f1_macro"),
     "decision.metric: 'f1_macro' is not one of the study's metrics"),
    ("decision-target-text", _set("decision.target", "high"), "decision.target"),
    ("decision-target-above-accuracy", _set("decision.target", 1.5),
     r"decision.target: 1.5 is outside the values accuracy can take \(\[0, 1\]\)"),
    ("decision-target-below-accuracy", _set("decision.target", -0.1), "decision.target"),
    ("decision-risk-above-half", _set("decision.risk", 0.7), "decision.risk"),
    ("decision-risk-zero", _set("decision.risk", 0), "decision.risk"),
    ("decision-budget-negative", _set("decision.budget_usd", -100), "decision.budget_usd"),
    ("decision-max-p-loss-2", _set("decision.max_p_loss", 2), "decision.max_p_loss"),
    ("decision-rounds-zero", _set("decision.rounds", 0), "decision.rounds"),
    ("decision-rounds-many", _set("decision.rounds", 50), "decision.rounds"),
    ("decision-rule-bad", _set("decision.rule", "expected-net"),
     "did you mean 'expected_net'"),
    ("decision-rule-target-no-target", _set("decision", {"rule": "target"}),
     "rule 'target' needs a target"),
    ("decision-curves-bad", _set("decision.curves", "magic"), "decision.curves"),
    ("decision-current-unknown", _set("decision.current_model", "logre"),
     "did you mean 'logreg'"),
    ("decision-current-number", _set("decision.current_model", 1),
     "decision.current_model: must be a model name"),
    ("decision-add-zero", _set("decision.add", [0, 100]), "decision.add"),
    ("decision-add-text", _set("decision.add", "100"), "decision.add"),
    ("decision-guardrails-list", _set("decision.guardrails", [1]),
     "decision.guardrails: must be a mapping"),
    ("decision-guardrails-unknown", _set("decision.guardrails", {"min_p_gian": 0.5}),
     "did you mean 'min_p_gain'"),
    ("decision-guardrails-p-above-1", _set("decision.guardrails", {"min_p_gain": 5}),
     "min_p_gain"),
    ("decision-unknown-key", _set("decision.budget", 5), "did you mean 'budget_usd'"),
    # stress, slices, preprocess
    ("stress-number", _set("stress", 5), "stress"),
    ("stress-unknown-key", _set("stress", {"label_noise": {"rates": [0.1]}}),
     "did you mean 'noise'"),
    ("stress-noise-above-1", _set("stress", {"noise": {"rates": [1.5]}}), "stress.noise"),
    ("slices-number", _set("slices", 5), "slices"),
    ("preprocess-number", _set("preprocess", 5), "preprocess"),
    ("preprocess-unknown-key", _set("preprocess", {"scael": True}), "preprocess"),
]

#: (id, text of study.yaml, message regex) for files that are not a spec at all.
_TEXT_CASES: list[tuple[str, str | bytes, str]] = [
    ("yaml-syntax", "name: x\nmodels: [\n", "YAML syntax error at line"),
    ("yaml-tab-indent", "name: x\n\tdata: y\n", "YAML syntax error"),
    ("yaml-python-tag", "!!python/object/new:os.system [ls]\n", "tag refused"),
    ("yaml-custom-tag", "name: !secret x\n", "tag refused"),
    ("yaml-empty", "", "empty"),
    ("yaml-comment-only", "# nothing here\n", "empty"),
    ("yaml-list", "- a\n- b\n", "must be a mapping of sections"),
    ("yaml-scalar", "hello\n", "must be a mapping of sections"),
    ("yaml-binary", b"\x00\x01\x02\xff\xfe", "study.yaml"),
    ("yaml-latin1", "name: caf\xe9\n".encode("latin-1"), "study.yaml"),
    ("yaml-duplicate-key", "name: a\nname: b\n", "the key 'name' is given twice"),
    ("yaml-duplicate-nested", "name: a\nschedule:\n  repeats: 2\n  repeats: 3\n",
     "line 4, column 3: the key 'repeats' is given twice"),
    ("yaml-anchor-bomb", "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, "
     "*a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, "
     "*c, *c, *c]\ne: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: [*e, *e, *e, *e, *e, *e, *e, "
     "*e, *e]\n", "a: unknown key"),
    ("yaml-huge-number", "name: a\nschedule: {sizes: [1e999], repeats: 1}\n",
     r"schedule.sizes\[0\]: must be a positive integer, got '1e999'"),
]


@pytest.mark.parametrize("case", [
    Refusal(f"spec-{cid}", RUN, message, files={"study.yaml": _spec(change)})
    for cid, change, message in _SPEC_CASES
] + [
    Refusal(cid, RUN, message, files={"study.yaml": text}) for cid, text, message in _TEXT_CASES
], ids=str)
def test_a_bad_spec_is_refused_cleanly(case, tmp_path, capsys, monkeypatch):
    check_refusal(case, tmp_path, capsys, monkeypatch)


def test_the_catalogue_is_large():
    assert len(_SPEC_CASES) + len(_TEXT_CASES) >= 120
