"""A content-addressed store for trial artifacts (test-set predictions).

Each artifact is a small set of named numpy arrays saved as ``<digest>.npz`` where the
digest is the SHA-256 of the arrays' names, dtypes, shapes and bytes — so identical
predictions are stored once, a digest in the ledger always names exactly one content,
and files are written to a temporary name and renamed (never half-written).

Example:
    >>> import numpy as np, tempfile
    >>> store = ArtifactStore(tempfile.mkdtemp())
    >>> digest = store.put({"pred": np.array([0, 1, 1])})
    >>> store.get(digest)["pred"].tolist()
    [0, 1, 1]
    >>> store.put({"pred": np.array([0, 1, 1])}) == digest
    True
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

import numpy as np

__all__ = ["ArtifactStore", "digest_arrays"]


def digest_arrays(arrays: dict[str, np.ndarray]) -> str:
    """SHA-256 over the names, dtypes, shapes and bytes of ``arrays`` (sorted by name)."""
    h = hashlib.sha256()
    for name in sorted(arrays):
        arr = np.ascontiguousarray(arrays[name])
        h.update(f"{name}|{arr.dtype.str}|{arr.shape}|".encode())
        h.update(arr.tobytes())
    return h.hexdigest()


class ArtifactStore:
    """Arrays by content digest under ``root/<first 2 hex>/<digest>.npz``."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)

    def path(self, digest: str) -> Path:
        return self.root / digest[:2] / f"{digest}.npz"

    def put(self, arrays: dict[str, np.ndarray]) -> str:
        """Store ``arrays`` (if not stored yet) and return their digest."""
        digest = digest_arrays(arrays)
        final = self.path(digest)
        if final.exists():
            return digest
        final.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".npz", dir=final.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                np.savez_compressed(fh, **arrays)
            os.replace(tmp, final)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return digest

    def get(self, digest: str) -> dict[str, np.ndarray]:
        """Load the arrays stored under ``digest``.

        Raises:
            FileNotFoundError: no artifact with that digest.
        """
        with np.load(self.path(digest), allow_pickle=False) as z:
            return {k: z[k] for k in z.files}

    def __contains__(self, digest: str) -> bool:
        return self.path(digest).exists()
