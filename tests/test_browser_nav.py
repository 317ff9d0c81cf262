"""``/overview`` typed or shared as a link opens the overview in a real browser, with no "Page not found" dialog,
and the local-mode notice is one line (the deployment guide only behind its button)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from cxdash.i18n import t
from tests.support.app import demo_url
from tests.support.browser import chromium_page, require_chromium, screenshot, serve_app, wait_for_app

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def base() -> Iterator[str]:
    require_chromium()
    with serve_app(demo_url()) as url:
        yield url


def test_overview_path_opens_the_overview(base: str) -> None:
    with chromium_page() as page:
        page.goto(f"{base}/overview?lang=zh-Hans")
        wait_for_app(page)
        page.get_by_role("heading", name=t("overview.page.title", "zh-Hans")).wait_for()
        page.wait_for_timeout(1500)  # the "page not found" dialog comes with the first run's navigation message
        assert page.get_by_text("Page not found").count() == 0
        assert page.locator('[data-testid="stException"]').count() == 0
        assert "/overview" in page.url
        assert page.get_by_text(t("auth.local.line", "zh-Hans")).count() == 1
        assert page.get_by_text("Deploying cxdash").count() == 0  # the guide stays behind its button
        screenshot(page, "overview-by-path")
