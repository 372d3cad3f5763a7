"""How long a trial takes, from the trials measured so far: the adaptive rule's price of
a trial and the progress bar's ETA read the same fit.

A trial's seconds grow with its training size at a rate that depends on the model (a
linear model's fit is about linear in the rows, a forest's a little more, a model with a
fixed number of boosting rounds less). :func:`seconds_by_size` fits a line of log
seconds on log size per model; no library fits this per group with the clipping and the
fallbacks a study needs before most of its trials have run, so it is written here.

Example:
    >>> t = seconds_by_size([("a", 100, 1.0), ("a", 400, 4.0)], ["a", "b"], [100, 1600])
    >>> round(t[("a", 1600)], 1), round(t[("b", 1600)], 1)  # b: the median timing
    (16.0, 2.5)
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import numpy as np

__all__ = ["seconds_by_size"]


def seconds_by_size(observed: Iterable[tuple[str, int, float]], models: Sequence[str],
                    sizes: Sequence[int]) -> dict[tuple[str, int], float]:
    """Predicted seconds of one trial of each (model, size).

    Per model, a least-squares line of log seconds on log size (slope within [0, 2]; 1
    through the mean with one size measured); a model with no timing takes the median of
    all timings at the largest size, growing linearly below it.

    Args:
        observed: (model, training size, seconds) of trials measured so far; seconds of 0
            or less (not measured) are ignored.
        models: the models to predict for.
        sizes: the training sizes to predict for.

    Returns:
        ``{(model, size): seconds}`` for every model and size.

    Example:
        >>> {k: round(v, 2) for k, v in seconds_by_size([], ["m"], [10, 20]).items()}
        {('m', 10): 0.5, ('m', 20): 1.0}
    """
    rows = [(str(m), float(n), float(s)) for m, n, s in observed if s > 0 and n > 0]
    overall = float(np.median([s for _, _, s in rows])) if rows else 1.0
    out: dict[tuple[str, int], float] = {}
    for m in models:
        x = np.log([n for k, n, _ in rows if k == m])
        y = np.log([s for k, _, s in rows if k == m])
        if len(x) == 0:
            a, b, x0 = math.log(overall), 1.0, math.log(max(sizes))
        elif len(np.unique(x)) < 2:
            a, b, x0 = float(y.mean()), 1.0, float(x.mean())
        else:
            b = float(np.clip(np.polyfit(x, y, 1)[0], 0.0, 2.0))
            a, x0 = float(y.mean()), float(x.mean())
        for s in sizes:
            out[(m, s)] = float(math.exp(a + b * (math.log(s) - x0)))
    return out
