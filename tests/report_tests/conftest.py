"""Session-scoped real studies (run once, shared with the other of plotting/report)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.report_tests import _studies


@pytest.fixture(scope="session")
def studies_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _studies.shared_dir(tmp_path_factory)


@pytest.fixture(scope="session")
def full_study(studies_dir: Path) -> tuple[Any, Path]:
    """(study, spec path): iris, two models, costs, a pre-registered rule."""
    return _studies.full_study(studies_dir)


@pytest.fixture(scope="session")
def hostile_study(studies_dir: Path) -> Any:
    """Markup and quotes in a model name and in the target column; a failing model."""
    return _studies.hostile_study(studies_dir)


@pytest.fixture(scope="session")
def bare_study(studies_dir: Path) -> tuple[Any, Path]:
    """(study, spec path): one model, no costs, no decision."""
    return _studies.bare_study(studies_dir)
