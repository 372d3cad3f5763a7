"""Time and size of the demo study's report (issue 5: under 5 s and under 2 MB).

Runs the built-in demo study (digits, 3 models, 8 sizes, 5 repeats; with the demo's
costs and pre-registered decision rule) into a folder unless it already ran there, then
measures:

1. ``dataroi report demo.yaml -o report.html`` end to end in a fresh process (what a
   user waits for: imports, data fingerprint, curve fits, figures, atomic write), best
   and median of ``--runs``;
2. in this process, with imports warm: building the document, then rendering HTML,
   Markdown and JSON;
3. the size of each output.

Reproduce:  /work/venv/bin/python benchmarks/bench_report.py --jobs 2
(reuse a demo folder: --dir dataroi-demo; the study runs once, about 2 minutes)
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TIME_LIMIT_SECONDS = 5.0
SIZE_LIMIT_BYTES = 2_000_000


def _prepare(folder: Path, jobs: int) -> Path:
    import dataroi
    from dataroi.cli._decide import DEMO_DECISION
    from dataroi.spec import DEMO_SPEC

    folder.mkdir(parents=True, exist_ok=True)
    spec = folder / "demo.yaml"
    if not spec.exists():
        spec.write_text(DEMO_SPEC + DEMO_DECISION, encoding="utf-8")
    study = dataroi.load_study(spec)
    if study.status().counts["complete"] == 0:
        study.register()
    t0 = time.perf_counter()
    summary = study.run(jobs=jobs, progress=False)
    if summary.completed:
        print(f"ran the demo study: {summary.completed} trials in "
              f"{time.perf_counter() - t0:.0f}s")
    return spec


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dir", default=None, help="demo folder (default: a temporary one)")
    p.add_argument("--jobs", type=int, default=2)
    p.add_argument("--runs", type=int, default=3, help="end-to-end CLI runs")
    args = p.parse_args(argv)
    folder = Path(args.dir or tempfile.mkdtemp(prefix="dataroi-bench-report-"))
    spec = _prepare(folder, args.jobs)

    cli = [sys.executable, "-c", "import sys; from dataroi.cli import main; "
           "sys.exit(main(sys.argv[1:]))", "report", str(spec)]
    e2e = []
    for _ in range(args.runs):
        out = folder / "report.html"
        t0 = time.perf_counter()
        subprocess.run([*cli, "-o", str(out)], check=True, capture_output=True)
        e2e.append(time.perf_counter() - t0)

    import os

    import dataroi

    study = dataroi.load_study(spec, build_models=False)
    with study.analyze() as analysis:  # warm the imports and the fit cache
        analysis.report()
    t0 = time.perf_counter()
    with study.analyze() as analysis:
        report = analysis.report(spec_path=str(spec), output=str(folder / "report.html"))
    t_build = time.perf_counter() - t0
    sizes, t_render = {}, {}
    for fmt in ("html", "md", "json"):
        t0 = time.perf_counter()
        text = report.render(fmt)
        t_render[fmt] = time.perf_counter() - t0
        sizes[fmt] = len(text.encode("utf-8"))
        (folder / f"report.{fmt}").write_text(text, encoding="utf-8")

    doc = report.document
    shown = [k for k, v in doc["sections"].items() if v is not None]
    print(f"demo report ({folder}): sections {', '.join(shown)}; "
          f"{len(doc['missing'])} missing inputs")
    print(f"end to end `dataroi report demo.yaml -o report.html` (fresh process, "
          f"{args.runs} runs): best {min(e2e):.2f}s, median {statistics.median(e2e):.2f}s")
    print(f"in process (imports warm): build {t_build:.2f}s, render html "
          f"{t_render['html']:.2f}s, md {t_render['md']:.3f}s, json {t_render['json']:.3f}s")
    print("sizes: " + ", ".join(f"{fmt} {n / 1024:,.0f} KB" for fmt, n in sizes.items()))
    ok_time = statistics.median(e2e) < TIME_LIMIT_SECONDS
    ok_size = sizes["html"] < SIZE_LIMIT_BYTES
    print(f"limits: time < {TIME_LIMIT_SECONDS:.0f}s {'OK' if ok_time else 'EXCEEDED'}; "
          f"html < {SIZE_LIMIT_BYTES / 1e6:.0f} MB {'OK' if ok_size else 'EXCEEDED'}")
    print(f"machine: {os.cpu_count()} cores, load average "
          f"{', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    return 0 if ok_time and ok_size else 1


if __name__ == "__main__":
    sys.exit(main())
