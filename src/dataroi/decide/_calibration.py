"""The calibration of the probabilities a decision states, learned on the curve corpus.

A staged plan's P(net > 0) (:func:`~dataroi.decide.plan_staged`) assumes one decision
after re-measuring at ``2N``; followed as a policy, the plan can re-measure again and
decides on the measured curve, so on held-out data sets of the curve corpus its money
ended positive more often than stated (stated 0.74, realized 0.89; stated 0.85,
realized 0.92: ``benchmarks/bench_decisions.py``, docs/decisions.md); so did the one-shot
options dataroi chose. The maps here turn the model's probability into the rate realized
on the corpus: a logistic regression on the log-odds (Platt scaling) of "the policy, at
the default ``decision.max_p_loss``, ended with more money than staying" on the stated
probability, one for the staged plans and one for the chosen options, data sets weighing
the same (``benchmarks/learn_p_calibration.py`` learns them, leave-data-set-out for the
benchmark), at most 0.995. Below the smallest probability it saw (the default limit
keeps plans under 0.65 out) a map is the identity, so at the default limit it holds back
the plans and options the model's probability would. ``decision.max_p_loss`` is held to
the calibrated probability, the one the recommendation states. The option map is
learned on chosen options that add labels or switch, and applies to those only: relabel
options (``decision.relabel``) keep the draws' probability (the noise arms' check of
relabeling alone reuses the repeats that valued it, so it cannot show a team's
uncertainty: docs/decisions.md).

Why not scikit-learn at run time: the regression is fitted with it (in the learner), and
only its curve ships, tabulated as knots of plain numbers in ``p_calibration.json`` (a
pickled estimator would tie the file to one scikit-learn version); applying the knots is
:func:`numpy.interp`.

Example:
    >>> cal = PCalibration({"staged": ((0.5, 0.9), (0.6, 0.95))})
    >>> cal.apply("staged", 0.7), cal.apply("staged", 0.95), cal.apply("option", 0.7)
    (0.775, 0.95, 0.7)
    >>> PCalibration.off().apply("staged", 0.7)
    0.7
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from importlib.resources import files
from pathlib import Path
from typing import Any

import numpy as np

from dataroi.exceptions import UsageError

__all__ = ["P_CALIBRATION_FILE", "PCalibration", "load_p_calibration"]

#: The shipped calibration (package data of :mod:`dataroi.decide`).
P_CALIBRATION_FILE = "p_calibration.json"

#: What a map can calibrate: the staged plan's P(net > 0), and an option's.
KINDS = ("staged", "option")


@dataclass(frozen=True)
class PCalibration:
    """Monotone maps from a stated probability to the realized rate, per kind.

    Args:
        maps: kind (``"staged"``, ``"option"``) → (knots of the stated probability,
            the realized rate at each), increasing; a kind without a map is left as is.
        digest: SHA-256 of the file it was read from ("" when built in Python or off).
        source: what it was learned on, for the notes.
    """

    maps: Mapping[str, tuple[tuple[float, ...], tuple[float, ...]]] = field(
        default_factory=dict)
    digest: str = ""
    source: str = ""

    def __post_init__(self) -> None:
        for kind, (x, y) in self.maps.items():
            if kind not in KINDS:
                raise UsageError(f"p calibration: unknown kind '{kind}' (one of "
                                 f"{', '.join(KINDS)})")
            xa, ya = np.asarray(x, float), np.asarray(y, float)
            if (len(xa) < 2 or xa.shape != ya.shape or np.any(np.diff(xa) < 0)
                    or np.any(np.diff(ya) < -1e-12) or not np.all(np.isfinite(xa))
                    or np.any((ya < 0) | (ya > 1))):
                raise UsageError(f"p calibration '{kind}': knots must be increasing "
                                 "probabilities, at least two")

    @classmethod
    def off(cls) -> PCalibration:
        """No calibration: every probability as the model states it."""
        return cls()

    def apply(self, kind: str, p: float) -> float:
        """The calibrated probability of ``kind`` (``p`` itself without a map)."""
        if kind not in self.maps:
            return float(p)
        x, y = self.maps[kind]
        return round(float(np.interp(float(p), x, y)), 6)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (what :func:`load_p_calibration` reads)."""
        return {"source": self.source,
                "maps": {k: {"stated": list(x), "realized": list(y)}
                         for k, (x, y) in self.maps.items()}}


def p_calibration_from_dict(raw: Mapping[str, Any], digest: str = "") -> PCalibration:
    """A :class:`PCalibration` from its JSON form."""
    maps = {k: (tuple(float(v) for v in m["stated"]), tuple(float(v) for v in m["realized"]))
            for k, m in raw.get("maps", {}).items()}
    return PCalibration(maps, digest=digest, source=str(raw.get("source", "")))


@lru_cache(maxsize=16)
def load_p_calibration(path: str | None = None) -> PCalibration:
    """The shipped calibration, or the one at ``path``; ``"none"`` turns it off.

    Raises:
        UsageError: no file at ``path``, or a file that is not a calibration.

    Example:
        >>> load_p_calibration("none").maps
        {}
        >>> sorted(load_p_calibration().maps)
        ['option', 'staged']
    """
    if path == "none":
        return PCalibration.off()
    try:
        text = (Path(path).read_text(encoding="utf-8") if path is not None else
                files("dataroi.decide").joinpath(P_CALIBRATION_FILE).read_text(
                    encoding="utf-8"))
    except FileNotFoundError:
        if path is not None:
            raise UsageError(f"p calibration file not found: {path}") from None
        return PCalibration.off()
    try:
        return p_calibration_from_dict(json.loads(text),
                                       digest=hashlib.sha256(text.encode()).hexdigest())
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise UsageError(f"{path or P_CALIBRATION_FILE} is not a dataroi p calibration "
                         f"({type(exc).__name__}: {exc})") from None
