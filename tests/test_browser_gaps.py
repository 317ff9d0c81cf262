"""End to end in headless Chromium: a team lead opens the journey map on demo data, sees the weak touchpoints the
demo planted (CON02, RES03, HND02) flagged as significant shortfalls, clicks down to one advisor's responses and
comments, pastes the URL into a new browser session and lands on the same view, in English and in Chinese.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import pytest

from cxdash.db import make_engine
from tests.support.browser import CHROMIUM, CHROMIUM_ARGS, choose_option, require_chromium, serve_app

pytestmark = pytest.mark.browser
WEAK = ("CON02", "RES03", "HND02")
TEXT = {
    "en": {"shortfalls": "Significant shortfalls", "open": "Open in drill-down", "go": "Go down to",
           "tp": "Confirm cost, time and payment", "levels": ["Regions", "Sites", "Teams", "People"],
           "comments": "Comments on this page", "count": "responses, page"},
    "zh-Hans": {"shortfalls": "显著不足的触点", "open": "在下钻中打开", "go": "下钻至", "tp": "结算费用时间及付款方式确认",
                "levels": ["大区", "门店", "班组", "人员"], "comments": "本页评论", "count": "条回答"},
}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A demo database and the app served on it; yields the URL of the touchpoint-gaps page."""
    from cxdash.demo import build_demo

    require_chromium()
    url = f"sqlite:///{tmp_path_factory.mktemp('browser_gaps') / 'demo.db'}"
    engine = make_engine(url)
    build_demo(engine, responses=3000, tickets=300, seed=7)
    engine.dispose()
    with serve_app(url) as base:
        yield f"{base.rstrip('/')}/touchpoints"


@pytest.fixture(scope="module")
def browser() -> Iterator:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


def _settle(page) -> None:  # noqa: ANN001 - a Playwright page
    """Wait until Streamlit finished the run (no running indicator, no stale elements)."""
    page.wait_for_load_state("networkidle")
    for _ in range(300):
        if page.locator('[data-testid="stStatusWidget"]').count() == 0 and page.locator('[data-stale="true"]').count() == 0:
            break
        time.sleep(0.1)
    time.sleep(0.3)


def _choose(page, label: str, text: str | None = None) -> str:  # noqa: ANN001
    """Open the selectbox labelled ``label`` and click the option with ``text`` (else the first); return it."""
    box = page.locator('[data-testid="stSelectbox"]').filter(has_text=label).first
    return choose_option(page, box, text)


def _drill_params(url: str) -> int:
    return len(re.findall(r"d_(?:stage|touchpoint|region|site|team|person)=", url))


@pytest.mark.parametrize("lang", ["en", "zh-Hans"])
def test_journey_map_to_an_advisors_comments_and_back_by_link(server, browser, lang):
    txt = TEXT[lang]
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{server}?lang={lang}", wait_until="networkidle")
    page.get_by_text(txt["shortfalls"]).wait_for(timeout=120_000)
    _settle(page)
    body = page.inner_text("body")
    flagged = body[body.find(txt["shortfalls"]):]
    for code in WEAK:  # every planted weak touchpoint is listed as a significant shortfall
        assert code in flagged.split(txt["open"])[0]
    _choose(page, txt["open"], txt["tp"])
    path = []
    for depth, level in enumerate(txt["levels"], start=2):
        page.wait_for_url(lambda u, d=depth: _drill_params(u) == d, timeout=60_000)
        page.locator("h3", has_text=level).first.wait_for(timeout=60_000)
        _settle(page)
        path.append(_choose(page, txt["go"]))
    page.wait_for_url(lambda u: _drill_params(u) == 6, timeout=60_000)
    page.get_by_text(txt["comments"]).wait_for(timeout=60_000)
    _settle(page)
    url = page.url
    view = page.inner_text("body")
    assert txt["count"] in view and path[-1] in view  # the advisor's name in the breadcrumb
    comments = view[view.find(txt["comments"]):].splitlines()[1:3]
    context.close()

    fresh = browser.new_context()  # a new browser session: nothing but the link
    page2 = fresh.new_page()
    page2.goto(url, wait_until="networkidle")
    page2.get_by_text(txt["comments"]).wait_for(timeout=120_000)
    page2.get_by_role("button", name=path[-1]).wait_for(timeout=60_000)
    _settle(page2)
    again = page2.inner_text("body")
    for name in path:
        assert name in again
    count = re.search(r"\d+\s*" + re.escape(txt["count"].split()[0]), view)
    assert count is not None and count.group(0) in again
    for line in comments:
        assert line in again
    fresh.close()
