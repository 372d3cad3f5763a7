"""Content-addressed artifact store (test-set predictions kept beside the ledger)."""

from dataroi.artifacts._store import ArtifactStore, digest_arrays

__all__ = ["ArtifactStore", "digest_arrays"]
