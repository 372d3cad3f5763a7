"""The portfolio in a real headless Chromium, listing studies from a real PostgreSQL
ledger: the static page (no console error, no network request; the filter and the
comparison work) and ``dataroi serve`` (the same page over HTTP, a study's page one
click away)."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request

import pytest
import yaml

from dataroi.cli import main
from dataroi.ledger import open_ledger
from dataroi.portfolio import make_server, read_portfolio, write_portfolio
from dataroi.testing.fill import fill_many_studies
from tests._specs import logreg_and_tree
from tests.conftest import iris_spec

pytestmark = pytest.mark.slow


@pytest.fixture
def pg_portfolio(postgres_url, tmp_path):
    with open_ledger(postgres_url) as ledger:
        fill_many_studies(ledger, n_studies=20, trials_per_study=200)
    for name, repeats in (("iris-a", 2), ("iris-b", 3)):
        spec = iris_spec(name=name, models=logreg_and_tree(),
                         costs={"price_per_label_usd": 0.5, "value_per_point_usd": 100},
                         schedule={"sizes": [15, 40, 90], "repeats": repeats, "seed": 0})
        path = tmp_path / f"{name}.yaml"
        path.write_text(yaml.safe_dump(spec, sort_keys=False))
        assert main(["run", str(path), "--ledger", postgres_url, "--no-progress",
                     "--jobs", "1"]) == 0
    assert main(["plan", str(tmp_path / "iris-a.yaml"), "--ledger", postgres_url]) == 0
    return postgres_url


def _requests(browser) -> list[str]:
    out = []
    for entry in browser.get_log("performance"):
        msg = json.loads(entry["message"])["message"]
        if msg["method"] == "Network.requestWillBeSent":
            out.append(msg["params"]["request"]["url"])
    return out


def _errors(browser) -> list:
    return [e for e in browser.get_log("browser") if e["level"] in ("SEVERE", "ERROR")]


def test_the_static_page_lists_filters_and_compares(browser, pg_portfolio, tmp_path):
    with open_ledger(pg_portfolio, create=False) as ledger:
        p = read_portfolio(ledger, ledger_url=ledger.url)
    assert len(p.studies) == 22
    index = write_portfolio(p, tmp_path / "site" / "index.html")[0]
    browser.get_log("performance")
    browser.get(index.resolve().as_uri())
    assert browser.title == "dataroi portfolio"
    shown = browser.execute_script(
        "return [...document.querySelectorAll('tr.study')].filter("
        "r => getComputedStyle(r).display !== 'none').map(r => r.dataset.name)")
    assert len(shown) == 22 and {"iris-a", "iris-b"} <= set(shown)
    box = browser.find_element("id", "q")
    box.send_keys("iris")
    shown = browser.execute_script(
        "return [...document.querySelectorAll('tr.study')].filter("
        "r => getComputedStyle(r).display !== 'none').map(r => r.dataset.name)")
    assert sorted(shown) == ["iris-a", "iris-b"]
    assert browser.find_element("id", "count").text == "2 of 22 shown"
    browser.execute_script("""
        const a = document.getElementById('ca'), b = document.getElementById('cb');
        a.value = 'iris-a'; b.value = 'iris-b';
        b.dispatchEvent(new Event('change'));""")
    diff = browser.execute_script(
        "return [...document.querySelectorAll('#diff tbody tr')].map("
        "r => [...r.children].map(td => td.textContent))")
    fields = {row[0]: row[1:] for row in diff}
    assert fields["spec.schedule.repeats"] == ["2", "3"]
    assert "spec.costs.price_per_label_usd" not in fields  # equal: not shown
    # a study's page is one click away
    browser.find_element("link text", "iris-a").click()
    assert browser.find_element("tag name", "h1").text == "iris-a"
    assert _errors(browser) == []
    assert [u for u in _requests(browser) if not u.startswith(("file:", "data:"))] == []


def test_serve_shows_the_ledger_as_it_is(browser, pg_portfolio):
    server = make_server(pg_portfolio, port=0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        browser.get_log("performance")
        browser.get(base + "/")
        rows = browser.find_elements("css selector", "tr.study")
        assert len(rows) == 22
        browser.find_element("link text", "iris-b").click()
        assert browser.find_element("tag name", "h1").text == "iris-b"
        assert "Learning curves, latest data" in browser.page_source
        assert _errors(browser) == []
        assert all(u.startswith((base, "data:")) for u in _requests(browser))
        # read-only: anything but GET/HEAD is refused (the page itself cannot even send
        # one: its Content-Security-Policy allows no connection)
        req = urllib.request.Request(base + "/", data=b"x", method="POST")
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(req)
        assert refused.value.code == 405
    finally:
        server.shutdown()
        server.server_close()
