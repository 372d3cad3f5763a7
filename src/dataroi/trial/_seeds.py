"""Seeds derived from one root seed, keyed by identity (house rule 4).

Every seed is ``SeedSequence(root, spawn_key=(tag, *identity))``: the same identity gets
the same seed whatever the order in which trials are planned, scheduled or retried.

Example:
    >>> derive_seed(0, "estimator", 2, 100, "logreg") == derive_seed(0, "estimator", 2, 100,
    ...                                                              "logreg")
    True
    >>> derive_seed(0, "subset", 0) != derive_seed(0, "subset", 1)
    True
"""

from __future__ import annotations

import hashlib

import numpy as np

__all__ = ["derive_seed", "estimator_seed", "split_seed", "subset_seed"]


def _key_int(part: str | int) -> int:
    if isinstance(part, (int, np.integer)) and not isinstance(part, bool):
        if part < 0:
            raise ValueError("seed keys must be non-negative")
        return int(part)
    digest = hashlib.sha256(str(part).encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "little")


def derive_seed(root: int, *identity: str | int) -> int:
    """A 32-bit seed (a plain int, valid as any ``random_state``) for this identity."""
    ss = np.random.SeedSequence(int(root), spawn_key=tuple(_key_int(p) for p in identity))
    return int(ss.generate_state(1, dtype=np.uint32)[0])


def split_seed(root: int) -> int:
    """Seed of the train-pool/test split."""
    return derive_seed(root, "split")


def subset_seed(root: int, repeat: int) -> int:
    """Seed of repeat ``repeat``'s permutation of the pool (shared by all models/sizes)."""
    return derive_seed(root, "subset", repeat)


def estimator_seed(root: int, repeat: int, n_train: int, model: str) -> int:
    """Seed passed as ``random_state`` to the estimator of one trial."""
    return derive_seed(root, "estimator", repeat, n_train, model)
