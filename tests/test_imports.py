"""dataroi._imports: the code a spec's models name — found beside the spec, hashed by
content without running it (libraries left out), imported afresh when it changes, and a
misspelt path answered with the closest name that exists."""

from __future__ import annotations

import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from dataroi._imports import (
    add_search_path,
    import_object,
    imported_digest,
    locate_module,
    source_digest,
)


def _module(folder: Path, body: str, name: str | None = None) -> str:
    """Write a uniquely named module in ``folder``; return its name."""
    name = name or f"fac_{uuid.uuid4().hex[:10]}"
    (folder / f"{name}.py").write_text(body)
    return name


FACTORY = """\
from sklearn.linear_model import LogisticRegression

def make(C=1.0):
    return LogisticRegression(C=C)
"""


def test_a_module_beside_the_spec_imports_and_is_hashed_by_content(tmp_path):
    name = _module(tmp_path, FACTORY)
    digest = source_digest(f"{name}:make", search_path=tmp_path)
    assert digest is not None and len(digest) == 64
    assert name not in sys.modules  # found and hashed without running it
    assert import_object(f"{name}:make", search_path=tmp_path)(C=0.5).C == 0.5
    assert imported_digest(name) == digest
    # the same content elsewhere (a moved project) has the same digest
    moved = tmp_path / "moved"
    moved.mkdir()
    (moved / f"{name}.py").write_bytes((tmp_path / f"{name}.py").read_bytes())
    assert source_digest(f"{name}:make", search_path=moved) == digest


def test_libraries_and_dataroi_are_not_hashed():
    assert source_digest("sklearn.linear_model.LogisticRegression") is None
    assert source_digest("collections:OrderedDict") is None
    assert locate_module("dataroi.trial") is None
    assert source_digest("no_such_module_anywhere:make") is None
    assert source_digest("not-a-path") is None


def test_a_package_beside_the_spec_is_found_without_running_its_init(tmp_path):
    pkg = f"pkg_{uuid.uuid4().hex[:10]}"
    (tmp_path / pkg).mkdir()
    (tmp_path / pkg / "__init__.py").write_text("raise RuntimeError('never run me')\n")
    (tmp_path / pkg / "models.py").write_text(FACTORY)
    origin = locate_module(f"{pkg}.models", search_path=tmp_path)
    assert origin == str(tmp_path / pkg / "models.py")
    assert pkg not in sys.modules


def test_an_edited_module_is_imported_afresh(tmp_path):
    name = _module(tmp_path, "def f():\n    return 1\n")
    assert import_object(f"{name}:f", search_path=tmp_path)() == 1
    before = imported_digest(name)
    # the same size, within the same second: the cached bytecode must not be used
    (tmp_path / f"{name}.py").write_text("def f():\n    return 2\n")
    assert import_object(f"{name}:f", search_path=tmp_path)() == 2
    assert imported_digest(name) != before


def test_the_search_path_goes_first_once(tmp_path):
    add_search_path(tmp_path)
    add_search_path(str(tmp_path))
    assert sys.path[0] == str(tmp_path) and sys.path.count(str(tmp_path)) == 1


@pytest.mark.parametrize(("path", "message"), [
    ("sklearn.linear_model.LogisticRegresion",
     "module 'sklearn.linear_model' has no attribute 'LogisticRegresion' (did you mean "
     "'sklearn.linear_model.LogisticRegression'?)"),
    ("sklearn.linear_modle.LogisticRegression",
     "no module named 'sklearn.linear_modle' (did you mean "
     "'sklearn.linear_model.LogisticRegression'?)"),
    ("LogisticRegression", "is not an import path"),
])
def test_a_misspelt_path_says_what_exists(path, message):
    with pytest.raises(ImportError) as err:
        import_object(path)
    assert message in str(err.value)
    assert "\n" not in str(err.value)


def test_a_misspelt_module_beside_the_spec_is_matched_among_its_neighbours(tmp_path):
    name = _module(tmp_path, FACTORY, name=f"models_{uuid.uuid4().hex[:6]}")
    wrong = name.replace("models", "modles")
    with pytest.raises(ImportError) as err:
        import_object(f"{wrong}:make", search_path=tmp_path)
    assert f"did you mean '{name}:make'?" in str(err.value)
    assert f"looked in the spec's folder {tmp_path}" in str(err.value)
    with pytest.raises(ImportError, match=rf"module '{name}' has no attribute 'mak' "
                                          rf"\(did you mean '{name}:make'\?\)"):
        import_object(f"{name}:mak", search_path=tmp_path)


def test_errors_inside_the_module_are_not_taken_for_a_misspelling(tmp_path):
    name = _module(tmp_path, "import no_such_dependency_xyz\n")
    with pytest.raises(ImportError, match=r"No module named 'no_such_dependency_xyz' "
                                          r"\(raised while importing it\)"):
        import_object(f"{name}:make", search_path=tmp_path)
    name = _module(tmp_path, "def make(:\n")
    with pytest.raises(ImportError, match=rf"cannot import module '{name}': SyntaxError"):
        import_object(f"{name}:make", search_path=tmp_path)


def test_the_digest_is_the_same_in_another_process(tmp_path):
    name = _module(tmp_path, FACTORY)
    code = ("import sys; from dataroi._imports import source_digest; "
            f"print(source_digest('{name}:make', search_path=sys.argv[1]))")
    other = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True,
                           text=True, check=True).stdout.strip()
    assert other == source_digest(f"{name}:make", search_path=tmp_path)
