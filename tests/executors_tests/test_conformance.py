"""Every built-in executor passes the executor conformance suite (dataroi.testing)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from dataroi.executors import make_executor
from dataroi.testing.executors import *  # noqa: F403


@pytest.fixture(params=["serial", "process", "dask-local:1"], scope="module")
def executor(request: pytest.FixtureRequest) -> Iterator[Any]:
    if request.param.startswith("dask"):
        pytest.importorskip("distributed")
    ex = make_executor(request.param, data_path=None, jobs=2)
    try:
        yield ex
    finally:
        ex.shutdown(wait=True)
