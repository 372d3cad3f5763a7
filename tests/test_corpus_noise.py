"""The committed noise arms of the curve corpus (benchmarks/corpus/build_noise.py) are
whole: what the noise manifest lists is in the curves, every learner has the clean arm and
the four noisy arms at the same doubling sizes and repeats (paired trial by trial), the arm
columns agree with each other, and the clean arm is the clean corpus's curve."""

from __future__ import annotations

import importlib.util
import itertools
from pathlib import Path

import numpy as np
import pytest

CORPUS = Path(__file__).resolve().parents[1] / "benchmarks" / "corpus"
FILES = (CORPUS / "noise_curves.parquet", CORPUS / "noise_manifest.csv")
ARMS = {"clean": ("none", 0.0), "noise=0.05": ("symmetric", 0.05),
        "noise=0.1": ("symmetric", 0.1), "noise=0.2": ("symmetric", 0.2),
        "cc-noise": ("class_conditional", 0.2)}

pytestmark = pytest.mark.skipif(
    not all(p.exists() for p in FILES),
    reason="the noise arms are not built yet: python benchmarks/corpus/build_noise.py "
           "writes noise_curves.parquet and noise_manifest.csv")


@pytest.fixture(scope="module")
def load():
    spec = importlib.util.spec_from_file_location("corpus_load", CORPUS / "load.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def noise(load):
    return load.load_noise_curves(), load.load_noise_manifest()


def test_noise_manifest_and_curves_agree(noise, load):
    frame, manifest = noise
    assert len(manifest) >= 12 and set(manifest["dataset"]) == set(frame["dataset"])
    assert {"text", "tabular"} <= set(manifest["kind"])
    assert set(manifest["dataset"]) <= set(load.load_manifest()["dataset"])
    assert set(frame["arm"]) == set(ARMS)
    for arm, (kind, rate) in ARMS.items():
        sub = frame[frame["arm"] == arm]
        assert set(sub["noise_kind"]) == {kind}
        assert np.allclose(sub["noise_rate"], rate)
    for row in manifest.itertuples():
        sub = frame[(frame["dataset"] == row.dataset) & (frame["metric"] == "accuracy")]
        assert set(sub["learner"]) == set(row.learners.split(";"))
        sizes = sorted(sub["n_train"].unique())
        assert sizes[0] == 64 and sizes[-1] == row.max_n_train <= 8192
        assert all(b == 2 * a for a, b in itertools.pairwise(sizes))
        # paired: every (learner, size, repeat) has every arm, 5 repeats each
        cells = sub.groupby(["learner", "n_train", "repeat"])["arm"].nunique()
        assert (cells == len(ARMS)).all() and len(cells) == 2 * len(sizes) * 5
        assert row.trials == len(sub)
        assert sub["value"].between(0, 1).all() and np.isfinite(sub["train_value"]).all()


def test_the_clean_arm_is_the_clean_corpus_curve(noise, load):
    frame, manifest = noise
    clean = load.load_curves()
    key = ["dataset", "learner", "n_train", "repeat", "metric"]
    mine = frame[frame["arm"] == "clean"].merge(clean, on=key, suffixes=("", "_corpus"))
    assert len(mine) == (frame["arm"] == "clean").sum()  # every clean trial is in the corpus
    # same subsets and seeds: the tables' learners reproduce to the last bits; the text
    # learners (L-BFGS at C = 10, forests on float32 TF-IDF) up to floating point
    tabular = set(manifest.loc[manifest["kind"] == "tabular", "dataset"])
    exact = mine["dataset"].isin(tabular)
    assert np.allclose(mine.loc[exact, "value"], mine.loc[exact, "value_corpus"],
                       rtol=0, atol=1e-6)
    assert np.allclose(mine["value"], mine["value_corpus"], rtol=0, atol=0.02)
    assert manifest["clean_equal_to_corpus"].between(0, 1).all()


def test_noise_trials_are_a_trials_frame_with_dataroi_arm_names(noise, load):
    frame, manifest = noise
    name = manifest["dataset"].iloc[0]
    t = load.noise_trials(frame, name, max_n=512)
    learner = manifest["learners"].iloc[0].split(";")[0]
    assert {learner, f"{learner}[noise=0.1]", f"{learner}[cc-noise]"} <= set(t["model"])
    assert (t["state"] == "complete").all() and t["n_train"].max() == 512
