"""The bundle file: its layout, its manifest, an atomic writer and a careful reader.

A bundle is a zip file. ``manifest.json`` lists every other member with its SHA-256 and
size; the other members are (see ``docs/sharing.md``)::

    spec/<spec file>                 the spec as written
    ledger/<table>.parquet           the study's ledger rows, one file per ledger table
    artifacts/<xx>/<digest>.npz      the trials' stored test-set predictions
    report/report.html, .json        the report, as ``dataroi report`` writes it
    environment/lock.json            Python, platform, every installed package's version
    environment/requirements.txt     the same packages as ``pip install -r`` lines
    data/fingerprint.json            the data's fingerprint, source, rows and columns
    data/files/<field>/<name>        with ``--with-data``: the data file(s)
    data/README.txt                  with ``--with-data`` and a built-in source: a note
    code/<path>                      the project modules the models name

Example:
    >>> import tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "b.zip")
    >>> write_bundle(path, {"spec/s.yaml": b"name: s"}, {"study": "s"})
    >>> bundle = BundleReader.open(path)
    >>> bundle.read("spec/s.yaml"), bundle.manifest["study"]
    (b'name: s', 's')
    >>> bundle.problems()
    []
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dataroi.exceptions import BundleError

__all__ = ["BUNDLE_FORMAT", "BUNDLE_KIND", "MANIFEST", "BundleReader", "member_problem",
           "sha256_hex", "write_bundle"]

#: What ``manifest.json``'s ``kind`` says, and the layout's version this dataroi writes.
BUNDLE_KIND = "dataroi.study-bundle"
BUNDLE_FORMAT = 1
MANIFEST = "manifest.json"

SPEC_DIR = "spec/"
LEDGER_DIR = "ledger/"
ARTIFACTS_DIR = "artifacts/"
REPORT_HTML = "report/report.html"
REPORT_JSON = "report/report.json"
LOCK = "environment/lock.json"
REQUIREMENTS = "environment/requirements.txt"
FINGERPRINT = "data/fingerprint.json"
DATA_FILES = "data/files/"
DATA_NOTE = "data/README.txt"
CODE_DIR = "code/"


def sha256_hex(data: bytes) -> str:
    """SHA-256 of ``data`` as hex.

    Example:
        >>> sha256_hex(b"")[:12]
        'e3b0c44298fc'
    """
    return hashlib.sha256(data).hexdigest()


def member_problem(name: str) -> str | None:
    """Why a member name cannot be unpacked safely (None when it can): it must be a
    relative POSIX path without ``..``, backslashes or a drive.

    Example:
        >>> member_problem("spec/study.yaml") is None, member_problem("../x")
        (True, 'its path leaves the bundle')
    """
    if not name or name.startswith("/") or "\\" in name or ":" in name.split("/")[0]:
        return "its path is absolute or not a plain relative path"
    parts = name.split("/")
    if ".." in parts:
        return "its path leaves the bundle"
    if any(part in ("", ".") for part in parts[:-1]) or parts[-1] in (".", ".."):
        return "its path is not a plain relative path"
    return None


def write_bundle(path: str | os.PathLike[str], members: Mapping[str, bytes],
                 manifest: Mapping[str, Any]) -> None:
    """Write the zip atomically: a temporary file in the same folder, then a rename.

    ``manifest`` is completed with the bundle's ``kind`` and ``format`` and with
    ``members`` (name → SHA-256 and size), and written first as ``manifest.json``.
    """
    target = Path(path)
    listed = {name: {"sha256": sha256_hex(data), "bytes": len(data)}
              for name, data in sorted(members.items())}
    full = {**manifest, "kind": BUNDLE_KIND, "format": BUNDLE_FORMAT, "members": listed}
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as fh, zipfile.ZipFile(fh, "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr(MANIFEST, json.dumps(full, indent=1, sort_keys=True))
            for name, data in sorted(members.items()):
                # stored, not deflated, where the content is compressed already
                kind = zipfile.ZIP_STORED if name.endswith((".npz", ".parquet")) \
                    else zipfile.ZIP_DEFLATED
                z.writestr(name, data, compress_type=kind)
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(tmp, 0o666 & ~mask)  # mkstemp makes 0600; a bundle is for sharing
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


#: What a bundle may unpack to: its members' declared sizes in all (a study's predictions
#: and rows are megabytes; a zip bomb declares terabytes), and the largest ratio of a
#: member's size to its compressed size (Parquet and NPZ are compressed already; JSON and
#: HTML compress about 10:1). Python's zipfile never reads past a declared size.
MAX_UNPACKED = 16 * 1024 ** 3
MAX_RATIO = 200


def _too_big(z: zipfile.ZipFile) -> str | None:
    """Why the zip would unpack to too much (a zip bomb), or None.

    Example:
        >>> import io
        >>> buf = io.BytesIO()
        >>> with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as w:
        ...     w.writestr("big.json", b"0" * 10_000_000)
        >>> _too_big(zipfile.ZipFile(buf))  # doctest: +ELLIPSIS
        'member big.json would unpack to 10,000,000 bytes from ... (more than 200 times)'
    """
    total = 0
    for info in z.infolist():
        total += info.file_size
        if info.file_size > 1024 ** 2 and info.file_size > MAX_RATIO * max(
                info.compress_size, 1):
            return (f"member {info.filename} would unpack to {info.file_size:,} bytes from "
                    f"{info.compress_size:,} (more than {MAX_RATIO} times)")
    if total > MAX_UNPACKED:
        return f"its members would unpack to {total:,} bytes (more than {MAX_UNPACKED:,})"
    return None


@dataclass
class BundleReader:
    """An open bundle: its manifest and its members' bytes (read on demand).

    Attributes:
        path: the zip file.
        manifest: ``manifest.json`` as plain data.
    """

    path: Path
    manifest: dict[str, Any]
    _zip: zipfile.ZipFile

    @classmethod
    def open(cls, path: str | os.PathLike[str]) -> BundleReader:
        """Open a bundle and read its manifest.

        Raises:
            BundleError: no such file, not a zip file, no readable manifest, or one of
                another kind or a newer format.
        """
        p = Path(path)
        if not p.is_file():
            raise BundleError(f"{p}: no such file" if not p.exists()
                              else f"{p} is not a file")
        try:
            z = zipfile.ZipFile(p)
        except (zipfile.BadZipFile, OSError) as exc:
            raise BundleError(f"{p} is not a study bundle (not a zip file: "
                              f"{exc}); make one with `dataroi export SPEC -o FILE.zip`"
                              ) from None
        too_big = _too_big(z)
        if too_big:
            z.close()
            raise BundleError(f"{p} is not read: {too_big}")
        try:
            raw = z.read(MANIFEST)
        except KeyError:
            z.close()
            raise BundleError(f"{p} is not a study bundle: it has no {MANIFEST} (make one "
                              "with `dataroi export SPEC -o FILE.zip`)") from None
        except (zipfile.BadZipFile, OSError, ValueError) as exc:
            z.close()
            raise BundleError(f"{p}: its {MANIFEST} cannot be read ({exc})") from None
        try:
            manifest = json.loads(raw)
        except ValueError as exc:
            z.close()
            raise BundleError(f"{p}: its {MANIFEST} is not JSON ({exc})") from None
        if not isinstance(manifest, dict) or manifest.get("kind") != BUNDLE_KIND \
                or not isinstance(manifest.get("members"), dict):
            z.close()
            raise BundleError(f"{p}: its {MANIFEST} is not a dataroi study bundle's "
                              f"(kind {BUNDLE_KIND!r} with a members list)")
        fmt = manifest.get("format")
        if not isinstance(fmt, int) or fmt > BUNDLE_FORMAT:
            z.close()
            raise BundleError(f"{p} is a bundle of format {fmt!r}, newer than this "
                              f"dataroi's {BUNDLE_FORMAT}: upgrade dataroi to verify it")
        return cls(p, manifest, z)

    def close(self) -> None:
        """Close the zip file."""
        self._zip.close()

    def __enter__(self) -> BundleReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def names(self) -> list[str]:
        """The members the manifest lists, sorted."""
        return sorted(self.manifest["members"])

    def read(self, name: str) -> bytes:
        """A member's bytes (the manifest's hash is checked by :meth:`problems`).

        Raises:
            BundleError: no such member, or it cannot be read.
        """
        try:
            return self._zip.read(name)
        except KeyError:
            raise BundleError(f"{self.path}: no member {name}") from None
        except (zipfile.BadZipFile, OSError, ValueError) as exc:
            raise BundleError(f"{self.path}: member {name} cannot be read ({exc})") from None

    def json(self, name: str) -> Any:
        """A JSON member, parsed."""
        try:
            return json.loads(self.read(name))
        except ValueError as exc:
            raise BundleError(f"{self.path}: member {name} is not JSON ({exc})") from None

    def problems(self) -> list[tuple[str, str]]:
        """(member, what is wrong) for every member that does not match the manifest:
        missing, a different SHA-256, an unsafe name, or in the zip but not listed."""
        listed: Mapping[str, Any] = self.manifest["members"]
        out: list[tuple[str, str]] = []
        present = [i.filename for i in self._zip.infolist() if not i.is_dir()]
        for name in present:
            why = member_problem(name)
            if why is not None:
                out.append((name, why))
            elif name != MANIFEST and name not in listed:
                out.append((name, "it is in the zip but not in the manifest"))
        for name in sorted(listed):
            entry = listed[name]
            why = member_problem(name)
            if why is not None:
                out.append((name, why))
                continue
            if name not in present:
                out.append((name, "it is listed in the manifest but missing from the zip"))
                continue
            try:
                data = self._zip.read(name)
            except (zipfile.BadZipFile, OSError, ValueError) as exc:
                out.append((name, f"it cannot be read ({exc})"))
                continue
            want = entry.get("sha256") if isinstance(entry, dict) else None
            got = sha256_hex(data)
            if got != want:
                out.append((name, f"its SHA-256 is {got[:16]}…, the manifest says "
                                  f"{str(want)[:16]}…"))
        return out
