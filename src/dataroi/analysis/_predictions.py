"""The stored test-set predictions of a study, for the test-set bootstrap and slices.

The test labels come from the workers' copy of the data (``<workdir>/cache/<name>``,
named in the ledger's context), checked against the context's fingerprint; only when that
copy is gone is the data loaded again. The predictions come from the content-addressed
artifact store (``<workdir>/artifacts``, or the spec's ``artifacts:`` folder).

Example:
    >>> import numpy as np
    >>> p = StoredPredictions(y_test=np.array([0, 1]), n_classes=2, artifacts=None)
    >>> p.load("0" * 64) is None
    True
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from dataroi.analysis._context import StudyContext

__all__ = ["StoredPredictions", "kept_test_labels", "stored_predictions"]


@dataclass
class StoredPredictions:
    """Test labels and the stored prediction arrays of trials (a
    :class:`~dataroi.value.TestPredictions`)."""

    y_test: np.ndarray
    n_classes: int | None
    artifacts: Any
    test_idx: np.ndarray | None = None

    def load(self, digest: str) -> Mapping[str, np.ndarray] | None:
        """The arrays stored under ``digest``, or None when they are missing or damaged."""
        if self.artifacts is None or not digest or digest not in self.artifacts:
            return None
        try:
            return self.artifacts.get(digest)
        except Exception:  # a damaged file: treated as missing
            return None


def stored_predictions(ctx: StudyContext) -> StoredPredictions | None:
    """The study's stored predictions with its test labels (from the workers' data copy,
    else the artifact store, else the data), or None without an artifact store."""
    if ctx.artifacts is None:
        return None
    from dataroi.artifacts import ArtifactStore

    store = ArtifactStore(ctx.artifacts)
    cached = _cached_test_labels(ctx) or _stored_test_labels(ctx, store)
    if cached is not None:
        y_test, n_classes, test_idx = cached
    else:
        prep = ctx.prepared()
        test_idx = np.asarray(prep.test_idx)
        y_test, n_classes = np.asarray(prep.y)[test_idx], prep.n_classes
    return StoredPredictions(y_test=y_test, n_classes=n_classes, artifacts=store,
                             test_idx=test_idx)


def kept_test_labels(ctx: StudyContext) -> np.ndarray | None:
    """The context's test labels as a run kept them (the workers' data copy, else the
    artifact store), never read from the data source: an earlier data version's source
    may hold other rows by now. None when neither has them."""
    from dataroi.artifacts import ArtifactStore

    kept = _cached_test_labels(ctx)
    if kept is None and ctx.artifacts is not None:
        kept = _stored_test_labels(ctx, ArtifactStore(ctx.artifacts))
    return None if kept is None else kept[0]


def _stored_test_labels(ctx: StudyContext, store: Any
                        ) -> tuple[np.ndarray, int | None, np.ndarray] | None:
    """Test labels the run kept in the artifact store (a ``test_labels`` document of the
    context names them), if they are there, intact and of the context's test size;
    else None. A teammate without the data reads them from the shared store."""
    context_id = (ctx.context or {}).get("context_id")
    if ctx.store is None or context_id is None:
        return None
    desc = (ctx.context or {}).get("description") or {}
    for doc in reversed(ctx.store.list_documents("test_labels", context_id=int(context_id))):
        payload = doc.get("payload") or {}
        try:
            arrays = store.get(str(payload["digest"]))
        except Exception:  # not in this store, or damaged: the next, or the data
            continue
        y_test, test_idx = np.asarray(arrays["y_test"]), np.asarray(arrays["test_idx"])
        if desc.get("test_size") is not None and len(test_idx) != desc["test_size"]:
            continue
        k = payload.get("n_classes")
        return y_test, None if k is None else int(k), test_idx
    return None


def _cached_test_labels(ctx: StudyContext) -> tuple[np.ndarray, int | None, np.ndarray] | None:
    """Test labels from the workers' data copy named in the context, if it is there and
    carries the context's fingerprint and still matches the checksums it was written
    with (the quick check of :func:`dataroi.data.verify_cache`: the labels and the split
    are hashed in full); else None, and the data is loaded from its source."""
    desc = (ctx.context or {}).get("description") or {}
    if ctx.workdir is None or not ctx.fingerprint:
        return None
    cache = Path(ctx.workdir) / "cache"
    name = desc.get("data_cache")
    if name:
        folders = [cache / str(name)]
    else:  # a context recorded before the copy was named in it: the copy of its data
        folders = sorted(cache.glob(f"data-v*-{str(ctx.fingerprint)[:20]}-*"))
    found = []
    for folder in folders:
        try:
            from dataroi.data import WorkerData, verify_cache

            if verify_cache(folder):  # edited or damaged since it was written
                continue
            data = WorkerData.open(str(folder))
        except Exception:  # missing or damaged copy
            continue
        if data.fingerprint == ctx.fingerprint and (
                desc.get("test_size") is None or len(data.test_idx) == desc["test_size"]):
            found.append(data)
    if len(found) != 1:  # none, or several splits of the same data: load the data
        return None
    data = found[0]
    test_idx = np.asarray(data.test_idx)
    return np.asarray(data.y)[test_idx], data.n_classes, test_idx
