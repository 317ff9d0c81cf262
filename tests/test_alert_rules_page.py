"""The alert rules page under AppTest in three languages: create a rule, see its dry run, save it, switch it off;
the parameter inputs follow the kind; an empty database; the roles that may not reach the page.

The data: OVERVIEW's three sites with five answers at or below 6 on likelihood to recommend on 15 March 2026 (three
at site 1, two at site 2) among others at 9. The data lies more than 90 days back, so the dry run counts back from
its latest day.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine

from cxdash.auth import save_user
from cxdash.db import make_engine
from cxdash.followup.rules import Rule, list_rules, save_rule
from cxdash.i18n import t
from tests.support.app import LANGS, empty_url, page_app
from tests.support.auth import signed_in_app
from tests.world import OVERVIEW

pytestmark = pytest.mark.apptest


def _data(engine: Engine) -> None:
    OVERVIEW.org(engine)
    OVERVIEW.responses(engine, [{"ltr": 2}, {"ltr": 5}, {"ltr": 6}, {"ltr": 9}, {"ltr": 10}], site_id=1)
    OVERVIEW.responses(engine, [{"ltr": 0}, {"ltr": 4}, {"ltr": 9}], site_id=2)
    OVERVIEW.responses(engine, [{"ltr": 9}, {"ltr": 10}], site_id=3)


def _no_errors(at) -> None:  # noqa: ANN001
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


@pytest.mark.parametrize("lang", LANGS)
def test_create_dry_run_save_and_switch_off(sqlite_engine: Engine, lang: str) -> None:
    _data(sqlite_engine)
    at = page_app(sqlite_engine, "alert_rules.py", lang)
    at.run()
    _no_errors(at)
    assert at.title[0].value == t("alerts.page.title", lang)
    assert [i.value for i in at.info] == [t("alerts.list.none", lang)]
    assert at.button(key="alerts_save").disabled  # no dry run yet

    at.text_input(key="alerts_name_new").input("Detractors 回访")
    at.number_input(key="alerts_p_ltr_at_most_threshold_new").set_value(6)
    at.run()
    at.button(key="alerts_dry_run").click()
    at.run()
    _no_errors(at)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics[t("alerts.dry.cases", lang)] == "5"
    assert not at.button(key="alerts_save").disabled
    by_site = at.dataframe[-1].value
    assert list(by_site["cases"]) == [3, 2]

    at.number_input(key="alerts_p_ltr_at_most_threshold_new").set_value(4)  # a change the dry run depends on
    at.run()
    assert at.button(key="alerts_save").disabled
    assert [w.value for w in at.warning] == [t("alerts.dry.stale", lang)]
    at.button(key="alerts_dry_run").click()
    at.run()
    assert {m.label: m.value for m in at.metric}[t("alerts.dry.cases", lang)] == "3"
    at.button(key="alerts_save").click()
    at.run()
    _no_errors(at)
    rules = list_rules(sqlite_engine)
    assert [(r.name, r.kind, r.params["threshold"], r.active) for r in rules] == [("Detractors 回访", "ltr_at_most", 4,
                                                                                 True)]
    rule_id = rules[0].id
    assert at.success[0].value == t("alerts.save.saved", lang, name="Detractors 回访")
    assert at.selectbox(key="alerts_pick").value == rule_id  # the saved rule stays open for editing
    listed = at.dataframe[0].value
    assert list(listed["params"]) == ["≤ 4"] and list(listed["kind"]) == [t("alerts.kind.ltr_at_most", lang)]

    at.toggle(key=f"alerts_active_{rule_id}").set_value(False)
    at.run()
    _no_errors(at)
    assert not list_rules(sqlite_engine)[0].active
    assert at.success[0].value == t("alerts.switch.off", lang, name="Detractors 回访")
    assert at.toggle(key=f"alerts_active_{rule_id}").value is False


def test_edit_a_stored_rule(sqlite_engine: Engine) -> None:
    _data(sqlite_engine)
    with sqlite_engine.begin() as conn:
        rule_id = save_rule(conn, Rule(id=None, name="CSAT <= 2", kind="csat_at_most", params={"threshold": 2},
                                       severity="high", response_hours=8.0), "test", datetime(2026, 3, 1))
    at = page_app(sqlite_engine, "alert_rules.py", "en")
    at.run()
    assert at.toggle(key=f"alerts_active_{rule_id}").value is True
    at.selectbox(key="alerts_pick").set_value(rule_id)
    at.run()
    _no_errors(at)
    assert at.number_input(key=f"alerts_p_csat_at_most_threshold_{rule_id}").value == 2
    assert at.number_input(key=f"alerts_hours_{rule_id}").value == 8.0
    assert at.selectbox(key=f"alerts_severity_{rule_id}").value == "high"
    at.number_input(key=f"alerts_p_csat_at_most_threshold_{rule_id}").set_value(3)
    at.selectbox(key=f"alerts_scope_kind_{rule_id}").set_value("site")
    at.run()
    at.button(key="alerts_dry_run").click()
    at.run()
    at.button(key="alerts_save").click()
    at.run()
    _no_errors(at)
    [stored] = list_rules(sqlite_engine)
    assert (stored.id, stored.params["threshold"], stored.scope_kind, stored.scope_id, stored.response_hours) == (
        rule_id, 3, "site", 1, 8.0)


def test_inputs_follow_the_kind_and_a_kpi_rule_dry_runs(sqlite_engine: Engine) -> None:
    _data(sqlite_engine)
    at = page_app(sqlite_engine, "alert_rules.py", "zh-Hans")
    at.run()
    at.selectbox(key="alerts_kind_new").set_value("comment_keywords")
    at.run()
    _no_errors(at)
    assert at.text_area(key="alerts_p_comment_keywords_keywords_new") is not None
    at.selectbox(key="alerts_kind_new").set_value("ticket_breached")
    at.run()
    assert at.selectbox(key="alerts_p_ticket_breached_which_new").value == "either"
    at.selectbox(key="alerts_kind_new").set_value("kpi_below_target")
    at.run()
    assert at.selectbox(key="alerts_p_kpi_below_target_kpi_new").value == "nps"
    at.selectbox(key="alerts_scope_kind_new").set_value("team")
    at.run()
    level = at.selectbox(key="alerts_p_kpi_below_target_level_True_new")
    assert level.value == "team" and level.disabled
    at.text_input(key="alerts_name_new").input("NPS 低于目标")
    at.run()
    at.button(key="alerts_dry_run").click()
    at.run()
    _no_errors(at)
    assert {m.label: m.value for m in at.metric}[t("alerts.dry.cases", "zh-Hans")] == "0"  # no targets set
    assert t("alerts.dry.none", "zh-Hans") in [i.value for i in at.info]


def test_a_rule_without_a_name_is_refused_in_place(sqlite_engine: Engine) -> None:
    _data(sqlite_engine)
    at = page_app(sqlite_engine, "alert_rules.py", "zh-Hant")
    at.run()
    at.button(key="alerts_dry_run").click()
    at.run()
    assert not at.exception
    assert [e.value for e in at.error] == [
        t("alerts.dry.refused", "zh-Hant", error=t("alerts.form_error.name_missing", "zh-Hant"))]
    assert not list_rules(sqlite_engine)


@pytest.mark.parametrize("lang", LANGS)
def test_empty_database_shows_a_clear_state(sqlite_engine: Engine, lang: str) -> None:
    at = page_app(sqlite_engine, "alert_rules.py", lang)
    at.run()
    _no_errors(at)
    assert [i.value for i in at.info] == [t("alerts.list.none", lang), t("alerts.no_data", lang)]
    at.selectbox(key="alerts_scope_kind_new").set_value("site")
    at.run()
    _no_errors(at)
    assert [w.value for w in at.warning] == [t("alerts.field.no_units", lang, kind=t("alerts.scope.site", lang))]


@pytest.mark.parametrize("role", ["team_lead", "executive"])
def test_the_page_refuses_other_roles(sqlite_engine: Engine, role: str) -> None:
    _data(sqlite_engine)
    at = page_app(sqlite_engine, "alert_rules.py", "en", role=role)
    at.run()
    assert not at.exception
    assert [e.value for e in at.error] == [t("shell.error.permission", "en")]
    assert not at.text_input and not at.button and not at.dataframe


@pytest.mark.parametrize("email,role", [("lead@x.org", "team_lead"), ("exec@x.org", "executive")])
def test_team_leads_and_executives_cannot_reach_it_through_the_frame(tmp_path: Path, email: str, role: str) -> None:
    url = empty_url(tmp_path)
    engine = make_engine(url)
    _data(engine)
    with engine.begin() as conn:
        save_user(conn, "setup", email, role, "Someone", site_ids=[1] if role == "team_lead" else [])
    engine.dispose()
    at = signed_in_app(url, email)
    at.run()
    at.switch_page("ui/pages/alert_rules.py")
    at.run()
    assert not at.exception
    refusal = t("auth.refused", "en", page=t("alerts.page.title", "en"), role=t(f"auth.role.{role}", "en"))
    assert [e.value for e in at.error] == [refusal]
    assert not at.title


def test_hostile_text_is_saved_as_typed_and_shown_plain(engine: Engine) -> None:
    _data(engine)
    at = page_app(engine, "alert_rules.py", "en")
    at.run()
    at.text_input(key="alerts_name_new").input("![x](http://h.example/b) **loud**\x00")
    at.selectbox(key="alerts_kind_new").set_value("comment_keywords")
    at.run()
    at.text_area(key="alerts_p_comment_keywords_keywords_new").input("投诉，再也不\ncomplaint, \x00, 投诉")
    at.run()
    at.button(key="alerts_dry_run").click()
    at.run()
    at.button(key="alerts_save").click()
    at.run()
    _no_errors(at)
    [stored] = list_rules(engine)
    assert stored.name == "![x](http://h.example/b) **loud**"
    assert stored.params["keywords"] == ["投诉", "再也不", "complaint"]
    assert "\\!\\[x\\]" in at.success[0].value  # escaped: shown as typed, no image fetched
    assert at.toggle(key=f"alerts_active_{stored.id}").label.startswith("\\!\\[x\\]")
