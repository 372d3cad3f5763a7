"""The learned files shipped with :mod:`dataroi.curves`, and one digest of them all.

A fit depends on the gates and calibration tables it was made with; anything that caches
fits (the ledger's ``curve_fit`` documents, see :func:`dataroi.value.fit_study_curves`)
keys them by :func:`learned_files_digest`, so a change of any shipped file refits even
when the dataroi version string stays the same (a development checkout).

Example:
    >>> digest = learned_files_digest()
    >>> len(digest)
    64
    >>> digest == learned_files_digest()
    True
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from importlib import resources

from dataroi.curves._calibration import CALIBRATION_FILES
from dataroi.curves._stack import STACKER_FILES

__all__ = ["LEARNED_FILES", "learned_files_digest"]

#: Every learned file of the package, in a fixed order.
LEARNED_FILES: tuple[str, ...] = tuple(sorted({*STACKER_FILES.values(),
                                               *CALIBRATION_FILES.values()}))


@lru_cache(maxsize=1)
def learned_files_digest() -> str:
    """SHA-256 over the names and contents of :data:`LEARNED_FILES` (a missing file
    counts as empty)."""
    h = hashlib.sha256()
    root = resources.files("dataroi.curves")
    for name in LEARNED_FILES:
        try:
            data = root.joinpath(name).read_bytes()
        except (FileNotFoundError, ModuleNotFoundError):
            data = b""
        h.update(name.encode() + b"\0" + hashlib.sha256(data).digest())
    return h.hexdigest()
