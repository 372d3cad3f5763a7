"""Shared fixtures: small real specs, spec files, and the real PostgreSQL server."""

from __future__ import annotations

import os
import shutil
import signal
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests._specs import IRIS_DATA, logreg_and_tree
from tests.report_tests import _studies as _report_studies

POSTGRES_URL = os.environ.get("DATAROI_TEST_POSTGRES_URL",
                              "postgresql://postgres@127.0.0.1:5432/test")


def pytest_configure(config: pytest.Config) -> None:
    """Python's own Ctrl-C handler, even when the tests were started with SIGINT ignored
    (a background job of a non-interactive shell, ``nohup``): the tests of deferred
    interrupts send themselves SIGINT and expect the handler Python installs."""
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


def iris_spec(**overrides: Any) -> dict[str, Any]:
    """A small, fast, real study: iris, logistic regression, 3 sizes × 2 repeats."""
    spec: dict[str, Any] = {
        "name": "iris",
        "data": dict(IRIS_DATA),
        "models": {"logreg": logreg_and_tree()["logreg"]},
        "metrics": ["accuracy", "log_loss"],
        "schedule": {"sizes": [15, 40, 90], "repeats": 2, "seed": 0},
    }
    for key, value in overrides.items():
        spec[key] = value
    return spec


@pytest.fixture
def write_spec(tmp_path: Path):
    """Write a spec dictionary (or raw text) as YAML in tmp_path and return its path."""

    def write(spec: dict[str, Any] | str, name: str = "study.yaml") -> Path:
        path = tmp_path / name
        text = spec if isinstance(spec, str) else yaml.safe_dump(spec, sort_keys=False)
        path.write_text(text)
        return path

    return write


def _postgres_or_skip() -> None:
    import sqlalchemy as sa

    try:
        url = POSTGRES_URL.replace("postgresql://", "postgresql+psycopg://", 1)
        engine = sa.create_engine(url)
        with engine.connect():
            pass
        engine.dispose()
    except Exception as exc:
        if os.environ.get("DATAROI_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"PostgreSQL required (DATAROI_REQUIRE_POSTGRES=1) but unreachable at "
                        f"{POSTGRES_URL}: {exc}")
        pytest.skip(f"no PostgreSQL server at {POSTGRES_URL} ({type(exc).__name__}); set "
                    "DATAROI_TEST_POSTGRES_URL to run these tests")


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """URL of a fresh, empty PostgreSQL database, dropped after the test."""
    import sqlalchemy as sa

    _postgres_or_skip()
    name = f"dataroi_t_{uuid.uuid4().hex[:12]}"
    admin_url = POSTGRES_URL.replace("postgresql://", "postgresql+psycopg://", 1)
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    base = POSTGRES_URL.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


# -- real studies shared by the plotting and report tests (run once per session) ---------
@pytest.fixture(scope="session")
def studies_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _report_studies.shared_dir(tmp_path_factory)


@pytest.fixture(scope="session")
def full_study(studies_dir: Path) -> tuple[Any, Path]:
    """(study, spec path): iris, two models, costs, a pre-registered rule."""
    return _report_studies.full_study(studies_dir)


@pytest.fixture(scope="session")
def hostile_study(studies_dir: Path) -> Any:
    """Markup and quotes in a model name and in the target column; a failing model."""
    return _report_studies.hostile_study(studies_dir)


@pytest.fixture(scope="session")
def bare_study(studies_dir: Path) -> tuple[Any, Path]:
    """(study, spec path): one model, no costs, no decision."""
    return _report_studies.bare_study(studies_dir)


# -- a real headless Chromium (the report's and the portfolio's browser tests) ----------
CHROMIUM = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")
DRIVER = ("/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver")


def _find(paths: tuple[str, ...], name: str) -> str | None:
    return next((p for p in paths if os.access(p, os.X_OK)), None) or shutil.which(name)


@pytest.fixture(scope="module")
def browser() -> Any:
    chromium, driver = _find(CHROMIUM, "chromium"), _find(DRIVER, "chromedriver")
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        selenium_ok = False
    else:
        selenium_ok = True
    if not (chromium and driver and selenium_ok):
        reason = ("headless browser test needs Chromium, chromedriver and selenium "
                  f"(found chromium={chromium}, chromedriver={driver}, selenium="
                  f"{selenium_ok}); install: apt-get install chromium chromium-driver; "
                  "pip install selenium")
        if os.environ.get("DATAROI_REQUIRE_BROWSER") == "1":
            pytest.fail(reason + " (DATAROI_REQUIRE_BROWSER=1)")
        pytest.skip(reason)
    profile = tempfile.mkdtemp(prefix="dataroi-chromium-")
    opts = webdriver.ChromeOptions()
    opts.binary_location = chromium
    for arg in ("--headless", "--no-sandbox", "--disable-gpu",
                "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--no-first-run", "--disable-default-apps",
                f"--user-data-dir={profile}", "--window-size=1200,900"):
        opts.add_argument(arg)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    # an explicit driver path: Selenium Manager never downloads anything
    drv = webdriver.Chrome(service=Service(executable_path=driver), options=opts)
    try:
        yield drv
    finally:
        drv.quit()
        shutil.rmtree(profile, ignore_errors=True)
