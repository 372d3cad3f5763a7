"""Read YAML inputs (study specs, costs files, value models, gates): plain data only.

One reader for every YAML file dataroi takes: the safe loader (no tags, no code), a
mapping that names a key twice is refused (YAML would keep the last silently), and every
error is one line with the file, line and column.

Example:
    >>> parse_yaml("a: 1\\nb: [2, 3]\\n", source="<text>")
    {'a': 1, 'b': [2, 3]}
    >>> try:
    ...     parse_yaml("a: 1\\na: 2\\n", source="s.yaml")
    ... except Exception as exc:
    ...     print(exc)
    invalid study spec (s.yaml): line 2, column 1: the key 'a' is given twice
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from dataroi.exceptions import SpecError, UsageError

__all__ = ["parse_yaml", "read_text", "read_yaml"]


def _loader() -> Any:
    import yaml

    class UniqueKeyLoader(yaml.SafeLoader):
        """The safe loader, refusing a key given twice in one mapping."""

        def construct_mapping(self, node: Any, deep: bool = False) -> Any:
            seen: set[Any] = set()
            for key_node, _ in node.value:
                key = self.construct_object(key_node, deep=deep)
                try:
                    twice = key in seen
                except TypeError:  # an unhashable key: let the base class refuse it
                    twice = False
                if twice:
                    raise yaml.constructor.ConstructorError(
                        None, None, f"the key {key!r} is given twice", key_node.start_mark)
                seen.add(key)
            return super().construct_mapping(node, deep=deep)

    return UniqueKeyLoader


def read_text(path: str | os.PathLike[str], *, what: str = "spec") -> str:
    """The text of ``path``.

    Raises:
        UsageError: the file is missing, a folder, or unreadable.
    """
    p = Path(path)
    what = what.removesuffix(" file")  # "costs file" reads "costs file not found"
    try:
        return p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UsageError(f"{what} file not found: {p}") from None
    except IsADirectoryError:
        raise UsageError(f"{what} path is a directory, not a file: {p}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read {what} file {p}: {exc}") from None


def parse_yaml(text: str, *, source: str, what: str = "study spec") -> Any:
    """Parse YAML ``text`` as plain data.

    Raises:
        SpecError: a syntax error, a tag (``!!python/...``) or a key given twice, with
            the line and column.
    """
    import yaml

    try:
        return yaml.load(text, Loader=_loader())
    except yaml.constructor.ConstructorError as exc:
        mark = exc.problem_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = str(exc.problem)
        if "given twice" not in problem:
            problem = (f"YAML tag refused ({problem}); {what}s are plain data — remove the "
                       "'!!' tag")
        raise SpecError(f"{where}{problem}", source=source, what=what) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise SpecError(f"YAML syntax error at {where}{problem}", source=source,
                        what=what) from None
    except RecursionError:
        raise SpecError("the YAML nests too deeply", source=source, what=what) from None


def read_yaml(path: str | os.PathLike[str], *, what: str = "study spec") -> tuple[Any, str]:
    """Read and parse a YAML file: ``(data, text)``.

    Raises:
        UsageError: the file cannot be read.
        SpecError: it is not plain YAML (see :func:`parse_yaml`).
    """
    text = read_text(path, what=what.split()[-1] if what.endswith("spec") else what)
    return parse_yaml(text, source=str(path), what=what), text
