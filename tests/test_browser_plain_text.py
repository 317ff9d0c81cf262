"""User text is never markup in a real browser (#21): headless Chromium against ``python -m cxdash serve``.

Markdown and HTML payloads (an image, an ``<img>``, a link, an ``<a href>``, a colour, bold) are planted in a
site's and a touchpoint's names, an action plan's title, owner and action, the checklist and an import batch's
file name, every image and link pointing at a beacon server on 127.0.0.1 started by the test. The plan board, the
plan's detail, the inspection form and the import-history delete confirmation are opened; the beacon receives no
request, the page holds no ``<img>`` or ``<a>`` of the payload, and the payload's text shows verbatim.
Screenshot: ``test-artifacts/plain-text-*.png``.
"""

from __future__ import annotations

import shutil
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.support.app import demo_url
from tests.support.browser import chromium_page, require_chromium, screenshot, serve_app, wait_for_app
from tests.support.plain import payload, plant

pytestmark = pytest.mark.browser

JOIN = "\u2060"  # the invisible word joiner plain() puts into URLs so they are not linked


class _Beacon(BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self) -> None:  # noqa: N802 - the http.server API
        _Beacon.hits.append(self.path)
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        return


def test_planted_markup_is_shown_as_text_and_fetches_nothing(tmp_path: Path) -> None:
    require_chromium()
    beacon = ThreadingHTTPServer(("127.0.0.1", 0), _Beacon)
    port = int(beacon.server_address[1])
    threading.Thread(target=beacon.serve_forever, daemon=True).start()
    try:
        db = tmp_path / "plain.db"
        shutil.copy(demo_url().removeprefix("sqlite:///"), db)
        url = f"sqlite:///{db}"
        ids = plant(url, port)
        text = payload(port)
        with serve_app(url) as base, chromium_page() as page:
            page.goto(f"{base}/?lang=en", wait_until="domcontentloaded")  # the app's navigation first
            wait_for_app(page)
            views = [("action-plans", "", "board"), ("action-plans", f"&plan_view=detail&plan={ids['plan']}", "detail"),
                     ("inspections", "&insp_view=record", "record")]
            for path, query, name in views:
                page.goto(f"{base}/{path}?lang=en{query}", wait_until="domcontentloaded")
                wait_for_app(page)
                page.get_by_text("![x](", exact=False).first.wait_for(timeout=60_000)
                screenshot(page, f"plain-text-{name}")
                _assert_inert(page, port, text)
            page.goto(f"{base}/import-history?lang=en", wait_until="domcontentloaded")
            wait_for_app(page)
            # The planted batch is the newest, so it is the one picked by default.
            page.get_by_role("button", name="Delete this batch").click()
            page.locator('[data-testid="stAlertContentWarning"]').first.wait_for(timeout=60_000)
            wait_for_app(page)
            screenshot(page, "plain-text-history-confirm")
            warning = page.locator('[data-testid="stAlertContentWarning"]').first.inner_text()
            assert text + ".csv" in warning.replace(JOIN, "")
            _assert_inert(page, port, text)
        assert _Beacon.hits == [], f"the browser fetched {_Beacon.hits}"
    finally:
        beacon.shutdown()


def _assert_inert(page: object, port: int, text: str) -> None:
    """No image or link of the payload in the page, and its text shown verbatim (word joiners aside)."""
    found = page.evaluate(  # type: ignore[attr-defined]
        """(port) => [...document.querySelectorAll('img, a, [style*="url("]')]
              .map(e => e.getAttribute('src') || e.getAttribute('href') || e.getAttribute('style') || '')
              .filter(v => v.includes('127.0.0.1:' + port))""",
        port,
    )
    assert found == [], found
    body = page.locator("body").inner_text().replace(JOIN, "")  # type: ignore[attr-defined]
    assert "![x](http://127.0.0.1:" in body and "<img src=" in body and ":red[x]" in body and "**b**" in body
    assert f"<a href=http://127.0.0.1:{port}/a>a</a>" in body or text[:60] in body
