"""A cache of fitted curves on disk, apart from the ledger (the record stays unwritten).

Fitting a study's curves takes most of the time of ``dataroi plan``; the fits (and the
parametric features of the learned gain forecast, :meth:`FitCache.put_arrays`) depend only
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
    >>> k2 = cache.key_of("gains", n, s)
    >>> cache.put_arrays(k2, {"pow3": np.array([0.01, np.nan])})
    >>> cache.get_arrays(k2)["pow3"].tolist()
    [0.01, nan]
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

    @staticmethod
    def key_of(kind: str, *arrays: np.ndarray) -> str:
        """SHA-256 of ``kind``, the arrays' shapes and bytes, and what every entry depends
        on (the version, the shipped files' digest, the fitting revision)."""
        from dataroi import __version__
        from dataroi.curves import FIT_REVISION, learned_files_digest

        h = hashlib.sha256(repr((kind, __version__, learned_files_digest(), FIT_REVISION,
                                 [np.shape(a) for a in arrays])).encode())
        for a in arrays:
            h.update(np.ascontiguousarray(a, dtype=float).tobytes())
        return h.hexdigest()

    def get_arrays(self, key: str) -> dict[str, np.ndarray] | None:
        """Named float arrays kept under ``key`` (:meth:`put_arrays`), or None."""
        payload = self._read(key)
        if not isinstance(payload, dict):
            return None
        try:
            return {str(k): np.array(v, dtype=float) for k, v in payload.items()}
        except (TypeError, ValueError):
            return None

    def put_arrays(self, key: str, arrays: dict[str, np.ndarray]) -> None:
        """Keep named float arrays (NaN kept as ``null``) under ``key``."""
        self._write(key, {k: [None if not np.isfinite(x) else float(x)
                              for x in np.asarray(v, dtype=float).ravel()]
                          for k, v in arrays.items()})

    def _read(self, key: str) -> Any:
        if self.root is None:
            return None
        try:
            entry = json.loads(self._path(key).read_text(encoding="utf-8"))
            payload = entry["payload"]
            return payload if entry.get("sha256") == _digest(payload) else None
        except Exception:  # missing or damaged: recompute
            return None

    def _write(self, key: str, payload: Any) -> None:
        if self.root is None:
            return
        from dataroi._files import write_atomic

        with contextlib.suppress(Exception):  # an optimisation: never fail the caller
            write_atomic(self._path(key), json.dumps({"sha256": _digest(payload),
                                                      "payload": payload}))

    def _path(self, key: str) -> Path:
        assert self.root is not None
        return self.root / key[:2] / f"{key}.json"

    def get(self, key: str) -> Any:
        """The cached :class:`~dataroi.curves.CurveFit`, or None."""
        payload = self._read(key)
        if payload is None:
            return None
        from dataroi.curves import CurveFit

        try:
            return CurveFit.from_dict(payload)
        except Exception:  # from an incompatible version: refit
            return None

    def put(self, key: str, fit: Any) -> None:
        """Keep ``fit`` under ``key`` (atomically; a failure is ignored)."""
        if self.root is not None:
            self._write(key, fit.to_dict())


def _digest(payload: Any) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()
