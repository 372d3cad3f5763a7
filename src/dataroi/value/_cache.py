"""A cache of fitted curves on disk, apart from the ledger (the record stays unwritten).

Fitting a study's curves takes most of the time of ``dataroi plan``; the fits depend only
on their inputs, so they are kept as JSON files under ``<workdir>/cache/fits/`` (beside an
SQLite ledger, or in ``.dataroi`` beside the spec) keyed by a SHA-256 of everything a fit
depends on: the scores and training scores, sizes, direction, families and seed, the
dataroi version, the digest of the shipped gates and calibration tables, and the fitting
procedure's revision (:data:`dataroi.curves.FIT_REVISION`). New curve models or fitting
code therefore refit, even under the same version string.

A cached fit predicts and samples exactly as the original (``CurveFit.to_dict`` /
``from_dict`` round-trip). Each file carries the SHA-256 of its payload: a damaged or
edited entry is ignored and refitted, never trusted. Deleting the folder loses nothing.

Example:
    >>> import tempfile, numpy as np
    >>> from dataroi.curves import fit_curve
    >>> cache = FitCache(tempfile.mkdtemp())
    >>> n = np.array([50.0, 100, 200, 400, 800]); s = 0.9 - n ** -0.5
    >>> key = cache.key("curve", "a", n, s, True, "auto", 0)
    >>> cache.get(key) is None
    True
    >>> fit = fit_curve(n, s, random_state=0)
    >>> cache.put(key, fit)
    >>> float(cache.get(key).predict(1600)[0]) == float(fit.predict(1600)[0])
    True
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["FitCache"]


class FitCache:
    """Fitted curves as files ``<root>/<key[:2]>/<key>.json``; ``root=None`` caches nothing.

    Reads and writes never fail the caller: an unreadable entry is a miss, a failed write
    is skipped.
    """

    def __init__(self, root: str | os.PathLike[str] | None) -> None:
        self.root = None if root is None else Path(root)

    @staticmethod
    def key(kind: str, model: str, sizes: np.ndarray, values: np.ndarray,
            higher_is_better: bool | None, families: Any, seed: Any) -> str:
        """SHA-256 of what a fit depends on (see the module doc)."""
        from dataroi import __version__
        from dataroi.curves import FIT_REVISION, learned_files_digest

        h = hashlib.sha256()
        h.update(repr((kind, model, higher_is_better, families, str(seed), __version__,
                       learned_files_digest(), FIT_REVISION, np.shape(sizes),
                       np.shape(values))).encode())
        h.update(np.ascontiguousarray(sizes, dtype=float).tobytes())
        h.update(np.ascontiguousarray(values, dtype=float).tobytes())
        return h.hexdigest()

    def _path(self, key: str) -> Path:
        assert self.root is not None
        return self.root / key[:2] / f"{key}.json"

    def get(self, key: str) -> Any:
        """The cached :class:`~dataroi.curves.CurveFit`, or None."""
        if self.root is None:
            return None
        from dataroi.curves import CurveFit

        try:
            entry = json.loads(self._path(key).read_text(encoding="utf-8"))
            payload = entry["payload"]
            if entry.get("sha256") != _digest(payload):
                return None
            return CurveFit.from_dict(payload)
        except Exception:  # missing, damaged or from an incompatible version: refit
            return None

    def put(self, key: str, fit: Any) -> None:
        """Keep ``fit`` under ``key`` (atomically; a failure is ignored)."""
        if self.root is None:
            return
        from dataroi._files import write_atomic

        payload = fit.to_dict()
        with contextlib.suppress(Exception):  # an optimisation: never fail the caller
            write_atomic(self._path(key), json.dumps({"sha256": _digest(payload),
                                                      "payload": payload}))


def _digest(payload: Any) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()
