"""First real use (#20): the overview's own URL, the one-line local-mode notice, views kept in the URL, and a team
lead's sidebar and out-of-scope links.

AppTest of ``app.py`` on the demo database (and, for team leads, on the two-scope database of
:mod:`tests.support.auth`, SQLite).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import streamlit
from sqlalchemy import select

from cxdash.db import make_engine
from cxdash.i18n import t
from cxdash.schema import site
from tests.support.app import ROOT, make_app, no_errors
from tests.support.auth import Scoped, all_text, private_database, scoped_database, signed_in_app

pytestmark = pytest.mark.apptest

GUIDE = (ROOT / "docs" / "deployment.md").read_text(encoding="utf-8")


def _pages(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every page the next runs register with ``st.navigation`` (a spy)."""
    seen: list[Any] = []
    real = streamlit.navigation

    def spy(pages: Any, **kwargs: Any) -> Any:
        seen.clear()
        seen.extend(p for section in pages.values() for p in section)
        return real(pages, **kwargs)

    monkeypatch.setattr(streamlit, "navigation", spy)
    return seen


def test_the_overview_answers_at_its_own_path(monkeypatch: pytest.MonkeyPatch) -> None:
    pages = _pages(monkeypatch)
    at = make_app("en")
    at.run()
    no_errors(at)
    assert at.title[0].value == t("overview.page.title", "en")  # "/" is the overview
    overview = [p for p in pages if str(p._page).endswith("overview.py")]
    # The menu's entry is served at "/", and "/overview" is registered too (hidden), so it is no "page not found".
    assert sorted((p.url_path, p.visibility) for p in overview) == [("", "visible"), ("overview", "hidden")]
    at.switch_page("ui/pages/overview.py")  # AppTest picks the page registered under the file's name: /overview
    at.run()
    no_errors(at)
    assert at.title[0].value == t("overview.page.title", "en")


@pytest.mark.parametrize("lang", ["en", "zh-Hans"])
def test_local_mode_is_one_line_with_the_guide_a_click_away(lang: str) -> None:
    at = make_app(lang)
    at.run()
    no_errors(at)
    line = at.markdown[0].value
    assert t("auth.local.badge", lang) in line and t("auth.local.line", lang) in line
    assert not [e for e in at.expander if e.label == t("auth.local.docs", lang)]
    assert "## Local mode" not in all_text(at)  # the guide is not above every page any more
    assert at.title[0].value == t("overview.page.title", lang)
    setup = [b for b in at.button if b.label == t("auth.local.setup", lang)]
    assert setup
    setup[0].click().run()
    no_errors(at)
    assert any("## Local mode" in m.value for m in at.markdown), "the button opens the guide"


def test_a_docs_url_makes_the_line_a_link(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CXDASH_DOCS_URL", "https://example.org/deployment")
    at = make_app("en")
    at.run()
    no_errors(at)
    assert "(https://example.org/deployment)" in at.markdown[0].value
    assert not [b for b in at.button if b.label == t("auth.local.setup", "en")]


def test_loyalty_view_is_in_the_url() -> None:
    at = make_app("en", params={"loy_view": "effort"})
    at.run()
    at.switch_page("ui/pages/loyalty.py")
    at.run()
    no_errors(at)
    view = at.segmented_control(key="loy_view")
    assert view.value == "effort"
    view.set_value("failures").run()
    no_errors(at)
    assert at.query_params["loy_view"] == "failures"
    at.segmented_control(key="loy_view").set_value("trends").run()
    assert "loy_view" not in at.query_params  # the default view leaves the URL clean


def test_drivers_outcome_is_in_the_url() -> None:
    at = make_app("en", params={"drv_outcome": "csat"})
    at.run()
    at.switch_page("ui/pages/drivers.py")
    at.run()
    no_errors(at)
    assert at.segmented_control(key="drv_outcome").value == "csat"
    at.segmented_control(key="drv_outcome").set_value("ltr").run()
    assert "drv_outcome" not in at.query_params


def test_the_chosen_theme_is_in_the_url() -> None:
    at = make_app("en", params={"voc_term": "waiting"})
    at.run()
    at.switch_page("ui/pages/voice.py")
    at.run()
    no_errors(at)
    assert at.text_input(key="voc_term").value == "waiting"
    assert any(h.value.startswith(t("loyalty.voice.comments_of", "en", term="waiting", n=0)[:12]) for h in at.subheader)
    at.text_input(key="voc_term").set_value("staff").run()
    assert at.query_params["voc_term"] == "staff"


# -- team leads --------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def scoped(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scoped]:
    with private_database("sqlite", tmp_path_factory.mktemp("navscope"), None, "navscope") as url:
        yield scoped_database(url)


def test_a_team_lead_sees_their_region_as_a_caption(scoped: Scoped) -> None:
    at = signed_in_app(scoped.url, "lead.a@x.org")
    at.run()
    no_errors(at)
    assert not [m for m in at.sidebar.multiselect if m.label == t("shell.filters.region", "en")]
    caption = [c.value for c in at.sidebar.caption if c.value.startswith(t("shell.filters.region", "en"))]
    assert caption and "(your scope)" in caption[0]
    assert [m for m in at.sidebar.multiselect if m.label == t("shell.filters.site", "en")][0].options  # sites still


def test_an_out_of_scope_drill_link_says_so_without_ids(scoped: Scoped) -> None:
    engine = make_engine(scoped.url)
    with engine.connect() as conn:
        other = conn.execute(select(site.c.id).where(site.c.id != scoped.site_a).order_by(site.c.id.desc())
                             .limit(1)).scalar_one()
    engine.dispose()
    at = signed_in_app(scoped.url, "lead.a@x.org", params={"tp_view": "drill", "d_stage": "S1", "d_touchpoint": "1",
                                                           "d_region": "1", "d_site": str(other)}, clear=False)
    at.run()
    at.switch_page("ui/pages/touchpoints.py")
    at.run()
    no_errors(at)
    labels = [b.label for b in at.button if b.key and b.key.startswith("crumb_")]
    assert t("experience.drill.not_in_scope", "en") in labels
    assert str(other) not in labels and f"{other} ›" not in labels
    assert [w.value for w in at.warning if w.value == t("experience.drill.outside_scope", "en")]
