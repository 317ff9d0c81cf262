"""The case list, a case's detail and the case measures (cxdash.metrics.followup) on both databases, against the
hand computation of the cases in tests/support/cases.py."""

from __future__ import annotations

import pytest

from cxdash.auth import User, apply_scope
from cxdash.filters import Filters
from cxdash.metrics.followup.cases import case_detail, case_list, case_options, visible_case_ids
from cxdash.metrics.followup.measures import case_measures
from cxdash.metrics.followup.select import CaseSelection
from cxdash.metrics.significance import wilson
from tests.support.cases import MARCH, NOW, build_cases

F = Filters(date_from=MARCH[0], date_to=MARCH[1])
LEAD = User("team_lead@example.com", "Lead", "team_lead", scope_teams=(1,))


def test_measures_against_hand_computation(engine):
    build_cases(engine)
    m = case_measures(engine, F, NOW)
    assert m.opened == 6  # cases 1-6; case 7 opened in January
    assert (m.open, m.overdue) == (3, 2)  # open: 3, 4, 7; overdue: 3 and 7 (new, due passed)
    # judged: 1, 2, 5 (contacted) and 3 (due passed); 4 not yet due, 6 withdrawn. In time: 1 and 5.
    assert (m.within_target.k, m.within_target.n) == (2, 4)
    assert m.median_first_contact_min == pytest.approx(600) and m.n_first_contact == 3
    assert (m.recovery.k, m.recovery.n) == (1, 2)
    assert (m.recovery.ci_low, m.recovery.ci_high) == pytest.approx(wilson(1, 2))
    # next answers: customer 1 on 03-08 (ltr 10, csat 5; 03-03 is the closing day), customer 2 on 03-06 (6, 2)
    assert m.after["recovered"].tolist() == ["yes", "no"]
    assert m.after_value("yes", "nps") == pytest.approx(100) and m.after_value("yes", "csat") == pytest.approx(1)
    assert m.after_value("no", "nps") == pytest.approx(-100) and m.after_value("no", "csat") == pytest.approx(0)
    assert m.root_causes.values.tolist() == [["training", 2], ["other", 1]]
    assert m.touchpoints[["touchpoint_code", "n"]].values.tolist() == [["REC02", 3], ["REC03", 1]]
    units = m.by_unit.set_index("team_id")
    assert units.loc[2, ["opened", "open", "overdue"]].tolist() == [1, 2, 2]
    assert units.loc[1, ["opened", "open", "overdue"]].tolist() == [3, 0, 0]
    assert m.by_unit.iloc[0]["team_id"] == 2  # most overdue first
    assert units.loc[2, "site_name"] == "Site two"


def test_measures_even_median_and_no_dates(engine):
    build_cases(engine)
    m = case_measures(engine, Filters(team_ids=(1,)), NOW)
    assert m.median_first_contact_min == pytest.approx((120 + 2880) / 2)
    assert m.opened == 3 and m.open == 0


def test_empty_database(engine):
    m = case_measures(engine, F, NOW)
    assert (m.opened, m.open, m.overdue, m.within_target.n, m.recovery.rate) == (0, 0, 0, 0, None)
    assert m.median_first_contact_min is None and m.after.empty and m.by_unit.empty
    page = case_list(engine, F, CaseSelection(), NOW)
    assert page.total == 0 and page.rows.empty
    assert case_detail(engine, F, 1, NOW) is None
    assert case_options(engine, F) == {"sites": {}, "teams": {}, "touchpoints": {}, "rules": {}}


