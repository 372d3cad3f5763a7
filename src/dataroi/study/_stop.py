"""The adaptive schedule's learned stop: how often a look like this one was right.

An adaptive run states ``P(same recommendation with the full grid)`` from its own draws
(:func:`dataroi.study.stability`). On the curve corpus's replay that figure is cautious
below 0.9, and a recommendation that held while trials came in is right more often than
its stated figure says, one that buys labels less often (how many labels is what the
missing repeats move most). The learned stop reads a look through a logistic map fitted
on every look of the corpus replay (``benchmarks/explore_adaptive_stop.py --out``):

    chance = logistic(b + w1·P(same) + w2·held + w3·P(same)·held + w4·buys)

with ``held`` the looks in a row the recommendation has been the same (this one
included, at most ``looks_cap``) and ``buys`` 1 when it adds labels; the run stops once
``chance >= threshold``, the least threshold at which the stops agreed with the full grid
in >= 95 % of the cases on the corpus (out-of-fold: data sets weigh the same). Held out
on the replay, it stops at the same agreement as the steady stop (three looks at
``P(same) >= 0.8``) with five points less CPU, but at a higher regret: it learned how
often a look is right, not what being wrong costs; so it is asked for
(``schedule.adaptive.learned_stop: true``), not the default (docs/adaptive.md, "The
learned stop").

Why not scikit-learn at run time: the map is fitted with it (in the benchmark), and only
its five numbers ship in ``stop_model.json`` (a pickled estimator would tie the file to
one scikit-learn version).

Example:
    >>> m = StopModel(intercept=0.38, weights=(1.68, 0.18, 0.18, -1.3), threshold=0.92)
    >>> [round(m.chance(0.85, held=h, buys_labels=b), 3) for h, b in (
    ...     (3, False), (1, False), (3, True))]
    [0.943, 0.895, 0.819]
    >>> m.stops("svm+0", ["svm+0", "svm+0"], 0.85), m.stops("svm+0", ["lr+0"], 0.85)
    (True, False)
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files
from typing import Any

from dataroi.exceptions import UsageError

__all__ = ["STOP_MODEL_FILE", "StopModel", "load_stop_model", "looks_held"]

#: The shipped learned stop (package data of :mod:`dataroi.study`).
STOP_MODEL_FILE = "stop_model.json"


def looks_held(recommendation: str, previous: Sequence[str]) -> int:
    """How many looks in a row, this one included, the recommendation has been the same
    (``previous``: the earlier looks' recommendations, oldest first).

    Example:
        >>> looks_held("a+0", ["a+0", "b+0", "a+0", "a+0"]), looks_held("a+0", [])
        (3, 1)
    """
    held = 1
    for r in reversed(list(previous)):
        if r != recommendation:
            break
        held += 1
    return held


def buys_labels(option_id: str) -> bool:
    """Whether an option id (``"<model>+<added labels>[@relabel]"``) adds labels.

    Example:
        >>> buys_labels("svm+0"), buys_labels("svm+800"), buys_labels("lr+0@relabel")
        (False, True, False)
    """
    added = option_id.rsplit("+", 1)[-1].split("@", 1)[0]
    try:
        return int(added) > 0
    except ValueError:
        return False


@dataclass(frozen=True)
class StopModel:
    """A logistic map from what a look knows to the chance its recommendation is the
    full grid's, and the threshold at which a run stops.

    Attributes:
        intercept, weights: the map's intercept and weights of ``(P(same), held,
            P(same)·held, buys labels)``.
        threshold: stop once the chance reaches it.
        looks_cap: ``held`` counts at most this many looks.
        digest: SHA-256 of the file it was read from ("" when built in Python).
        source: what it was learned on.
    """

    intercept: float
    weights: tuple[float, float, float, float]
    threshold: float
    looks_cap: int = 8
    digest: str = ""
    source: str = ""

    def __post_init__(self) -> None:
        if len(self.weights) != 4 or not all(math.isfinite(w) for w in self.weights):
            raise UsageError("stop model: four finite weights (P(same), held, "
                             "P(same)·held, buys labels) are needed")
        if not 0 < self.threshold < 1:
            raise UsageError(f"stop model: threshold must be in (0, 1), got "
                             f"{self.threshold}")

    @staticmethod
    def features(p_same: float, held: int, buys: bool, looks_cap: int = 8
                 ) -> tuple[float, float, float, float]:
        """The map's inputs (the benchmark fits on the same).

        Example:
            >>> StopModel.features(0.5, 12, True)
            (0.5, 8.0, 4.0, 1.0)
        """
        h = float(min(int(held), looks_cap))
        return (float(p_same), h, float(p_same) * h, 1.0 if buys else 0.0)

    def chance(self, p_same: float, *, held: int, buys_labels: bool) -> float:
        """The learned chance that a look's recommendation is the full grid's."""
        x = self.features(p_same, held, buys_labels, self.looks_cap)
        z = self.intercept + sum(w * v for w, v in zip(self.weights, x, strict=True))
        return 1.0 / (1.0 + math.exp(-z))

    def least_p_same(self, *, held: int, buys_labels: bool) -> float | None:
        """The least stated ``P(same)`` at which a look stops, the recommendation held
        ``held`` looks (this one included); None when not even 1.0 does (the chance is
        linear in ``P(same)`` on the logit scale).

        Example (the shipped map, after 1 to 8 looks the same; a first look stops only
        at the schedule's target):
            >>> m = load_stop_model()
            >>> def least(buys):
            ...     return [None if (p := m.least_p_same(held=h, buys_labels=buys)) is None
            ...             else round(p, 2) for h in range(1, 9)]
            >>> least(False)  # "keep" or "switch", no labels
            [None, 0.84, 0.7, 0.57, 0.46, 0.37, 0.29, 0.21]
            >>> least(True)   # a recommendation that buys labels
            [None, None, None, None, 0.97, 0.84, 0.73, 0.63]
        """
        _, h, _, b = self.features(0.0, held, buys_labels, self.looks_cap)
        w1, w2, w3, w4 = self.weights
        need = math.log(self.threshold / (1 - self.threshold)) - (
            self.intercept + w2 * h + w4 * b)
        slope = w1 + w3 * h
        if slope <= 0:
            return 0.0 if need <= 0 else None
        p = max(0.0, need / slope)
        return p if p <= 1.0 else None

    def stops(self, recommendation: str, previous: Sequence[str], p_same: float) -> bool:
        """Whether a run stops at this look (its recommendation, the earlier looks'
        ones oldest first, its stated ``P(same)``)."""
        return self.chance(p_same, held=looks_held(recommendation, previous),
                           buys_labels=buys_labels(recommendation)) >= self.threshold

    def to_dict(self) -> dict[str, Any]:
        """The file's content."""
        return {"intercept": self.intercept, "weights": list(self.weights),
                "threshold": self.threshold, "looks_cap": self.looks_cap,
                "source": self.source}

    @classmethod
    def from_text(cls, text: str) -> StopModel:
        """Read the JSON of :meth:`to_dict`; the digest is the text's SHA-256."""
        try:
            d = json.loads(text)
            return cls(float(d["intercept"]), tuple(float(w) for w in d["weights"]),
                       float(d["threshold"]), int(d.get("looks_cap", 8)),
                       hashlib.sha256(text.encode()).hexdigest(), str(d.get("source", "")))
        except UsageError:
            raise  # the model's own check says what is wrong
        except (ValueError, KeyError, TypeError) as e:
            raise UsageError(f"stop model: not a stop model file ({e})") from None


@lru_cache(maxsize=1)
def load_stop_model() -> StopModel:
    """The shipped learned stop (``dataroi/study/stop_model.json``).

    Example:
        >>> m = load_stop_model()
        >>> 0.5 < m.threshold < 1 and len(m.digest) == 64
        True
    """
    return StopModel.from_text(files("dataroi.study").joinpath(STOP_MODEL_FILE)
                               .read_text(encoding="utf-8"))
