"""The follow-up case page in AppTest: three languages, an empty database, a team lead's scope, a step recorded
through the form, an executive reading only, and user text shown as plain text."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from streamlit.testing.v1 import AppTest

from cxdash.db import make_engine
from cxdash.i18n import t
from cxdash.schema.followup import followup_case
from tests.support.app import LANGS, ROOT, page_app
from tests.support.cases import build_cases

pytestmark = pytest.mark.apptest


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Engine:
    """A migrated SQLite database in a temp dir."""
    eng = make_engine(f"sqlite:///{tmp_path / 'cases.db'}")
    yield eng
    eng.dispose()


def _texts(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption] + [i.value for i in at.info]
    return "\n".join(str(p) for p in parts)


@pytest.mark.parametrize("lang", LANGS)
def test_empty_database(sqlite_engine: Engine, lang: str) -> None:
    at = page_app(sqlite_engine, "cases.py", lang)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error
    assert [i.value for i in at.info] == [t("followup.page.empty", lang)]
    assert at.title[0].value == t("followup.page.title", lang)


@pytest.mark.parametrize("lang", LANGS)
def test_cases_list_detail_and_measures(sqlite_engine: Engine, lang: str) -> None:
    build_cases(sqlite_engine)
    at = page_app(sqlite_engine, "cases.py", lang)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    cases = at.dataframe[0].value
    assert len(cases) == 7 and cases["id"].tolist()[:3] == [4, 7, 3]  # all new ones overdue now: high first
    assert set(cases["flag"]) >= {t("followup.flag.overdue", lang), t("followup.flag.closed", lang)}
    metrics = {m.label: m.value for m in at.metric}
    assert metrics[t("followup.kpi.opened", lang)] == "7"  # no date filter: every case
    assert metrics[t("followup.kpi.recovery", lang)] == "50.0%"
    # the first case in detail: its comment as plain text, never as Markdown or a link
    text = _texts(at)
    assert "\\*\\*Never\\*\\* again" in text and "](http" not in text
    assert at.selectbox(key="cases_pick").value == 4


def test_filter_and_pick(sqlite_engine: Engine) -> None:
    build_cases(sqlite_engine)
    at = page_app(sqlite_engine, "cases.py")
    at.run()
    at.multiselect(key="cases_status").select("resolved").run()
    assert not at.exception
    assert sorted(at.dataframe[0].value["id"]) == [1, 2, 5]
    at.selectbox(key="cases_pick").select(2).run()
    assert not at.exception and not at.error
    assert "#2" in _texts(at)


def test_record_a_call_and_resolve(sqlite_engine: Engine) -> None:
    build_cases(sqlite_engine)
    at = page_app(sqlite_engine, "cases.py")
    at.run()
    at.selectbox(key="cases_pick").select(3).run()
    at.selectbox(key="step_action_3").select("contact").run()
    at.text_area(key="step_note_3").input("Called, customer upset about the wait")
    next(b for b in at.button if b.label == t("followup.step.submit", "en")).click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    with sqlite_engine.connect() as conn:
        row = conn.execute(select(followup_case).where(followup_case.c.id == 3)).mappings().one()
    assert row["status"] == "contacted" and row["first_contact_at"] is not None
    assert any(t("followup.step.saved", "en", step=t("followup.action.contact", "en")) in s.value for s in at.success)
    # then resolve it as recovered: the recovery rate on the page follows (1 of 2 -> 2 of 3)
    at.selectbox(key="step_action_3").select("resolve").run()
    at.radio(key="step_recovered_3").set_value("yes")
    at.selectbox(key="step_root_3").set_value("training")
    next(b for b in at.button if b.label == t("followup.step.submit", "en")).click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    with sqlite_engine.connect() as conn:
        row = conn.execute(select(followup_case).where(followup_case.c.id == 3)).mappings().one()
    assert (row["status"], row["recovered"], row["root_cause"]) == ("resolved", "yes", "training")
    assert {m.label: m.value for m in at.metric}[t("followup.kpi.recovery", "en")] == "66.7%"


def test_step_refused_shows_a_message(sqlite_engine: Engine) -> None:
    build_cases(sqlite_engine)
    at = page_app(sqlite_engine, "cases.py")
    at.run()
    at.selectbox(key="cases_pick").select(5).run()  # resolved: a note needs its text
    at.selectbox(key="step_action_5").select("note").run()
    next(b for b in at.button if b.label == t("followup.step.submit", "en")).click().run()
    assert not at.exception
    assert [e.value for e in at.error] == [t("followup.error.note_required", "en")]


def test_executive_reads_only(sqlite_engine: Engine) -> None:
    build_cases(sqlite_engine)
    at = page_app(sqlite_engine, "cases.py", role="executive")
    at.run()
    assert not at.exception
    assert t("followup.step.read_only", "en") in _texts(at)


def _scoped_frame() -> None:
    """The page as a team lead of team 1 sees it (the frame puts the user's scope into the filters)."""
    import os
    import runpy

    from cxdash.db import make_engine
    from cxdash.filters import Filters
    from cxdash.ui.context import PageContext, set_context

    url = os.environ["CXDASH_TEST_PAGE_DB"]
    set_context(PageContext(make_engine(url), url, "zh-Hans", Filters(scope_sites=(), scope_teams=(1,)),
                            role="team_lead", user="team_lead@example.com"))
    runpy.run_path(os.environ["CXDASH_TEST_PAGE"], run_name="__main__")


def test_team_lead_sees_only_their_team(sqlite_engine: Engine) -> None:
    build_cases(sqlite_engine)
    os.environ.update({"CXDASH_TEST_PAGE_DB": sqlite_engine.url.render_as_string(hide_password=False),
                       "CXDASH_TEST_PAGE": str(ROOT / "cxdash" / "ui" / "pages" / "cases.py")})
    at = AppTest.from_function(_scoped_frame, default_timeout=120)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert sorted(at.dataframe[0].value["id"]) == [1, 2, 6]
    assert len(at.selectbox(key="cases_pick").options) == 3
    assert set(at.multiselect(key="cases_team").options) == {"Site one / Team one"}


@pytest.mark.parametrize("lang", LANGS)
def test_overview_case_cards(sqlite_engine: Engine, lang: str) -> None:
    build_cases(sqlite_engine)
    at = page_app(sqlite_engine, "overview.py", lang)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    metrics = {m.label: m.value for m in at.metric}
    assert metrics[t("followup.kpi.overdue", lang)] == "3"  # cases 3, 4 and 7: every new case is overdue by now
    assert metrics[t("followup.kpi.recovery", lang)] == "50.0%"
    assert t("followup.overview.title", lang) in [s.value for s in at.subheader]


def test_overview_without_cases_shows_no_case_cards(sqlite_engine: Engine) -> None:
    at = page_app(sqlite_engine, "overview.py")
    at.run()
    assert not at.exception
    assert t("followup.kpi.recovery", "en") not in [m.label for m in at.metric]


def test_a_link_opens_its_case(sqlite_engine: Engine) -> None:
    build_cases(sqlite_engine)
    at = page_app(sqlite_engine, "cases.py", "zh-Hant")
    at.query_params["case"] = "5"
    at.run()
    assert not at.exception
    assert at.selectbox(key="cases_pick").value == 5
    assert "pricing" in at.dataframe[0].value.set_index("id").loc[5, "root_cause_note"]
