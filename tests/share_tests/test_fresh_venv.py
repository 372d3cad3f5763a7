"""The bundle round trip in a fresh virtual environment: a study exported here is
verified by a ``dataroi`` installed into a new venv (``pip install -e`` of this project,
packages from the configured package index only), in another folder.

Slow (about a minute to install the dependencies): ``pytest -m slow``.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from tests.conftest import iris_spec

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_a_bundle_verifies_in_a_fresh_virtual_environment(tmp_path: Path):
    import dataroi
    from dataroi.share import export_study

    spec = tmp_path / "project" / "study.yaml"
    spec.parent.mkdir()
    spec.write_text(yaml.safe_dump(iris_spec(), sort_keys=False))
    dataroi.load_study(spec).run(jobs=1, progress=False)
    away = tmp_path / "elsewhere"
    away.mkdir()
    export_study(spec, away / "iris.zip")

    t0 = time.perf_counter()
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    install = subprocess.run([str(venv / "bin" / "pip"), "install", "-q", "-e", str(ROOT)],
                             capture_output=True, text=True, timeout=1800, check=False)
    assert install.returncode == 0, install.stderr[-2000:]
    t_install = time.perf_counter() - t0
    t0 = time.perf_counter()
    verify = subprocess.run([str(venv / "bin" / "dataroi"), "verify", "iris.zip"],
                            cwd=away, capture_output=True, text=True, timeout=600,
                            check=False)
    t_verify = time.perf_counter() - t0
    print(f"\nfresh venv: install {t_install:.0f}s, verify {t_verify:.1f}s\n{verify.stdout}")
    assert verify.returncode == 0, verify.stdout + verify.stderr
    assert verify.stdout.strip().splitlines()[-1].startswith("VERIFIED: iris.zip")
    assert sorted(p.name for p in away.iterdir()) == ["iris.zip"]
