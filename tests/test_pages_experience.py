"""AppTest of the tiers and touchpoint-gaps pages on a small demo database, in three languages, including the
drill-down state read from URL query parameters.

Runs each page through a tiny frame that sets the page context the way ``app.py`` does (so it works before and
independently of the app shell); ``test_pages_in_app`` goes through ``app.py`` itself once it exists.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from cxdash.db import make_engine
from cxdash.schema import stage, survey_response, touchpoint, touchpoint_score

pytestmark = pytest.mark.apptest

ROOT = Path(__file__).resolve().parent.parent
LANGS = ("en", "zh-Hans", "zh-Hant")
FRAME = """
import os, runpy
import streamlit as st
from cxdash.db import make_engine
from cxdash.filters import Filters
from cxdash.ui.context import PageContext, set_context

@st.cache_resource
def _engine(url):
    return make_engine(url)

url = os.environ["CXDASH_H5_TEST_DB"]
lang = st.query_params.get("lang", "en")
set_context(PageContext(engine=_engine(url), db_key=url, lang=lang, filters=Filters(),
                        role=os.environ.get("CXDASH_H5_TEST_ROLE", "admin")))
runpy.run_path(os.environ["CXDASH_H5_TEST_PAGE"], run_name="__page__")
"""


@pytest.fixture(scope="module")
def demo_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    from cxdash.demo import build_demo

    url = f"sqlite:///{tmp_path_factory.mktemp('pages') / 'demo.db'}"
    engine = make_engine(url)
    build_demo(engine, responses=1500, tickets=300, seed=7)
    engine.dispose()
    return url


def _run(url: str, page: str, params: dict[str, str], monkeypatch: pytest.MonkeyPatch, role: str = "admin") -> AppTest:
    monkeypatch.setenv("CXDASH_H5_TEST_DB", url)
    monkeypatch.setenv("CXDASH_H5_TEST_PAGE", str(ROOT / "cxdash" / "ui" / "pages" / page))
    monkeypatch.setenv("CXDASH_H5_TEST_ROLE", role)
    at = AppTest.from_string(FRAME, default_timeout=120)
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    return at


def _drill_path(url: str) -> dict[str, str]:
    """Stage, touchpoint and the organisation of a response answered at CON02 (a weak touchpoint)."""
    engine = make_engine(url, migrate=False)
    with engine.connect() as conn:
        row = conn.execute(
            select(stage.c.code, touchpoint.c.id, survey_response.c.region_id, survey_response.c.site_id,
                   survey_response.c.team_id, survey_response.c.person_id)
            .select_from(touchpoint_score.join(survey_response, survey_response.c.id == touchpoint_score.c.response_id)
                         .join(touchpoint, touchpoint.c.id == touchpoint_score.c.touchpoint_id)
                         .join(stage, stage.c.id == touchpoint.c.stage_id))
            .where(touchpoint.c.code == "CON02").limit(1)).one()
    engine.dispose()
    keys = ("d_stage", "d_touchpoint", "d_region", "d_site", "d_team", "d_person")
    return {k: str(v) for k, v in zip(keys, row, strict=True)}


@pytest.mark.parametrize("lang", LANGS)
def test_tiers_page(demo_url, monkeypatch, lang):
    at = _run(demo_url, "tiers.py", {"lang": lang}, monkeypatch)
    assert len(at.dataframe) >= 2 and len(at.subheader) >= 2
    assert at.text[0].value  # the comparison sentence, as plain text
    at_week = _run(demo_url, "tiers.py", {"lang": lang, "tier_period": "week", "tier_by": "channel"}, monkeypatch)
    assert at_week.session_state["tier_by"] == "channel"


def test_tiers_page_tolerance_editing_by_role(demo_url, monkeypatch):
    assert len(_run(demo_url, "tiers.py", {}, monkeypatch, role="admin").number_input) == 1
    assert len(_run(demo_url, "tiers.py", {}, monkeypatch, role="team_lead").number_input) == 0


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("view", ["map", "matrix", "compare"])
def test_touchpoints_views(demo_url, monkeypatch, lang, view):
    at = _run(demo_url, "touchpoints.py", {"lang": lang, "tp_view": view}, monkeypatch)
    assert at.session_state["tp_view"] == view
    if view == "map":
        table = at.dataframe[0].value
        assert len(table) == 22 and "gap" in table.columns


@pytest.mark.parametrize("lang", LANGS)
def test_drilldown_from_url(demo_url, monkeypatch, lang):
    path = _drill_path(demo_url)
    for depth in (2, 3, 4, 5):  # touchpoint chosen -> regions, sites, teams, people
        params = dict(list(path.items())[:depth])
        at = _run(demo_url, "touchpoints.py", {"lang": lang, **params}, monkeypatch)
        assert at.session_state["tp_view"] == "drill"
        assert len(at.dataframe) == 1 and len(at.dataframe[0].value) >= 1
        assert len(at.button) >= depth  # the breadcrumb
    at = _run(demo_url, "touchpoints.py", {"lang": lang, **path}, monkeypatch)
    rows = at.dataframe[0].value
    assert len(rows) >= 1 and "comment" in rows.columns
    assert len(at.text_input) == 1


def test_drilldown_hostile_params_fall_back(demo_url, monkeypatch):
    at = _run(demo_url, "touchpoints.py", {"d_stage": "<script>", "d_touchpoint": "1 OR 1=1"}, monkeypatch)
    assert at.session_state["tp_view"] == "map"


def test_pages_in_app(demo_url, monkeypatch):
    if not (ROOT / "cxdash" / "app.py").exists():
        pytest.skip("app.py not written yet")
    monkeypatch.setenv("CXDASH_DATABASE_URL", demo_url)
    for page in ("ui/pages/tiers.py", "ui/pages/touchpoints.py"):
        for lang in LANGS:
            at = AppTest.from_file(str(ROOT / "cxdash" / "app.py"), default_timeout=120)
            at.query_params["lang"] = lang
            at.run()
            at.switch_page(page)
            at.run()
            assert not at.exception, [e.value for e in at.exception]
