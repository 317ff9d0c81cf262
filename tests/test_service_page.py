"""AppTest of the service page and the SLA settings page, in the three languages.

The pages run inside a tiny frame that stores the :class:`PageContext` the way ``app.py`` does (the app frame is
built in parallel; once it lands these tests can start from ``app.py`` with ``switch_page``).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import streamlit as st
from sqlalchemy import Engine, select
from streamlit.testing.v1 import AppTest

from cxdash.filters import Filters
from cxdash.metrics.service.compliance import sla_summary
from cxdash.metrics.service.lists import Drill, ticket_list
from cxdash.schema import audit_log, sla_policy
from cxdash.ui.service import now_minute, pct
from tests.world import service_metrics

pytestmark = pytest.mark.apptest

ROOT = Path(__file__).resolve().parent.parent
LANGS = ("en", "zh-Hans", "zh-Hant")


def _frame() -> None:
    """The frame: context from the environment, then the page script."""
    import os
    import runpy

    from cxdash.db import make_engine
    from cxdash.filters import Filters
    from cxdash.ui.context import PageContext, set_context

    url = os.environ["CXDASH_TEST_PAGE_DB"]
    set_context(PageContext(make_engine(url), url, os.environ["CXDASH_TEST_PAGE_LANG"], Filters(),
                            role=os.environ["CXDASH_TEST_PAGE_ROLE"]))
    runpy.run_path(os.environ["CXDASH_TEST_PAGE"], run_name="__main__")


def app(engine: Engine, page: str, lang: str = "en", role: str = "admin") -> AppTest:
    os.environ.update({
        "CXDASH_TEST_PAGE_DB": engine.url.render_as_string(hide_password=False),
        "CXDASH_TEST_PAGE_LANG": lang, "CXDASH_TEST_PAGE_ROLE": role,
        "CXDASH_TEST_PAGE": str(ROOT / "cxdash" / "ui" / "pages" / page),
    })
    st.cache_data.clear()
    return AppTest.from_function(_frame, default_timeout=60)


@pytest.fixture
def db(sqlite_engine: Engine) -> Engine:
    service_metrics(sqlite_engine)
    return sqlite_engine


def no_errors(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


@pytest.mark.parametrize("lang", LANGS)
def test_service_page_every_view(db: Engine, lang: str) -> None:
    at = app(db, "service.py", lang)
    at.run()
    no_errors(at)
    s = sla_summary(db, Filters(), now_minute())
    values = [m.value for m in at.metric]
    assert values[:2] == [pct(s.first_response.rate), pct(s.resolution.rate)]
    for view in ("warning", "ftf", "recurring", "compliance"):
        at.segmented_control(key="sla_view").set_value(view).run()
        no_errors(at)
    at.selectbox(key="sla_by").set_value("team").run()
    no_errors(at)
    at.segmented_control(key="sla_period").set_value("week").run()
    no_errors(at)


def test_drill_down_from_the_url(db: Engine) -> None:
    at = app(db, "service.py")
    at.query_params.update({"drill_by": "category", "drill_key": "billing", "drill_outcome": "frt_breached",
                            "sla_view": "recurring"})
    at.run()
    no_errors(at)
    assert at.segmented_control(key="sla_view").value == "recurring"
    assert at.selectbox(key="drill_by").value == "category"
    expected = ticket_list(db, Filters(), Drill("category", "billing", "frt_breached"), now_minute())
    table = at.dataframe[-1].value
    assert sorted(table["id"].tolist()) == sorted(expected.rows["id"].tolist()) == [2, 5, 9]  # 5 is late by now
    # A bad value in the URL shows a translated message, not a stack trace.
    bad = app(db, "service.py", "zh-Hans")
    bad.query_params.update({"drill_period": "2026-13"})
    bad.run()
    assert not bad.exception and bad.error and "无效" in bad.error[0].value


def test_drill_down_state_goes_to_the_url(db: Engine) -> None:
    at = app(db, "service.py")
    at.run()
    at.selectbox(key="drill_outcome").set_value("merged").run()
    no_errors(at)
    assert at.query_params["drill_outcome"] == ["merged"] or at.query_params["drill_outcome"] == "merged"
    assert at.dataframe[-1].value["id"].tolist() == [6]


@pytest.mark.parametrize("lang", LANGS)
def test_settings_page_runs(db: Engine, lang: str) -> None:
    at = app(db, "service_settings.py", lang)
    at.run()
    no_errors(at)
    at.segmented_control(key="sla_settings_view").set_value("calendars").run()
    no_errors(at)


def test_settings_edit_recomputes(db: Engine) -> None:
    with db.connect() as conn:
        normal = conn.execute(select(sla_policy.c.id).where(sla_policy.c.priority == "normal")).scalar_one()
    at = app(db, "service_settings.py")
    at.run()
    at.selectbox(key="sla_policy_pick").set_value(normal).run()
    at.number_input[0].set_value(10)  # first-response target 240 -> 10 minutes
    at.button[0].click().run()
    no_errors(at)
    assert at.success and "9 tickets recomputed" in at.success[0].value
    s = sla_summary(db, Filters(), now_minute())
    assert s.first_response.k == 2  # only ticket 7 (10 min) and ticket 8 (high, 100 <= 120) stay within target
    with db.connect() as conn:
        assert conn.execute(select(audit_log.c.action).where(audit_log.c.entity == "sla_policy")).scalars().all() == ["edit_policy"]


def test_settings_refused_for_team_lead(db: Engine) -> None:
    at = app(db, "service_settings.py", "zh-Hant", role="team_lead")
    at.run()
    assert not at.exception and at.error and "SLA" in at.error[0].value
    assert not at.button
