"""What a study hands its analysis: plain data, one open ledger handle, lazy accessors.

The analysis layer never imports :mod:`dataroi.study` (which sits above it); a study
makes a :class:`StudyContext` once (``Study.analyze()``: the trials read once, one ledger
connection kept open for the documents, the environments and the saved recommendation)
and the :class:`~dataroi.analysis.Analysis` reads everything else through it.

Example:
    >>> ctx = StudyContext(name="demo", spec=None, snapshots=(), store=None,
    ...                    ledger_url="sqlite://", workdir=None)
    >>> ctx.pool_size is None, ctx.hashes()
    (True, {})
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dataroi.data import PreparedData
    from dataroi.ledger import BaseLedger
    from dataroi.spec import StudySpec
    from dataroi.trial import TrialSnapshot

__all__ = ["StudyContext"]


@dataclass
class StudyContext:
    """A study as its analysis sees it.

    Attributes:
        name: the study's name.
        spec: the study spec (sections ``costs``, ``decision``, ``stress``, ``slices``).
        snapshots: every trial of the current plan recorded so far (read once).
        store: the open ledger (documents, environments, reproductions); the analysis
            closes it. None when there is no ledger.
        ledger_url: where the ledger is (for messages and the report's command).
        workdir: the folder of the caches (``cache/``) and, unless ``artifacts_dir``
            says otherwise, of the artifact store (``artifacts/``), or None.
        context: the ledger's context row of these trials (``context_id``,
            ``context_hash``, ``fingerprint``, ``description`` with ``pool_size`` and
            ``test_size``), or None.
        study_id: the study's id in the ledger, or None.
        n_planned: the number of trials in the current plan.
        prepare: loads and checks the data (only the analyses that need the rows call
            it: slices, stress arms without a recorded pool size, a test set the data
            cache does not hold).
        default_ledger: the ledger is the one the spec implies (the report's command
            then omits ``--ledger``).
        subset_seed: the seed of a repeat's permutation of the pool (slices recompute a
            trial's training rows with it).
        artifacts_dir: the artifact store's folder when it is not ``workdir/artifacts``
            (the spec's ``artifacts:``, ``$DATAROI_ARTIFACTS``).
    """

    name: str
    spec: StudySpec | None
    snapshots: Sequence[TrialSnapshot]
    store: BaseLedger | None
    ledger_url: str
    workdir: Path | None
    context: dict[str, Any] | None = None
    study_id: int | None = None
    n_planned: int = 0
    prepare: Callable[[], PreparedData] | None = None
    default_ledger: bool = True
    subset_seed: Callable[[int], int] | None = None
    artifacts_dir: Path | None = None
    _prepared: Any = field(default=None, repr=False)

    @property
    def artifacts(self) -> Path | None:
        """The artifact store's folder, or None without one."""
        if self.artifacts_dir is not None:
            return Path(self.artifacts_dir)
        return None if self.workdir is None else Path(self.workdir) / "artifacts"

    @property
    def pool_size(self) -> int | None:
        """Labels in the training pool, as recorded with the context."""
        d = (self.context or {}).get("description") or {}
        return int(d["pool_size"]) if d.get("pool_size") is not None else None

    @property
    def fingerprint(self) -> str | None:
        """The data fingerprint recorded with the context."""
        return (self.context or {}).get("fingerprint")

    def prepared(self) -> PreparedData:
        """The prepared data (loaded once, on first use)."""
        if self._prepared is None:
            if self.prepare is None:
                from dataroi.exceptions import UsageError

                raise UsageError("this analysis has no data to load (it was made from a "
                                 "table of trials)")
            self._prepared = self.prepare()
        return self._prepared

    def hashes(self) -> dict[str, str]:
        """The study's input hashes for a recommendation (spec, data, context)."""
        out: dict[str, str] = {}
        if self.spec is not None:
            out["spec"] = self.spec.spec_hash
        if self.context is not None:
            out["data_fingerprint"] = str(self.context.get("fingerprint"))
            out["context"] = str(self.context.get("context_hash"))
        return out

    def kept_test_labels(self) -> Any:
        """The test labels (class codes or values) as this context's run kept them: the
        workers' data copy, else the artifact store; never read from the data source,
        which may hold another version's rows by now. None when neither has them."""
        from dataroi.analysis._predictions import kept_test_labels

        return kept_test_labels(self)

    def close(self) -> None:
        """Close the ledger handle (idempotent)."""
        if self.store is not None:
            self.store.close()
            self.store = None