def test_case_list_order_filters_and_scope(engine):
    build_cases(engine)
    page = case_list(engine, F, CaseSelection(), NOW)
    # overdue first (7 medium before 3 low), then due soon (4), then the closed ones
    assert page.rows["id"].tolist()[:3] == [7, 3, 4]
    assert page.total == 7 and set(page.rows["id"].tolist()[3:]) == {1, 2, 5, 6}
    assert page.rows.set_index("id").loc[3, "overdue"] and page.rows.set_index("id").loc[4, "due_soon"]
    assert page.rows.set_index("id").loc[1, "triggers"] == 1
    only_open = case_list(engine, F, CaseSelection(statuses=("new",)), NOW)
    assert only_open.rows["id"].tolist() == [7, 3, 4]
    closed_range = case_list(engine, F, CaseSelection(open_always=False), NOW)
    assert 7 not in closed_range.rows["id"].tolist()
    assert case_list(engine, F, CaseSelection(severities=("high",)), NOW).rows["id"].tolist() == [4, 1]
    scoped = apply_scope(F, LEAD)
    assert sorted(case_list(engine, scoped, CaseSelection(), NOW).rows["id"]) == [1, 2, 6]
    assert case_measures(engine, scoped, NOW).opened == 3
    assert case_detail(engine, scoped, 3, NOW) is None
    assert visible_case_ids(engine, scoped, [1, 3]) == {1}
    assert set(case_options(engine, scoped)["teams"]) == {1}
    paged = case_list(engine, F, CaseSelection(), NOW, limit=2, offset=2)
    assert paged.rows["id"].tolist() == [4, 1] and paged.total == 7


def test_case_detail(engine):
    ids = build_cases(engine)
    d = case_detail(engine, F, 1, NOW, "zh-Hans")
    assert d is not None
    assert d.case["status"] == "resolved" and d.case["owner_name"] == "Team Lead"
    assert d.response is not None and d.response["id"] == ids["responses"][0] and d.response["ltr"] == 2
    assert "投诉" in d.response["comment"]
    assert d.scores["touchpoint_code"].tolist() == ["REC01", "REC02", "REC03"]
    assert d.scores["gap"].tolist() == [-2, -4, -2] and d.scores["scale"].iloc[0] == "1-7"
    assert len(d.visits) == 4 and len(d.earlier_cases) == 0 and d.tickets.empty
    assert d.events["action"].tolist() == ["open"] and len(d.triggers) == 1
    assert d.site_gap["touchpoint_code"].tolist() == ["REC02"]
    # the triggering answers of cases 1, 2 and 6 at site 1, each P - E = 2 - 6 on a 1-7 scale
    assert d.site_gap["gap"].iloc[0] == pytest.approx(-4 / 6) and d.site_gap["n"].iloc[0] == 3
    no_customer = case_detail(engine, F, 7, NOW)
    assert no_customer is not None and no_customer.visits.empty and no_customer.site_gap.shape[0] == 3


def test_views_and_overview_cards(engine):
    from cxdash.views.cases import case_detail_view, cases_view
    from cxdash.views.overview import overview_cases_view

    build_cases(engine)
    view = cases_view(engine, F, "zh-Hant", statuses=("new",), now=NOW)
    assert view.any_cases and view.page.rows["id"].tolist() == [7, 3, 4]
    table = view.table.set_index("key")
    assert table.loc["opened", "value"] == 6 and table.loc["recovery", "n"] == 2
    assert table.loc["median_contact", "value"] == pytest.approx(10.0)
    assert table.loc["nps_after_no", "value"] == pytest.approx(-100)
    assert table.loc["opened", "title"] == "開立案例"
    detail = case_detail_view(engine, apply_scope(F, LEAD), case_id=3, now=NOW)
    assert detail.detail is None and detail.plans == {}
    detail = case_detail_view(engine, F, case_id=3, now=NOW)
    assert detail.detail is not None and set(detail.owners) == {1, 2, 3, 5}  # executives are no owners
    ov = overview_cases_view(engine, F, now=NOW)
    assert (ov.opened, ov.overdue) == (6, 2) and ov.recovery == view.measures.recovery


def test_any_cases_ignores_the_sidebar_units_but_not_the_scope(engine):
    from cxdash.views.cases import cases_view

    build_cases(engine)
    elsewhere = Filters(site_ids=(99,))
    view = cases_view(engine, elsewhere, now=NOW)
    assert view.any_cases and view.page.total == 0  # "no case matches", not "no cases yet"
    nobody = User("x@example.com", "X", "team_lead", scope_teams=(99,))
    assert not cases_view(engine, apply_scope(Filters(), nobody), now=NOW).any_cases
