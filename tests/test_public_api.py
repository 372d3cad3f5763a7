"""Public API discipline: every error a public function raises is a DataroiError (a
ValueError too where the caller passed a bad value), and every exported name resolves."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

import dataroi
from dataroi.exceptions import DataroiError, UnknownNameError, UsageError

ROOT = Path(__file__).resolve().parents[1] / "src" / "dataroi"
BUILTIN = {"ValueError", "TypeError", "KeyError", "RuntimeError", "IndexError",
           "AttributeError", "LookupError", "Exception"}


def test_no_bare_builtin_errors_are_raised():
    bad = []
    for path in ROOT.rglob("*.py"):
        if "migrations" in path.parts or path.name == "_lazy.py":
            continue  # alembic's scripts; a module __getattr__ must raise AttributeError
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call) \
                    and isinstance(node.exc.func, ast.Name) and node.exc.func.id in BUILTIN:
                bad.append(f"{path.relative_to(ROOT)}:{node.lineno}: raise {node.exc.func.id}")
    assert not bad, "raise a DataroiError subclass instead:\n" + "\n".join(bad)


def test_usage_errors_are_value_errors_and_names_key_errors():
    assert issubclass(UsageError, ValueError) and issubclass(UsageError, DataroiError)
    assert issubclass(UnknownNameError, KeyError) and issubclass(UnknownNameError, UsageError)
    from dataroi.metrics import get_metric

    with pytest.raises(KeyError, match="did you mean 'accuracy'"):
        get_metric("acuracy")


@pytest.mark.parametrize("package", sorted(
    p.name for p in ROOT.iterdir() if p.is_dir() and (p / "__init__.py").exists()))
def test_every_exported_name_resolves(package):
    mod = importlib.import_module(f"dataroi.{package}")
    for name in getattr(mod, "__all__", ()):
        assert getattr(mod, name) is not None, f"dataroi.{package}.{name}"


def test_the_top_level_offers_the_analysis_entry():
    for name in dataroi.__all__:
        assert getattr(dataroi, name) is not None
    assert dataroi.analyze is importlib.import_module("dataroi.analysis").analyze
