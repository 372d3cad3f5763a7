from __future__ import annotations

import pytest

from dataroi.value import fit_study_curves
from tests.decide_tests.helpers import rising
from tests.value_tests.helpers import iris_two_models, run_study


@pytest.fixture(scope="module")
def iris_study(tmp_path_factory):
    return run_study(tmp_path_factory.mktemp("iris"), iris_two_models())


@pytest.fixture(scope="module")
def curves():
    """Fitted curves of :func:`~tests.decide_tests.helpers.rising` (learned forecast)."""
    return fit_study_curves(rising(), metric="accuracy", random_state=0)
