"""``dataroi serve``: the portfolio as a small local web app, read-only.

The standard library's :class:`http.server.ThreadingHTTPServer` (no web framework: three
read-only pages need none). Each request opens the ledger without creating it, reads it
in one pass (:func:`~dataroi.portfolio.read_portfolio`) and closes it, so the pages show
the ledger as it is now (runs in progress included); only GET and HEAD are answered. It
listens on 127.0.0.1 unless told otherwise.

Routes: ``/`` the portfolio, ``/study/<id>`` a study, ``/compare?a=NAME&b=NAME`` what
differs between two studies (JSON), ``/portfolio.json`` everything as JSON.

Example:
    >>> import os, tempfile, threading, urllib.request
    >>> from dataroi.ledger import open_ledger
    >>> ledger_url = "sqlite:///" + os.path.join(tempfile.mkdtemp(), "ledger.db")
    >>> open_ledger(ledger_url).close()  # a ledger with no study yet
    >>> server = make_server(ledger_url, port=0)
    >>> t = threading.Thread(target=server.serve_forever, daemon=True); t.start()
    >>> url = f"http://127.0.0.1:{server.server_address[1]}/"
    >>> "dataroi portfolio" in urllib.request.urlopen(url).read().decode()
    True
    >>> server.shutdown(); server.server_close()
"""

from __future__ import annotations

import json
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from dataroi.exceptions import DataroiError

__all__ = ["make_server", "serve"]


def _handler(ledger_url: str, shown_url: str) -> type[BaseHTTPRequestHandler]:
    from dataroi.ledger import open_ledger
    from dataroi.portfolio._overview import differences, read_portfolio
    from dataroi.portfolio._page import render_portfolio, render_study

    def portfolio() -> Any:
        with open_ledger(ledger_url, create=False) as ledger:
            return read_portfolio(ledger, ledger_url=shown_url)

    class Handler(BaseHTTPRequestHandler):
        server_version = "dataroi"

        def log_message(self, format: str, *args: Any) -> None:
            pass  # quiet: the terminal shows the address, not every request

        def _send(self, status: int, body: str, kind: str = "text/html") -> None:
            data = body.encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", f"{kind}; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)

        def do_HEAD(self) -> None:
            self.do_GET()

        def do_GET(self) -> None:
            url = urlsplit(self.path)
            try:
                p = portfolio()
                if url.path in ("/", "/index.html"):
                    self._send(200, render_portfolio(
                        p, href=lambda s: f"/study/{s.study_id}"))
                elif url.path.startswith("/study/"):
                    sid = url.path.removeprefix("/study/")
                    match = [s for s in p.studies if str(s.study_id) == sid]
                    if not match:
                        self._send(404, f"no study {sid} in this ledger", "text/plain")
                        return
                    self._send(200, render_study(p, match[0].name, back="/"))
                elif url.path == "/portfolio.json":
                    self._send(200, json.dumps(p.to_dict(), default=str), "application/json")
                elif url.path == "/compare":
                    q = parse_qs(url.query)
                    a, b = (q.get(k, [""])[0] for k in ("a", "b"))
                    try:
                        rows = differences(p.study(a), p.study(b))
                    except KeyError as exc:
                        self._send(404, str(exc), "text/plain")
                        return
                    self._send(200, json.dumps([{"field": f, "a": x, "b": y}
                                                for f, x, y in rows], default=str),
                               "application/json")
                else:
                    self._send(404, "not found", "text/plain")
            except DataroiError as exc:
                self._send(HTTPStatus.SERVICE_UNAVAILABLE, f"ledger unavailable: {exc}",
                           "text/plain")

        def _refuse(self) -> None:
            self._send(HTTPStatus.METHOD_NOT_ALLOWED, "read-only", "text/plain")

        do_POST = do_PUT = do_DELETE = do_PATCH = _refuse

    return Handler


def make_server(ledger_url: str, *, host: str = "127.0.0.1", port: int = 8765,
                shown_url: str | None = None) -> ThreadingHTTPServer:
    """A server for the portfolio of ``ledger_url`` (not started; ``port=0``: any free
    port). ``shown_url``: the ledger's address as the pages show it (credentials
    masked)."""
    return ThreadingHTTPServer((host, port), _handler(ledger_url, shown_url or ledger_url))


def serve(ledger_url: str, *, host: str = "127.0.0.1", port: int = 8765,
          shown_url: str | None = None) -> None:
    """Serve until interrupted."""
    server = make_server(ledger_url, host=host, port=port, shown_url=shown_url)
    try:
        server.serve_forever()
    finally:
        server.server_close()
