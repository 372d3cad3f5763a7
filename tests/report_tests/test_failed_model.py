"""A study where one model failed every fit: the report renders and shows it as failed.

KNeighborsClassifier(n_neighbors=30) cannot fit fewer than 30 rows, so on sizes 10 to 25
every one of its trials fails (it used to take the HTML report down with ``UndefinedError``
on an empty curve). Rendering happens before anything is written.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests._specs import IRIS_DATA, LOGREG
from tests.cli_tests._refusals import snapshot

SPEC: dict[str, Any] = {
    "name": "all-failed",
    "data": dict(IRIS_DATA),
    "models": {"logreg": LOGREG,
               "knn30": {"estimator": "sklearn.neighbors.KNeighborsClassifier",
                         "params": {"n_neighbors": 30}}},
    "metrics": ["accuracy"],
    "schedule": {"sizes": [15, 20, 25], "repeats": 2, "seed": 0},
}


@pytest.fixture(scope="module")
def failed_study(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Path]:
    import dataroi

    folder = tmp_path_factory.mktemp("all_failed")
    spec_path = folder / "study.yaml"
    spec_path.write_text(yaml.safe_dump(SPEC, sort_keys=False))
    study = dataroi.load_study(spec_path)
    summary = study.run(jobs=1, progress=False)
    assert summary.failed == 6  # every knn30 trial
    return study, spec_path


@pytest.fixture(scope="module")
def report(failed_study: tuple[Any, Path]) -> Any:
    study, spec_path = failed_study
    with study.analyze(n_draws=300) as analysis:
        return analysis.report(spec_path=str(spec_path))


def test_the_html_report_renders_and_shows_the_model_as_failed(report: Any) -> None:
    html = report.to_html()
    row = html[html.index("<td class=\"l\">knn30</td>"):][:300]
    assert "failed: no" in row and "finished trial" in row
    assert "ValueError" in html  # the failed trials, grouped by error, under Diagnostics
    assert "logreg" in html


def test_markdown_and_json_show_the_failed_model_too(report: Any) -> None:
    md = report.to_markdown()
    assert "| knn30 | failed: no finished trial |" in md
    doc = json.loads(report.to_json())
    models = {m["model"]: m for m in doc["sections"]["learning_curves"]["models"]}
    assert models["knn30"]["mean"]["n_train"] == []


def test_the_command_writes_one_file_and_touches_nothing_else(
        failed_study: tuple[Any, Path], monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    from dataroi.cli import main

    folder = failed_study[1].parent
    monkeypatch.chdir(folder)
    before = snapshot(folder)
    for name in ("r.html", "r.md", "r.json"):
        assert main(["report", "study.yaml", "-o", name, "--draws", "300"]) == 0, \
            capsys.readouterr().err
        (folder / name).unlink()
    assert snapshot(folder) == before


def test_nothing_is_written_when_rendering_fails(
        report: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Render first, then write atomically: a failure leaves no file, not even a temporary
    one."""
    import dataroi.report._html as html_module
    from dataroi.report import Report, write_report

    def broken(doc: dict[str, Any]) -> str:
        raise RuntimeError("a template bug")

    monkeypatch.setattr(html_module, "render_html", broken)
    with pytest.raises(RuntimeError, match="a template bug"):
        write_report(Report(document=report.document), tmp_path / "r.html")
    assert list(tmp_path.iterdir()) == []
