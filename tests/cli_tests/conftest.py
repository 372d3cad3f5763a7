"""Fixtures of the command-line tests: the finished study the refusal catalogue starts from."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest


@pytest.fixture(scope="session")
def study_folder(full_study: tuple[Any, Path]) -> Path:
    """The folder of the finished iris study (``study.yaml`` and ``.dataroi/``)."""
    return full_study[1].parent
