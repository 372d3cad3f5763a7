"""The HTML report of a real study in a real headless Chromium (Selenium, Debian's
chromium + chromium-driver): no console errors, no network requests, every section and
figure present and visible; a full-page screenshot is saved as an artifact.

Skips with the reason when Chromium is absent, unless ``DATAROI_REQUIRE_BROWSER=1``
(CI), then fails. Screenshots go to ``$DATAROI_ARTIFACTS_DIR`` (default
``test-artifacts/`` in the working directory).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from dataroi.report import SECTIONS, write_report

FIGURES = ("fig-learning-curves", "fig-learning-curves-each", "fig-data-vs-model",
           "fig-marginal-value", "fig-cost-frontier")


def _artifacts() -> Path:
    folder = Path(os.environ.get("DATAROI_ARTIFACTS_DIR", "test-artifacts"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.mark.slow
def test_report_in_headless_chromium(browser, full_study, tmp_path):
    study, spec_path = full_study
    with study.analyze(n_draws=500) as analysis:
        report = analysis.report(spec_path=str(spec_path), output="report.html")
    page = write_report(report, tmp_path / "report.html")
    browser.get_log("performance")  # drop anything before the page
    browser.get(page.resolve().as_uri())
    assert browser.title == "dataroi report: iris-report"
    # every image decoded (an SVG that fails to parse has naturalWidth 0)
    state = browser.execute_script("""
        const visible = el => { const r = el.getBoundingClientRect();
            const s = getComputedStyle(el);
            return r.width > 0 && r.height > 0 && s.visibility !== 'hidden'
                   && s.display !== 'none'; };
        return {
          sections: [...document.querySelectorAll('section')].map(s => [
              s.id, visible(s), s.querySelector('h2') ? s.querySelector('h2').textContent
                                                      : '']),
          figures: [...document.querySelectorAll('figure')].map(
              f => { const img = f.querySelector('img');
                     return [f.id, visible(img), img.complete, img.naturalWidth, img.alt]; }),
          scripts: document.scripts.length,
          links: [...document.querySelectorAll('link,iframe,object,embed')].length,
        };""")
    ids = [s[0] for s in state["sections"]]
    assert ids == list(SECTIONS), ids
    for sid, visible, title in state["sections"]:
        assert visible and title, sid
    figs = {f[0]: f for f in state["figures"]}
    assert set(FIGURES) <= set(figs), figs.keys()
    for fid in FIGURES:
        _, visible, complete, width, alt = figs[fid]
        assert visible and complete and width > 100 and alt, figs[fid]
    assert state["scripts"] == 0 and state["links"] == 0
    # no console errors (a CSP violation or a broken image would log one)
    errors = [e for e in browser.get_log("browser") if e["level"] in ("SEVERE", "ERROR")]
    assert errors == []
    # no network requests: only the file itself and its embedded data: images
    requests = []
    for entry in browser.get_log("performance"):
        msg = json.loads(entry["message"])["message"]
        if msg["method"] == "Network.requestWillBeSent":
            url = msg["params"]["request"]["url"]
            if not url.startswith(("data:", "file:", "about:")):
                requests.append(url)
    assert requests == []
    # a full-page screenshot as an artifact
    height = browser.execute_script("return document.documentElement.scrollHeight")
    browser.set_window_size(1200, min(int(height) + 120, 20000))
    shot = _artifacts() / "report-full-page.png"
    assert browser.save_screenshot(str(shot))
    assert shot.stat().st_size > 50_000


def _uncomment(text: str, section: str) -> str:
    """``text`` with the commented ``section:`` block that ``dataroi init`` writes made
    live (what a user does in an editor)."""
    lines, out, inside = text.splitlines(), [], False
    for line in lines:
        if line == f"# {section}:":
            inside = True
        elif inside and (not line.startswith("#   ")):
            inside = False
        out.append(line[2:] if inside else line)
    return "\n".join(out) + "\n"


@pytest.mark.slow
def test_a_real_table_from_init_to_report(browser, tmp_path, capsys, monkeypatch):
    """The first hour on a real table, by the README's commands and plain model names:
    ISLR Default (3.3 % positives, a Yes/No text column) with missing and infinite
    values; zero failed trials, a recommendation, a report whose headline gives the
    reason, checked in Chromium and kept as a screenshot."""
    from dataroi.cli import main
    from tests._default_table import default_table

    shots = _artifacts().resolve()  # before moving to the study's folder
    monkeypatch.chdir(tmp_path)
    default_table().to_csv("default.csv", index=False)  # 20 + 15 missing, one inf

    def run(*argv: str) -> tuple[int, str, str]:
        code = main(list(argv))
        out, err = capsys.readouterr()
        return code, out, err

    code, out, err = run("init", "study.yaml", "--from", "default.csv", "--target", "default")
    assert code == 0, err
    assert "metrics average_precision" in out
    text = Path("study.yaml").read_text()
    # the user fills in the costs the template shows, and keeps the test short
    text = _uncomment(text, "costs").replace("count: 7}", "count: 4}")
    text = text.replace("repeats: 5 ", "repeats: 2 ")
    Path("study.yaml").write_text(text)

    code, out, err = run("run", "study.yaml", "--jobs", "2")
    assert code == 0, err
    assert " 0 failed in this run" in out, out
    code, out, err = run("plan", "study.yaml", "--budget", "20000")
    assert code == 0, err
    assert "recommendation" in out and "expected net value" in out
    code, out, err = run("plan", "study.yaml", "--budget", "20000", "--json")
    assert code == 0, err
    planned = json.loads(out)
    assert not planned["left_out"] and planned["headline"].startswith(
        planned["first_step"] + ", because ")
    code, out, err = run("report", "study.yaml", "-o", "report.html")
    assert code == 0, err

    browser.get((tmp_path / "report.html").resolve().as_uri())
    headline = browser.find_element("css selector", "#answer .headline").text
    assert headline == "Recommendation: " + planned["headline"]
    # the verdict and its reason in one sentence
    assert ", because " in headline
    assert any(w in headline for w in ("net and ends with more money", "no change is "
                                       "expected", "re-measuring first")), headline
    prep = browser.execute_script(
        "return [...document.querySelectorAll('#reproducibility td')]"
        ".map(td => td.textContent)")
    said = next(t for i, t in enumerate(prep) if i and prep[i - 1] == "preprocessing")
    assert "student one-hot" in said and "missing values in: balance, income" in said
    errors = [e for e in browser.get_log("browser") if e["level"] in ("SEVERE", "ERROR")]
    assert errors == []
    browser.set_window_size(1200, 1400)
    shot = shots / "report-real-table.png"
    assert browser.save_screenshot(str(shot)) and shot.stat().st_size > 50_000
    print(f"screenshot of the report's first screen: {shot.resolve()}")
