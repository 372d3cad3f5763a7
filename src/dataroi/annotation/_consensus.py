"""Consensus labels: majority vote with a seeded tie-break, and Dawid–Skene EM.

Example:
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"item": [1, 1, 1, 2, 2, 2], "annotator": list("abcabc"),
    ...                       "label": ["x", "x", "y", "y", "y", "y"]})
    >>> ds = DawidSkene().fit(frame)
    >>> [ds.classes_[k] for k in ds.labels_]
    ['x', 'y']
    >>> bool(ds.converged_)
    True
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

from dataroi.annotation._table import AnnotationTable, load_annotations
from dataroi.exceptions import ConvergenceError, UsageError

__all__ = ["DawidSkene", "majority_vote"]


def majority_vote(counts: Any, *, random_state: int | np.random.Generator | None = 0
                  ) -> np.ndarray:
    """The most frequent class of each item; ties broken uniformly at random (seeded).

    Args:
        counts: ``(n_items, n_classes)`` annotation counts (e.g. ``AnnotationTable.counts()``).
        random_state: seed or generator of the tie-break.

    Returns:
        Class code per item (n_items,). Items without annotations get a random class.

    Example:
        >>> majority_vote([[3, 1], [0, 2], [1, 1]], random_state=0).tolist()[:2]
        [0, 1]
    """
    c = np.asarray(counts, dtype=float)
    if c.ndim != 2:
        raise UsageError(f"counts must be an (n_items, n_classes) table, got shape {c.shape}")
    rng = (random_state if isinstance(random_state, np.random.Generator)
           else np.random.default_rng(random_state))
    # counts are integers: a jitter below 1 only reorders tied maxima
    return np.argmax(c + rng.uniform(0.0, 0.5, size=c.shape), axis=1)


@dataclass
class _Fit:
    priors: np.ndarray
    confusion: np.ndarray
    posterior: np.ndarray
    n_iter: int
    converged: bool
    log_likelihood: float


def _e_step(item_idx: np.ndarray, ann_idx: np.ndarray, label_idx: np.ndarray, n_items: int,
            priors: np.ndarray, confusion: np.ndarray) -> tuple[np.ndarray, float]:
    k = priors.size
    log_conf = np.log(confusion)  # (J, K_true, K_obs)
    contrib = log_conf[ann_idx, :, label_idx]  # (N, K_true)
    log_post = np.empty((n_items, k))
    for c in range(k):
        log_post[:, c] = np.bincount(item_idx, weights=contrib[:, c], minlength=n_items)
    log_post += np.log(priors)
    top = log_post.max(axis=1, keepdims=True)
    post = np.exp(log_post - top)
    norm = post.sum(axis=1, keepdims=True)
    return post / norm, float((np.log(norm) + top).sum())


def _m_step(item_idx: np.ndarray, ann_idx: np.ndarray, label_idx: np.ndarray, n_ann: int,
            posterior: np.ndarray, weights: np.ndarray | None,
            smoothing: float) -> tuple[np.ndarray, np.ndarray]:
    k = posterior.shape[1]
    t = posterior if weights is None else posterior * weights[:, None]
    priors = t.sum(axis=0) + smoothing
    priors /= priors.sum()
    per_annotation = t[item_idx]  # (N, K_true)
    flat = ann_idx * k + label_idx
    counts = np.empty((n_ann, k, k))
    for c in range(k):
        counts[:, c, :] = np.bincount(flat, weights=per_annotation[:, c],
                                      minlength=n_ann * k).reshape(n_ann, k)
    counts += smoothing
    return priors, counts / counts.sum(axis=2, keepdims=True)


def fit_dawid_skene(item_idx: np.ndarray, ann_idx: np.ndarray, label_idx: np.ndarray, *,
                    n_items: int, n_annotators: int, init: np.ndarray,
                    weights: np.ndarray | None = None, max_iter: int = 100,
                    tol: float = 1e-6, smoothing: float = 0.01) -> _Fit:
    """EM on integer codes, starting from the item posteriors ``init``."""
    posterior = init
    previous = -np.inf
    ll = -np.inf
    priors = confusion = np.empty(0)
    for it in range(1, max_iter + 1):
        priors, confusion = _m_step(item_idx, ann_idx, label_idx, n_annotators, posterior,
                                    weights, smoothing)
        posterior, ll = _e_step(item_idx, ann_idx, label_idx, n_items, priors, confusion)
        if not np.isfinite(ll):
            raise ConvergenceError("Dawid–Skene EM produced a non-finite likelihood; use a "
                                   "larger smoothing")
        if abs(ll - previous) <= tol * (abs(ll) + 1.0):
            return _Fit(priors, confusion, posterior, it, True, ll)
        previous = ll
    return _Fit(priors, confusion, posterior, max_iter, False, ll)


class DawidSkene:
    """Dawid–Skene (1979) latent-class model of annotator noise, fitted by EM.

    Each item has an unknown true class ``z_i ~ π``; annotator ``j`` reports class ``l``
    for a true class ``k`` with probability ``θ_j[k, l]`` (a confusion matrix per
    annotator). EM starts from the majority-vote shares, alternates posteriors
    ``T_ik ∝ π_k Π_(j,l) θ_j[k, l]`` and the smoothed maximum-likelihood ``π``, ``θ``, and
    stops when the log-likelihood changes by less than ``tol`` (relative) or after
    ``max_iter`` iterations (then ``converged_`` is False and a warning is issued).

    Args:
        max_iter: iteration guard.
        tol: relative log-likelihood change that counts as converged.
        smoothing: pseudo-count added to every prior and confusion cell (keeps logs finite).

    Attributes:
        classes_: the class labels (codes index them).
        items_: item identifiers, in the row order of ``posterior_``.
        annotators_: annotator identifiers, in the order of ``confusion_``.
        class_priors_: estimated class prevalences ``π`` (n_classes,).
        confusion_: ``(n_annotators, n_classes, n_classes)``; rows the true class, columns
            the reported class; rows sum to one.
        posterior_: ``(n_items, n_classes)`` posterior class probabilities per item.
        labels_: most probable class code per item.
        n_iter_: EM iterations run.
        converged_: whether the tolerance was reached.
        log_likelihood_: final log-likelihood of the annotations.
    """

    def __init__(self, *, max_iter: int = 100, tol: float = 1e-6,
                 smoothing: float = 0.01) -> None:
        self.max_iter = max_iter
        self.tol = tol
        self.smoothing = smoothing

    def _validate(self) -> None:
        if not isinstance(self.max_iter, int) or self.max_iter < 1:
            raise UsageError(f"max_iter must be an integer >= 1, got {self.max_iter!r}")
        if not self.tol > 0:
            raise UsageError(f"tol must be > 0, got {self.tol!r}")
        if not self.smoothing > 0:
            raise UsageError(f"smoothing must be > 0 (e.g. 0.01), got {self.smoothing!r}")

    def fit(self, data: Any, **columns: Any) -> DawidSkene:
        """Fit on annotations (a table, path or :class:`AnnotationTable`).

        Args:
            data: the annotations; see :func:`load_annotations`.
            **columns: ``item=``, ``annotator=``, ``label=`` column names.

        Returns:
            self, fitted.
        """
        self._validate()
        table: AnnotationTable = load_annotations(data, **columns)
        counts = table.counts().astype(float)
        init = (counts + 1e-3) / (counts + 1e-3).sum(axis=1, keepdims=True)
        fit = fit_dawid_skene(table.item_idx, table.annotator_idx, table.label_idx,
                              n_items=table.n_items, n_annotators=table.n_annotators,
                              init=init, max_iter=self.max_iter, tol=self.tol,
                              smoothing=self.smoothing)
        if not fit.converged:
            warnings.warn(f"Dawid–Skene EM did not converge in {self.max_iter} iterations "
                          f"(tol={self.tol}); raise max_iter or tol", RuntimeWarning,
                          stacklevel=2)
        self.table_ = table
        self.classes_ = table.classes
        self.items_ = table.items
        self.annotators_ = table.annotators
        self.class_priors_ = fit.priors
        self.confusion_ = fit.confusion
        self.posterior_ = fit.posterior
        self.labels_ = np.argmax(fit.posterior, axis=1)
        self.n_iter_ = fit.n_iter
        self.converged_ = fit.converged
        self.log_likelihood_ = fit.log_likelihood
        return self

    def annotator_accuracy(self) -> np.ndarray:
        """Each annotator's expected accuracy ``Σ_k π_k θ_j[k, k]`` (n_annotators,)."""
        diag = np.diagonal(self.confusion_, axis1=1, axis2=2)
        return np.asarray(diag @ self.class_priors_)
