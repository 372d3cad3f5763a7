"""The code a spec's models name: find it, fingerprint it, import it — the one place.

A model names its code by an import path: ``package.module.Name`` (``estimator:``) or
``package.module:function`` (``factory:``). The modules next to the spec (its folder) are
importable: :func:`import_object` puts the folder first on ``sys.path`` — in the
coordinator and in every worker, which get the folder with the model. A module of the
user's project (anything outside the standard library and site-packages, and outside
dataroi itself) is part of the model's identity: :func:`source_digest` hashes its file's
bytes, found without running any of it, so editing a factory re-runs that model's trials
while a library class (whose version the environment records) keeps its hash.

Example:
    >>> split_import_path("sklearn.svm.SVC"), split_import_path("my_models:make")
    (('sklearn.svm', 'SVC'), ('my_models', 'make'))
    >>> source_digest("sklearn.svm.SVC") is None  # a library's code is not hashed
    True
    >>> import_object("sklearn.linear_model.LogisticRegression").__name__
    'LogisticRegression'
    >>> try:
    ...     import_object("sklearn.linear_model.LogisticRegresion")
    ... except ImportError as exc:
    ...     print(str(exc).rsplit(" (", 1)[1])
    did you mean 'sklearn.linear_model.LogisticRegression'?)
"""

from __future__ import annotations

import difflib
import hashlib
import importlib
import importlib.util
import os
import sys
from functools import lru_cache
from pathlib import Path
from typing import Any

__all__ = ["add_search_path", "import_object", "imported_digest", "locate_module",
           "source_digest", "split_import_path"]

#: Project modules this process imported through :func:`import_object`: name → (file,
#: SHA-256 of its bytes when imported). A module whose file changed is imported afresh.
_IMPORTED: dict[str, tuple[str, str]] = {}

#: Top-level packages whose code is never hashed, wherever they are installed: dataroi's
#: own version is recorded with every trial's environment.
_NEVER_HASHED = frozenset({"dataroi"})


def split_import_path(path: str) -> tuple[str, str]:
    """``(module, attribute)`` of ``package.module.Name`` or ``package.module:function``.

    Raises:
        ImportError: ``path`` is not an import path.

    Example:
        >>> split_import_path("pkg.models:Factory.make")
        ('pkg.models', 'Factory.make')
    """
    if ":" in path:
        module_name, _, attr = path.partition(":")
    else:
        module_name, _, attr = path.rpartition(".")
    if not module_name or not attr:
        raise ImportError(f"'{path}' is not an import path like 'package.module.Name' or "
                          "'package.module:function'")
    return module_name, attr


def add_search_path(folder: str | os.PathLike[str] | None) -> str | None:
    """Put ``folder`` (absolute) first on ``sys.path``; a no-op when it is first already.

    Returns:
        The absolute folder, or None when ``folder`` is None or empty.
    """
    if not folder:
        return None
    path = os.path.abspath(folder)
    if sys.path and sys.path[0] == path:
        return path
    while path in sys.path:
        sys.path.remove(path)
    sys.path.insert(0, path)
    importlib.invalidate_caches()
    return path


@lru_cache(maxsize=1)
def _library_roots() -> tuple[str, ...]:
    import site
    import sysconfig

    paths = sysconfig.get_paths()
    roots = {paths.get(k) for k in ("stdlib", "platstdlib", "purelib", "platlib")}
    roots.update(getattr(site, "getsitepackages", list)())
    roots.add(site.getusersitepackages())
    return tuple(os.path.realpath(r) + os.sep for r in roots if r)


def _is_library(origin: str | None) -> bool:
    """Whether a module file belongs to the standard library or an installed package."""
    if origin is None or origin in ("built-in", "frozen"):
        return True
    real = os.path.realpath(origin)
    parts = Path(real).parts
    return (real.startswith(_library_roots()) or "site-packages" in parts
            or "dist-packages" in parts)


def locate_module(module_name: str, *, search_path: str | os.PathLike[str] | None = None
                  ) -> str | None:
    """The file of a module of the user's project, found without importing anything.

    The spec's folder (``search_path``) is searched first, as :func:`import_object`
    imports. A package's own ``__init__`` is not run to find its submodules.

    Returns:
        The module's file, or None for a module of the standard library, of an installed
        package or of dataroi, and for one that cannot be found.

    Example:
        >>> locate_module("sklearn.linear_model") is None
        True
    """
    from importlib.machinery import PathFinder

    top, *rest = module_name.split(".")
    if top in _NEVER_HASHED:
        return None
    spec = None
    if search_path:
        spec = PathFinder.find_spec(top, [os.path.abspath(search_path)])
    if spec is None:
        try:
            spec = importlib.util.find_spec(top)  # a top-level name: imports nothing
        except (ImportError, ValueError):
            return None
    if spec is None or (spec.origin is not None and _is_library(spec.origin)):
        return None
    for part in rest:
        locations = spec.submodule_search_locations
        if not locations:
            return None
        spec = PathFinder.find_spec(part, list(locations))
        if spec is None:
            return None
    origin = spec.origin
    if origin is None or not os.path.isfile(origin) or _is_library(origin):
        return None
    return origin


def _file_digest(origin: str) -> str:
    return hashlib.sha256(Path(origin).read_bytes()).hexdigest()


