"""Size and time of a study bundle: ``dataroi export`` and ``dataroi verify`` (issue 24).

For each study (the small iris study of the tests: 2 models, 4 sizes, 3 repeats; with
``--demo`` also the built-in demo: digits, 3 models, 8 sizes, 5 repeats, its costs and
pre-registered rule), runs the study into a folder unless it already ran there, then
measures, each end to end in a fresh process (what a user waits for):

1. ``dataroi export SPEC -o study.zip``: time and the bundle's size (and by part:
   ledger rows, predictions, report, the rest);
2. ``dataroi verify study.zip`` in another folder (default sample of 5 re-run trials);
3. with ``--fresh-venv``: a new virtual environment, ``pip install -e`` of this project
   (packages from the configured index), and ``verify`` run there.

Reproduce:  .venv/bin/python benchmarks/bench_share.py [--demo] [--fresh-venv]
(reuse folders: --dir DIR; the demo study runs once, about 2 minutes on 2 cores)
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _iris(folder: Path) -> Path:
    sys.path.insert(0, str(ROOT))
    from tests.report_tests._studies import FULL_SPEC

    folder.mkdir(parents=True, exist_ok=True)
    spec = folder / "study.yaml"
    if not spec.exists():
        spec.write_text(yaml.safe_dump(FULL_SPEC, sort_keys=False))
    return spec


def _demo(folder: Path) -> Path:
    from dataroi.cli._decide import DEMO_DECISION
    from dataroi.spec import DEMO_SPEC

    folder.mkdir(parents=True, exist_ok=True)
    spec = folder / "demo.yaml"
    if not spec.exists():
        spec.write_text(DEMO_SPEC + DEMO_DECISION, encoding="utf-8")
    return spec


def _run_study(spec: Path, jobs: int) -> None:
    import dataroi

    study = dataroi.load_study(spec)
    if study.status().counts["complete"] == 0 and study.spec.decision is not None:
        study.register()
    t0 = time.perf_counter()
    summary = study.run(jobs=jobs, progress=False)
    if summary.completed:
        print(f"  ran {spec.name}: {summary.completed} trials in "
              f"{time.perf_counter() - t0:.0f}s")


def _cli(python: Path, *argv: str, cwd: Path) -> tuple[float, subprocess.CompletedProcess[str]]:
    t0 = time.perf_counter()
    done = subprocess.run([str(python), "-m", "dataroi", *argv], cwd=cwd,
                          capture_output=True, text=True, check=False)
    return time.perf_counter() - t0, done


def _parts(bundle: Path) -> dict[str, int]:
    out: dict[str, int] = {}
    with zipfile.ZipFile(bundle) as z:
        for info in z.infolist():
            part = info.filename.split("/")[0]
            out[part] = out.get(part, 0) + info.compress_size
    return out


def _measure(name: str, spec: Path, python: Path, work: Path) -> dict[str, float]:
    bundle = work / f"{name}.zip"
    away = work / f"verify-{name}"
    away.mkdir(exist_ok=True)
    t_export, done = _cli(python, "export", str(spec), "-o", str(bundle), "--force",
                          cwd=spec.parent)
    if done.returncode:
        raise SystemExit(done.stderr)
    size = bundle.stat().st_size
    parts = ", ".join(f"{k} {v / 1024:,.0f} KB" for k, v in sorted(
        _parts(bundle).items(), key=lambda kv: -kv[1]))
    print(f"  export: {t_export:.1f}s, bundle {size / 1024:,.0f} KB ({parts})")
    t_verify, done = _cli(python, "verify", str(bundle), cwd=away)
    verdict = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else done.stderr
    print(f"  verify: {t_verify:.1f}s, exit {done.returncode}: {verdict[:150]}")
    return {"export_seconds": t_export, "bytes": size, "verify_seconds": t_verify}


def _fresh_venv(work: Path, bundle: Path) -> None:
    venv = work / "fresh-venv"
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    done = subprocess.run([str(venv / "bin" / "pip"), "install", "-q", "-e", str(ROOT)],
                          capture_output=True, text=True, check=False)
    if done.returncode:
        raise SystemExit(done.stderr[-2000:])
    t_install = time.perf_counter() - t0
    away = work / "verify-fresh"
    away.mkdir(exist_ok=True)
    t_verify, done = _cli(venv / "bin" / "python", "verify", str(bundle), cwd=away)
    verdict = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else done.stderr
    print(f"  fresh venv: create + pip install -e {t_install:.0f}s; verify {t_verify:.1f}s, "
          f"exit {done.returncode}: {verdict[:150]}")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dir", default=None, help="work folder (default: a temporary one)")
    p.add_argument("--jobs", type=int, default=2)
    p.add_argument("--demo", action="store_true", help="also the demo study (digits)")
    p.add_argument("--fresh-venv", action="store_true",
                   help="also verify the iris bundle in a new virtual environment")
    args = p.parse_args(argv)
    work = Path(args.dir or tempfile.mkdtemp(prefix="dataroi-bench-share-"))
    work.mkdir(parents=True, exist_ok=True)
    python = Path(sys.executable)
    studies = [("iris", _iris(work / "iris"))]
    if args.demo:
        studies.append(("demo", _demo(work / "demo")))
    for name, spec in studies:
        print(f"{name}:")
        _run_study(spec, args.jobs)
        _measure(name, spec, python, work)
    if args.fresh_venv:
        _fresh_venv(work, work / "iris.zip")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
