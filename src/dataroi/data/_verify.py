"""Checksums of a data copy (the workers' ``.dataroi/cache/<name>`` folder), so that a
copy is never trusted by its name alone.

A copy's folder name holds its data's fingerprint; its files can still change afterwards
(an edited ``y.npy``, a truncated column, a half-synced shared file system), and trials
run on them would be recorded under a fingerprint the data no longer has. So
:func:`file_manifest` records, when the copy is written, each file's size, modification
time, full SHA-256 and the SHA-256 of a few sampled blocks (and a hash of ``meta.json``),
and :func:`verify_cache` checks a copy before it is used:

* quick (every use, a few milliseconds on 50,000 rows): the labels and the split
  (``y.npy``, ``pool_idx.npy``, ``test_idx.npy``: 8 bytes a row) are hashed in full; a
  feature column whose size or modification time changed is hashed in full; the others
  have their sampled blocks hashed. An edit that keeps a column's size and modification
  time and misses the sampled blocks is left to the full check.
* full (``dataroi run --check-data``, ``dataroi reproduce``): every file hashed in full.

Example:
    >>> import tempfile
    >>> import numpy as np
    >>> folder = Path(tempfile.mkdtemp())
    >>> for name in LABEL_FILES:
    ...     np.save(folder / name, np.arange(5))
    >>> meta = {"columns": [], "files": file_manifest(folder, LABEL_FILES, {"columns": []})}
    >>> _ = (folder / "meta.json").write_text(json.dumps(meta))
    >>> verify_cache(folder)
    []
    >>> np.save(folder / "y.npy", np.arange(5)[::-1])
    >>> verify_cache(folder)
    ['y.npy changed (its content hash differs)']
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

__all__ = ["LABEL_FILES", "file_manifest", "meta_digest", "verify_cache"]

#: hashed in full on every use: the labels and the split decide every score, and they
#: are small (8 bytes a row)
LABEL_FILES = ("y.npy", "pool_idx.npy", "test_idx.npy")
_SAMPLES = 8
_SAMPLE_BYTES = 4096
_CHUNK = 1 << 20


def _full_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(_CHUNK):
            h.update(block)
    return h.hexdigest()


def _sample_sha256(path: Path, size: int) -> str:
    """SHA-256 of ``_SAMPLES`` blocks spread evenly over the file (its header and its
    end included); the whole file when it is smaller than the samples."""
    h = hashlib.sha256()
    last = max(size - _SAMPLE_BYTES, 0)
    offsets = sorted({last * i // (_SAMPLES - 1) for i in range(_SAMPLES)})
    with open(path, "rb") as fh:
        for offset in offsets:
            fh.seek(offset)
            h.update(fh.read(_SAMPLE_BYTES))
    return h.hexdigest()


def meta_digest(meta: Mapping[str, Any]) -> str:
    """SHA-256 of ``meta.json``'s content other than its file manifest (canonical JSON).

    Example:
        >>> meta_digest({"a": 1, "files": {}}) == meta_digest({"a": 1})
        True
    """
    rest = {k: v for k, v in meta.items() if k != "files"}
    return hashlib.sha256(json.dumps(rest, sort_keys=True).encode()).hexdigest()


def file_manifest(folder: str | os.PathLike[str], names: Iterable[str],
                  meta: Mapping[str, Any]) -> dict[str, Any]:
    """The checksums of the files ``names`` in ``folder`` and of ``meta``, to store in
    ``meta.json`` under ``files`` when a copy is written."""
    folder = Path(folder)
    out: dict[str, Any] = {"meta.json": {"sha256": meta_digest(meta)}}
    for name in names:
        st = os.stat(folder / name)
        out[name] = {"bytes": st.st_size, "mtime_ns": st.st_mtime_ns,
                     "sha256": _full_sha256(folder / name),
                     "sample_sha256": _sample_sha256(folder / name, st.st_size)}
    return out


def verify_cache(folder: str | os.PathLike[str], *, full: bool = False) -> list[str]:
    """What is wrong with the data copy in ``folder`` (empty: it is as it was written).

    Args:
        folder: a folder written by :func:`dataroi.data.materialize`.
        full: hash every file in full (else the quick check of the module's docstring).

    Returns:
        one short line per problem; a copy without checksums (written by an older
        dataroi) is one problem too: it cannot be verified.
    """
    folder = Path(folder)
    try:
        meta = json.loads((folder / "meta.json").read_text())
        manifest = meta["files"]
    except FileNotFoundError:
        return ["meta.json is missing"]
    except (OSError, ValueError, TypeError):
        return ["meta.json cannot be read"]
    except KeyError:
        return ["it has no checksums (written by an older dataroi)"]
    problems = []
    if manifest.get("meta.json", {}).get("sha256") != meta_digest(meta):
        problems.append("meta.json changed since it was written")
    wanted = {c.get("file") for c in meta.get("columns", [])} | set(LABEL_FILES)
    for name in sorted(wanted - set(manifest)):
        problems.append(f"{name} has no checksum")
    for name, want in sorted(manifest.items()):
        if name == "meta.json":
            continue
        try:
            st = os.stat(folder / name)
            if st.st_size != want["bytes"]:
                problems.append(f"{name} changed (its size differs)")
                continue
            if full or name in LABEL_FILES or st.st_mtime_ns != want["mtime_ns"]:
                same = _full_sha256(folder / name) == want["sha256"]
            else:
                same = _sample_sha256(folder / name, st.st_size) == want["sample_sha256"]
        except FileNotFoundError:
            problems.append(f"{name} is missing")
            continue
        except (OSError, KeyError, TypeError):
            problems.append(f"{name} cannot be read")
            continue
        if not same:
            problems.append(f"{name} changed (its content hash differs)")
    return problems