def source_digest(path: str, *, search_path: str | os.PathLike[str] | None = None
                  ) -> str | None:
    """SHA-256 of the file of the module an import path names, when that module is part
    of the user's project (None for libraries, and for paths that do not resolve).

    The digest is of the file's content, so moving the project folder keeps it. Only the
    module the path names is hashed, not the modules it imports.
    """
    try:
        module_name, _ = split_import_path(path)
    except ImportError:
        return None
    origin = locate_module(module_name, search_path=search_path)
    return None if origin is None else _file_digest(origin)


def imported_digest(module_name: str) -> str | None:
    """SHA-256 of the project module's file as this process imported it (None when
    :func:`import_object` did not import it, or it is a library)."""
    record = _IMPORTED.get(module_name)
    return None if record is None else record[1]


def _drop_ambiguous_bytecode(origin: str) -> None:
    """Remove a module's cached bytecode when it was written in the same second as the
    source it claims to match: Python checks a ``.pyc`` by the source's size and
    whole-second time, so a source saved again within that second (with the same size)
    would run the old code under the new digest."""
    try:
        cache = importlib.util.cache_from_source(origin)
        with open(cache, "rb") as fh:
            header = fh.read(16)
        if len(header) < 16 or int.from_bytes(header[4:8], "little") != 0:
            return  # a hash-based .pyc is checked against the source's content
        if int(os.stat(cache).st_mtime) == int.from_bytes(header[8:12], "little"):
            os.remove(cache)
    except (OSError, ValueError, NotImplementedError):
        return


def _refresh(module_name: str, search_path: str | None) -> None:
    """Import afresh a project module already imported whose file changed (or that comes
    from another folder than the one the path now resolves to), parents first."""
    parts = module_name.split(".")
    for i in range(1, len(parts) + 1):
        name = ".".join(parts[:i])
        module = sys.modules.get(name)
        if module is None:
            return
        origin = locate_module(name, search_path=search_path)
        if origin is None:
            continue
        loaded = getattr(module, "__file__", None)
        moved = loaded is None or os.path.realpath(loaded) != os.path.realpath(origin)
        leaf = i == len(parts)
        record = _IMPORTED.get(name)
        stale = leaf and (record is None or record != (origin, _file_digest(origin)))
        if moved or stale:
            _drop_ambiguous_bytecode(origin)
            importlib.reload(module)


def _remember(module_name: str, search_path: str | None) -> None:
    origin = locate_module(module_name, search_path=search_path)
    if origin is not None:
        _IMPORTED[module_name] = (origin, _file_digest(origin))


def _close(name: str, candidates: list[str]) -> str | None:
    close = difflib.get_close_matches(name, sorted(set(candidates)), n=1)
    return close[0] if close else None


def _missing_module(path: str, module_name: str, missing: str, folder: str | None) -> str:
    """The one-line message for a path naming a module that does not exist."""
    import pkgutil

    parent, _, leaf = missing.rpartition(".")
    if parent:
        where = getattr(sys.modules.get(parent), "__path__", None) or []
        candidates = [m.name for m in pkgutil.iter_modules(list(where))]
    else:
        candidates = [m.name for m in pkgutil.iter_modules(
            [*([folder] if folder else []), *sys.path])]
        candidates += list(sys.builtin_module_names)
    close = _close(leaf, candidates)
    hint = ""
    if close:
        fixed = (f"{parent}." if parent else "") + close + module_name[len(missing):]
        sep = ":" if ":" in path else "."
        hint = f" (did you mean '{fixed}{sep}{split_import_path(path)[1]}'?)"
    looked = (f"; looked in the spec's folder {folder} and the installed packages"
              if folder and not parent else "")
    return f"cannot import module '{module_name}': no module named '{missing}'{hint}{looked}"


def import_object(path: str, *, search_path: str | os.PathLike[str] | None = None) -> Any:
    """Import what ``package.module.Name`` or ``package.module:function`` names.

    ``search_path`` (the spec's folder) goes first on ``sys.path``, so modules next to
    the spec import without ``PYTHONPATH``. A project module this process imported
    before is imported afresh when its file changed since.

    Raises:
        ImportError: one line naming what could not be found, with the closest existing
            name (``did you mean ...?``) when there is one; or the error the module
            raised while it was imported.
    """
    module_name, attr = split_import_path(path)
    folder = add_search_path(search_path)
    try:
        if module_name not in sys.modules:
            origin = locate_module(module_name, search_path=folder)
            if origin is not None:
                _drop_ambiguous_bytecode(origin)
        _refresh(module_name, folder)
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        missing = exc.name or ""
        if missing and (module_name == missing or module_name.startswith(missing + ".")):
            raise ImportError(_missing_module(path, module_name, missing, folder)) from None
        raise ImportError(f"cannot import module '{module_name}': {exc} (raised while "
                          f"importing it)") from None
    except ImportError as exc:
        raise ImportError(f"cannot import module '{module_name}': {exc}") from None
    except Exception as exc:  # the module's own code failed: SyntaxError, NameError...
        first = (str(exc).strip().splitlines() or [""])[0]
        raise ImportError(f"cannot import module '{module_name}': "
                          f"{type(exc).__name__}: {first}") from None
    _remember(module_name, folder)
    obj: Any = module
    prefix = module_name + (":" if ":" in path else ".")
    for part in attr.split("."):
        if not hasattr(obj, part):
            close = _close(part, [n for n in dir(obj) if not n.startswith("_")])
            hint = f" (did you mean '{prefix}{close}'?)" if close else ""
            what = "module" if obj is module else "object"
            raise ImportError(f"{what} '{prefix[:-1]}' has no attribute '{part}'{hint}")
        obj = getattr(obj, part)
        prefix += f"{part}."
    return obj
