"""Tracing a report's numbers back to the trial rows, and comparing two documents."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from dataroi.share import compare_documents, trace_report
from tests.report_tests._studies import build_report


@pytest.fixture(scope="module")
def traced(full_study: tuple[Any, Path]) -> dict[str, Any]:
    study, _ = full_study
    snaps = study.snapshots()
    from dataroi.ledger import open_ledger

    with open_ledger(study.ledger_url) as ledger:
        envs = {i: ledger.get_environment(i)
                for i in {s.extra["environment_id"] for s in snaps}}
        ctx = ledger.list_contexts(ledger.get_study_id(study.spec.name))[-1]
    return {"document": json.loads(json.dumps(build_report(study).document)),
            "trials": study.trials(), "snapshots": snaps, "spec_hash": study.spec.spec_hash,
            "fingerprint": ctx["fingerprint"],
            "n_rows": ctx["description"]["n_rows"], "environments": envs}


def _trace(t: dict[str, Any], document: dict[str, Any] | None = None) -> Any:
    return trace_report(document or t["document"], t["trials"], t["snapshots"],
                        spec_hash=t["spec_hash"], fingerprint=t["fingerprint"],
                        n_rows=t["n_rows"], environments=t["environments"])


def test_every_stated_number_traces_back(traced: dict[str, Any]):
    result = _trace(traced)
    assert result.mismatches == []
    # 2 models × 12 points + 2 × 4 (mean, repeats) + 2 × 4 train means, a pair (2),
    # 4 counts, failures, seeds (2), times (2), hashes (3), one environment
    assert result.numbers == 24 + 16 + 8 + 2 + 4 + 1 + 2 + 2 + 3 + 1


@pytest.mark.parametrize(("edit", "where"), [
    (lambda d: d["sections"]["learning_curves"]["models"][1]["mean"]["mean"].__setitem__(
        2, 0.5), "learning curves: tree mean at n_train=48 (accuracy)"),
    (lambda d: d["sections"]["learning_curves"]["models"][0]["mean"]["repeats"].__setitem__(
        0, 2), "learning curves: logreg repeats at n_train=12"),
    (lambda d: d["sections"]["learning_curves"]["models"][0]["points"]["value"].pop(),
     "learning curves: logreg n_train=96 repeat=2 (accuracy)"),
    (lambda d: d["sections"]["data_vs_model"]["today"][0].__setitem__("diff", 0.25),
     "data vs. model: logreg − tree at n_train=96 (accuracy)"),
    (lambda d: d["sections"]["reproducibility"]["trial_counts"].__setitem__("complete", 25),
     "reproducibility: trials complete"),
    (lambda d: d["sections"]["reproducibility"]["seeds"].__setitem__("trial_seeds_sha256",
                                                                     "0" * 64),
     "reproducibility: SHA-256 of the trial seeds"),
    (lambda d: d["sections"]["reproducibility"]["data"].__setitem__("fingerprint", "f"),
     "reproducibility: data fingerprint"),
])
def test_a_changed_number_is_named(traced: dict[str, Any], edit: Any, where: str):
    document = copy.deepcopy(traced["document"])
    if "repeat=2" in where:  # a point dropped: all three lists lose their last item
        pts = document["sections"]["learning_curves"]["models"][0]["points"]
        pts["n_train"].pop()
        pts["repeat"].pop()
    edit(document)
    result = _trace(traced, document)
    assert [m.where for m in result.mismatches] == [where]


def test_lists_of_different_lengths_are_a_mismatch_not_a_crash(traced: dict[str, Any]):
    document = copy.deepcopy(traced["document"])
    document["sections"]["learning_curves"]["models"][0]["points"]["value"].pop()
    result = _trace(traced, document)
    assert [m.where for m in result.mismatches] == ["learning curves: logreg points"]
    assert "differ in length (12, 12, 11)" in str(result.mismatches[0])


def test_compare_documents_names_the_path_and_skips_the_volatile_fields():
    a = {"generated_at": "x", "sections": {"reproducibility": {"command": "a"},
                                           "curves": {"models": [{"model": "lr", "y": [1.0]}]}}}
    b = copy.deepcopy(a)
    b["generated_at"] = "y"
    b["sections"]["reproducibility"]["command"] = "b"
    assert compare_documents(a, b) == []
    b["sections"]["curves"]["models"][0]["y"] = [1.5]
    b["sections"]["extra"] = 1
    found = compare_documents(a, b)
    assert [m.where for m in found] == ["sections.curves.models[model=lr].y[0]",
                                        "sections.extra"]
    assert str(found[0]).endswith("1.0 in report.json, 1.5 recomputed from the bundled rows")
