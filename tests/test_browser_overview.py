"""The executive overview in a real browser: ``streamlit run`` headless, Debian's Chromium through Playwright.

A person opens the app, sees the KPI cards with numbers in English, switches the language to 简体中文 in the
sidebar and sees the same cards titled in Chinese, with the choice kept in the URL; a link with filters in its
query parameters opens the same filtered view. Screenshots go to ``test-artifacts/``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from cxdash.i18n import LANGUAGES, t
from tests.support.app import demo_url
from tests.support.browser import chromium_page, require_chromium, screenshot, serve_app, wait_for_app

pytestmark = pytest.mark.browser

CARDS = ("nps", "csat", "ces", "share_disappointed", "sla_resolution", "ftf")
NUMBER = re.compile(r"\d+(\.\d+)?%?")


@pytest.fixture(scope="module")
def base() -> Iterator[str]:
    require_chromium()
    with serve_app(demo_url()) as url:
        yield url


def _card_values(page) -> dict[str, str]:  # noqa: ANN001 - a Playwright page
    values = {}
    for metric in page.locator('[data-testid="stMetric"]').all():
        label = metric.locator('[data-testid="stMetricLabel"]').inner_text().strip()
        values[label] = metric.locator('[data-testid="stMetricValue"]').inner_text().strip()
    return values


def _assert_cards(page, lang: str) -> dict[str, str]:  # noqa: ANN001
    # The heading is drawn before the cards are computed: on a loaded machine (CI) they came a moment later.
    for key in CARDS:
        title = t(f"overview.kpi.{key}.title", lang)
        page.locator('[data-testid="stMetricLabel"]', has_text=title).first.wait_for(timeout=60_000)
    assert page.locator('[data-testid="stException"]').count() == 0
    assert page.locator('[data-testid="stAlertContentError"]').count() == 0
    values = _card_values(page)
    for key in CARDS:
        title = t(f"overview.kpi.{key}.title", lang)
        assert title in values, (title, list(values))
        assert NUMBER.fullmatch(values[title].replace(",", "")), (title, values[title])
    return values


def test_overview_in_english_then_chinese(base: str) -> None:
    with chromium_page() as page:
        page.goto(f"{base}/")
        wait_for_app(page)
        page.get_by_role("heading", name=t("overview.page.title", "en")).wait_for()
        english = _assert_cards(page, "en")
        screenshot(page, "overview-en")

        box = page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').filter(
            has_text=t("shell.language", "en")).first
        # The sidebar lists every page above the language picker: scroll it into view first, as a person would
        # (a click that scrolls the sidebar focuses the box without opening its list).
        box.scroll_into_view_if_needed()
        page.wait_for_timeout(300)
        box.click()
        page.get_by_role("option", name=LANGUAGES["zh-Hans"]).click()
        page.get_by_role("heading", name=t("overview.page.title", "zh-Hans")).wait_for(timeout=60_000)
        wait_for_app(page)
        chinese = _assert_cards(page, "zh-Hans")
        assert "lang=zh-Hans" in page.url
        for key in ("nps", "csat"):  # same figures, other words
            assert chinese[t(f"overview.kpi.{key}.title", "zh-Hans")] == english[t(f"overview.kpi.{key}.title", "en")]
        nav = page.locator('[data-testid="stSidebarNav"]').inner_text()
        assert t("shell.section.experience", "zh-Hans") in nav
        screenshot(page, "overview-zh-Hans")


def test_a_shared_link_opens_the_same_filtered_view(base: str) -> None:
    with chromium_page() as page:
        page.goto(f"{base}/?lang=zh-Hant&channel=phone&from=2026-04-01&to=2026-06-30")
        wait_for_app(page)
        page.get_by_role("heading", name=t("overview.page.title", "zh-Hant")).wait_for()
        _assert_cards(page, "zh-Hant")
        dates = [i.input_value() for i in page.locator('[data-testid="stSidebar"] [data-testid="stDateInput"] input').all()]
        assert dates[:2] == ["2026-04-01", "2026-06-30"], dates
        assert t("shell.channel.phone", "zh-Hant") in page.locator('[data-testid="stSidebar"]').inner_text()
        assert "2026-04-01" in page.locator('[data-testid="stMain"]').inner_text()  # the period the cards cover
        assert "channel=phone" in page.url and "from=2026-04-01" in page.url
        screenshot(page, "overview-zh-Hant-filtered")
