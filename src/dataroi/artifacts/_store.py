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
        if final.exists() and self.intact(digest):
            return digest  # a damaged file under this digest is replaced (a re-run heals it)
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
        """Load the arrays stored under ``digest``, verified: their digest is computed
        again (as cheap as the decompression) and must be ``digest``. A file overwritten,
        truncated or damaged after it was written never feeds a number.

        Raises:
            FileNotFoundError: no artifact with that digest.
            ArtifactError: the file cannot be read, or holds other content.

        Example:
            >>> import tempfile
            >>> store = ArtifactStore(tempfile.mkdtemp())
            >>> digest = store.put({"pred": np.array([0, 1])})
            >>> _ = store.path(digest).write_bytes(b"garbage")
            >>> from dataroi.exceptions import ArtifactError
            >>> try:
            ...     store.get(digest)
            ... except ArtifactError as exc:
            ...     print(str(exc)[-49:])
            cannot be read: damaged or truncated (ValueError)
        """
        from dataroi.exceptions import ArtifactError

        path = self.path(digest)
        try:
            with np.load(path, allow_pickle=False) as z:
                arrays = {k: z[k] for k in z.files}
        except FileNotFoundError:
            raise
        except Exception as exc:  # zip, CRC, header, truncation, pickle-refused errors
            raise ArtifactError(f"stored predictions {path} cannot be read: damaged or "
                                f"truncated ({type(exc).__name__})") from exc
        if digest_arrays(arrays) != digest:
            raise ArtifactError(f"stored predictions {path} do not hash to their digest "
                                "(changed after they were written)")
        return arrays

    def intact(self, digest: str) -> bool:
        """Whether the artifact under ``digest`` exists and reads back as its digest."""
        from dataroi.exceptions import ArtifactError

        try:
            self.get(digest)
        except (OSError, ArtifactError):
            return False
        return True

    def __contains__(self, digest: str) -> bool:
        return self.path(digest).exists()
