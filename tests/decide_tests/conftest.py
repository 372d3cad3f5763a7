from __future__ import annotations

import pytest

from tests.value_tests.helpers import iris_two_models, run_study


@pytest.fixture(scope="module")
def iris_study(tmp_path_factory):
    return run_study(tmp_path_factory.mktemp("iris"), iris_two_models())
