"""Fixtures of the share tests: the finished iris study (two models, costs, a
pre-registered rule) exported once, and a CSV study with marker values."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.share_tests._bundles import flowers_study


@pytest.fixture(scope="session")
def study_folder(full_study: tuple[Any, Path]) -> Path:
    """The folder of the finished iris study (``study.yaml`` and ``.dataroi/``)."""
    return full_study[1].parent


@pytest.fixture(scope="session")
def bundle(full_study: tuple[Any, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The iris study exported (no data: its source is built in)."""
    from dataroi.share import export_study

    out = tmp_path_factory.mktemp("bundle") / "iris.zip"
    export_study(full_study[1], out)
    return out


@pytest.fixture(scope="module")
def flowers(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The spec of a finished study on a CSV holding marker values."""
    return flowers_study(tmp_path_factory.mktemp("flowers"))
