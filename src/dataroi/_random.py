"""Seeds derived from one root seed, keyed by identity (house rule 4): the one place.

Two keyings exist, each kept exactly so that recorded results reproduce:

* :func:`derive_seed` — the seeds of a *trial* (split, subsets, estimators):
  ``SeedSequence(root, spawn_key=(sha256(part)...))`` made into a plain 32-bit int, valid
  as any ``random_state``. Changing it would change every recorded trial.
* :func:`seed_sequence` / :func:`rng` — the seeds of an *analysis* (curve draws, bootstrap
  resamples, label flips of a stress arm): ``SeedSequence([root, *parts])`` with each text
  part replaced by its CRC-32. Cheap enough to call per model, slice or segment.

Either way the same identity gets the same seed whatever the order in which things are
planned, scheduled, retried or listed; nothing is keyed by position.

Example:
    >>> derive_seed(0, "estimator", 2, 100, "logreg") == derive_seed(0, "estimator", 2, 100,
    ...                                                              "logreg")
    True
    >>> derive_seed(0, "subset", 0) != derive_seed(0, "subset", 1)
    True
    >>> a = rng(0, "svm", "draws").integers(1 << 30)
    >>> bool(a == rng(0, "svm", "draws").integers(1 << 30))
    True
"""

from __future__ import annotations

import hashlib
import zlib

import numpy as np

from dataroi.exceptions import UsageError

__all__ = ["derive_seed", "estimator_seed", "int_seed", "rng", "seed_sequence", "split_seed",
           "subset_seed"]


def _key_int(part: str | int) -> int:
    if isinstance(part, (int, np.integer)) and not isinstance(part, bool):
        if part < 0:
            raise UsageError("seed keys must be non-negative")
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


def seed_sequence(root: int, *parts: str | int) -> np.random.SeedSequence:
    """The analysis keying: ``SeedSequence([root, *parts])``, text parts as their CRC-32.

    Example:
        >>> seed_sequence(3, "a", 7).entropy == seed_sequence(3, "a", 7).entropy
        True
    """
    key = [int(root)] + [p if isinstance(p, int) else zlib.crc32(str(p).encode("utf-8"))
                         for p in parts]
    return np.random.SeedSequence(key)


def rng(root: int, *parts: str | int) -> np.random.Generator:
    """A generator keyed like :func:`seed_sequence`."""
    return np.random.default_rng(seed_sequence(root, *parts))


def int_seed(root: int, *parts: str | int) -> int:
    """A plain 32-bit int keyed like :func:`seed_sequence` (for APIs that take an int)."""
    return int(seed_sequence(root, *parts).generate_state(1)[0])
