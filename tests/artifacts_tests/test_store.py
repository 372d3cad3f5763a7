"""The artifact store verifies what it reads: a damaged file never feeds a number."""

from __future__ import annotations

import numpy as np
import pytest

from dataroi.artifacts import ArtifactStore, digest_arrays
from dataroi.exceptions import ArtifactError, DataroiError


@pytest.fixture
def stored(tmp_path):
    store = ArtifactStore(tmp_path)
    arrays = {"pred": np.arange(200) % 3,
              "proba": np.random.default_rng(0).random((200, 3)).astype(np.float32)}
    return store, store.put(arrays), arrays


def test_an_intact_artifact_reads_back_exactly(stored):
    store, digest, arrays = stored
    back = store.get(digest)
    assert digest_arrays(back) == digest and store.intact(digest)
    assert back["proba"].dtype == np.float32
    np.testing.assert_array_equal(back["proba"], arrays["proba"])


@pytest.mark.parametrize("damage", ["truncated", "garbage", "empty"])
def test_a_damaged_file_is_an_artifact_error(stored, damage):
    store, digest, _ = stored
    path = store.path(digest)
    data = path.read_bytes()
    path.write_bytes({"truncated": data[: len(data) // 2],
                      "garbage": np.random.default_rng(1).bytes(len(data)),
                      "empty": b""}[damage])
    with pytest.raises(ArtifactError, match="cannot be read: damaged or truncated"):
        store.get(digest)
    assert issubclass(ArtifactError, DataroiError) and not store.intact(digest)


def test_other_valid_content_under_a_digest_is_refused(stored, tmp_path):
    store, digest, arrays = stored
    other = ArtifactStore(tmp_path / "other")
    swapped = other.put({"pred": arrays["pred"][::-1], "proba": arrays["proba"]})
    store.path(digest).write_bytes(other.path(swapped).read_bytes())
    with pytest.raises(ArtifactError, match="do not hash to their digest"):
        store.get(digest)


def test_storing_the_same_predictions_again_replaces_a_damaged_file(stored):
    store, digest, arrays = stored
    store.path(digest).write_bytes(b"not an npz")
    assert store.put(arrays) == digest
    assert store.intact(digest)
    assert not list(store.path(digest).parent.glob(".tmp-*"))
