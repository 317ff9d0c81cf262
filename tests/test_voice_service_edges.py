"""Rough edges of the voice of the customer and the service page (issue #20): the documented minimum support of
every lift, complaint themes only when detractors significantly over-use a term, the theme chart's intervals,
Wilson intervals on the service cards and bands on the service trends, and both pages in the 3 languages."""

from __future__ import annotations

import json
import math
import os
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
import streamlit as st
from sqlalchemy import Engine
from streamlit.testing.v1 import AppTest

from cxdash.charts.loyalty import themes_chart
from cxdash.charts.overview import service_trend_chart
from cxdash.charts.service import compliance_trend_chart
from cxdash.filters import Filters
from cxdash.i18n import t
from cxdash.metrics.loyalty.themes import (
    MIN_COUNT,
    THEME_COLUMNS,
    complaint_themes,
    group_terms,
    lift_table,
    praise_themes,
    voice,
)
from cxdash.metrics.service.compliance import sla_summary, sla_trend
from cxdash.ui.service import now_minute, pct
from tests.world import LOYALTY, NOW, service_metrics

ROOT = Path(__file__).resolve().parent.parent
LANGS = ("en", "zh-Hans", "zh-Hant")
MARCH = Filters(date_from=date(2026, 3, 1), date_to=date(2026, 3, 31))


def _few_detractors(engine: Engine) -> None:
    """A team with 3 detractor comments (all "waiting long") and 12 promoter comments ("friendly staff")."""
    LOYALTY.org(engine)
    LOYALTY.responses(engine, [{"ltr": 2, "comment": "waiting long", "tier": 0}] * 3
                 + [{"ltr": 10, "comment": "friendly staff", "tier": 2}] * 12, visit_date=date(2026, 3, 16))


# --- lift: minimum support -------------------------------------------------------------------------------------

def test_every_lift_needs_the_documented_minimum_of_comments() -> None:
    """A term in 3 comments (lift would be 292 on a large sample) is shown nowhere; one in 5 comments is."""
    sets = [{"rare"}] * 3 + [{"common"}] * 5 + [set()] * 92
    assert "rare" not in set(lift_table(sets, pd.Series([0] * 8 + [10] * 92))["term"])
    groups = group_terms(sets, ["disappointed"] * 8 + ["delighted"] * 92)
    assert groups["term"].tolist() == ["common"]
    assert list(groups.columns) == ["group", "term", "comments", "group_share", "group_lift"]
    row = groups.iloc[0]
    # By hand: 5 of the group's 8 comments; lift against the 92 others, none of which use it.
    assert row["group_share"] == pytest.approx(5 / 8)
    assert row["group_lift"] == pytest.approx((5.5 / 9) / (0.5 / 93))


def test_minimum_grows_with_the_sample() -> None:
    """0.5 % of 2,000 comments = 10: a term in 9 comments is below the minimum, one in 10 is not."""
    sets = [{"nine"}] * 9 + [{"ten"}] * 10 + [set()] * 1981
    ltr = pd.Series([0] * 19 + [10] * 1981)
    assert set(lift_table(sets, ltr)["term"]) == {"ten"}
    assert set(group_terms(sets, ["g"] * 19 + ["h"] * 1981)["term"]) == {"ten"}


# --- complaint themes gating -------------------------------------------------------------------------------------

def test_complaint_and_praise_gating_by_hand() -> None:
    frame = pd.DataFrame([
        {"term": "a", "detractors": 5, "promoters": 0, "lift": 3.0, "lift_low": 1.2, "lift_high": 9.0},  # complaint
        {"term": "b", "detractors": 4, "promoters": 0, "lift": 4.0, "lift_low": 1.5, "lift_high": 9.0},  # too few detractors
        {"term": "c", "detractors": 50, "promoters": 40, "lift": 1.1, "lift_low": 0.9, "lift_high": 1.3},  # not significant
        {"term": "d", "detractors": 0, "promoters": 12, "lift": 0.1, "lift_low": 0.01, "lift_high": 0.4},  # praise
        {"term": "e", "detractors": 0, "promoters": 4, "lift": 0.1, "lift_low": 0.01, "lift_high": 0.3},  # too few promoters
    ])
    assert complaint_themes(frame)["term"].tolist() == ["a"]
    assert praise_themes(frame)["term"].tolist() == ["d"]
    assert MIN_COUNT == 5


def test_a_team_with_few_detractors_names_no_complaint_themes(engine: Engine) -> None:
    _few_detractors(engine)
    v = voice(engine, MARCH, "en")
    assert (v.sampled, v.detractors, v.promoters) == (15, 3, 12)
    themes = v.themes.set_index("term")
    # "waiting" has 3 comments, below the minimum of 5: no lift at all.
    assert "waiting" not in themes.index and "waiting long" not in themes.index
    # "friendly staff" (lift < 1) used to head the complaint list for want of anything else; now no complaint.
    assert "friendly staff" in themes.index and themes.loc["friendly staff", "lift"] < 1
    assert v.complaints.empty and list(v.complaints.columns) == THEME_COLUMNS
    # By hand: d = 0 of 3, p = 12 of 12: lift (0.5/4)/(12.5/13); SE = sqrt(1/0.5 - 1/4 + 1/12.5 - 1/13);
    # upper end = lift x exp(1.96 SE) > 1, so with 3 detractors it is not significant praise either.
    lift = (0.5 / 4) / (12.5 / 13)
    se = math.sqrt(1 / 0.5 - 1 / 4 + 1 / 12.5 - 1 / 13)
    assert themes.loc["friendly staff", "lift"] == pytest.approx(lift)
    assert themes.loc["friendly staff", "lift_high"] == pytest.approx(lift * math.exp(1.96 * se))
    assert themes.loc["friendly staff", "lift_high"] > 1 and v.praise.empty


def test_enough_detractors_name_a_complaint(engine: Engine) -> None:
    LOYALTY.org(engine)
    LOYALTY.responses(engine, [{"ltr": 1, "comment": "waiting long", "tier": 0}] * 15
                 + [{"ltr": 10, "comment": "friendly staff", "tier": 2}] * 12, visit_date=date(2026, 3, 16))
    v = voice(engine, MARCH, "en")
    # By hand: "waiting long": d = 15 of 15, p = 0 of 12: lift (15.5/16)/(0.5/13), lower end above 1.
    row = v.complaints.set_index("term").loc["waiting long"]  # "waiting" alone adds nothing beside it
    lift = (15.5 / 16) / (0.5 / 13)
    se = math.sqrt(1 / 15.5 - 1 / 16 + 1 / 0.5 - 1 / 13)
    assert row["lift"] == pytest.approx(lift) and row["lift_low"] == pytest.approx(lift * math.exp(-1.96 * se))
    assert row["lift_low"] > 1
    assert "friendly staff" not in set(v.complaints["term"])
    assert (v.complaints["lift_low"] > 1).all() and (v.complaints["detractors"] >= MIN_COUNT).all()


# --- chart specs -------------------------------------------------------------------------------------------------

def test_complaint_chart_draws_interval_and_point_sorted_by_lower_end() -> None:
    sets = [{"queue"}] * 40 + [{"rude"}] * 12 + [set()] * 48 + [{"queue"}] * 5 + [set()] * 95
    ltr = pd.Series([0] * 100 + [10] * 100)
    complaints = complaint_themes(lift_table(sets, ltr, min_count=1))
    spec = themes_chart(complaints, "zh-Hant").to_dict()
    rule, point = spec["layer"][0], spec["layer"][1]
    assert rule["mark"]["type"] == "rule"
    assert rule["encoding"]["x"]["field"] == "lift_low" and rule["encoding"]["x2"]["field"] == "lift_high"
    assert point["mark"]["type"] == "point" and point["encoding"]["x"]["field"] == "lift"
    assert rule["encoding"]["y"]["sort"] == complaints.sort_values("lift_low", ascending=False)["term"].tolist()
    # "rude" has the larger lift (25 against 7.4) but the lower lower end: the chart sorts by the lower end.
    assert complaints["term"].tolist() == ["queue", "rude"]
    assert rule["title"]["subtitle"] == t("loyalty.voice.sorted_by_low", "zh-Hant")


def test_service_trends_have_bands_on_a_full_share_axis(engine: Engine) -> None:
    service_metrics(engine)
    trend = sla_trend(engine, Filters(), NOW)
    # By hand: November first response 2 of 4 -> Wilson (0.1500, 0.8500).
    nov = trend.set_index("month").loc["2026-11"]
    assert (nov["first_response_rate_ci_low"], nov["first_response_rate_ci_high"]) == \
        pytest.approx((0.1500, 0.8500), abs=5e-4)
    band, line = compliance_trend_chart(trend, "en").to_dict()["layer"]
    assert band["mark"]["type"] == "area" and band["encoding"]["y2"]["field"] == "ci_high"
    assert band["encoding"]["y"]["scale"]["domain"] == [0, 1] == line["encoding"]["y"]["scale"]["domain"]
    overview = pd.DataFrame({"month": ["2026-10", "2026-11"], "kpi": ["ftf", "ftf"], "value": [0.88, 0.9],
                             "n": [300, 310], "ci_low": [0.84, 0.86], "ci_high": [0.91, 0.93]})
    band, line = service_trend_chart(overview, "zh-Hans").to_dict()["layer"]
    assert band["mark"]["type"] == "area" and band["encoding"]["y"]["field"] == "ci_low"
    assert band["encoding"]["y2"]["field"] == "ci_high"
    assert line["encoding"]["y"]["scale"] == {"domain": [0, 1]}  # no zoom to 86-92 %


# --- Wilson interval on the service KPI --------------------------------------------------------------------------

def test_service_kpi_wilson_interval_by_hand(engine: Engine) -> None:
    service_metrics(engine)
    s = sla_summary(engine, Filters(), NOW)
    assert (s.first_response.k, s.first_response.n) == (4, 7)
    # By hand, Wilson 4 of 7: centre (4/7 + 1.96²/14) / (1 + 1.96²/7), half-width
    # 1.96 sqrt(4/7 x 3/7 / 7 + 1.96²/196) / (1 + 1.96²/7) -> 0.2504 to 0.8418.
    assert s.first_response.ci == pytest.approx((0.2504, 0.8418), abs=5e-4)
    assert s.ftf.ci == pytest.approx((0.1500, 0.8500), abs=5e-4)  # 2 of 4
    empty = sla_summary(engine, Filters(date_from=date(2026, 1, 1), date_to=date(2026, 1, 2)), NOW)
    assert empty.first_response.ci == (None, None)


# --- the pages in 3 languages ------------------------------------------------------------------------------------

def _frame() -> None:
    """The frame: context from the environment, then the page script."""
    import os
    import runpy
    from datetime import date

    from cxdash.db import make_engine
    from cxdash.filters import Filters
    from cxdash.ui.context import PageContext, set_context

    url = os.environ["CXDASH_TEST_PAGE_DB"]
    filters = Filters(date_from=date(2026, 3, 1), date_to=date(2026, 3, 31)) \
        if os.environ["CXDASH_TEST_PAGE"].endswith("voice.py") else Filters()
    set_context(PageContext(make_engine(url), url, os.environ["CXDASH_TEST_PAGE_LANG"], filters, role="admin"))
    runpy.run_path(os.environ["CXDASH_TEST_PAGE"], run_name="__main__")


def _app(engine: Engine, page: str, lang: str) -> AppTest:
    os.environ.update({"CXDASH_TEST_PAGE_DB": engine.url.render_as_string(hide_password=False),
                       "CXDASH_TEST_PAGE_LANG": lang, "CXDASH_TEST_PAGE": str(ROOT / "cxdash" / "ui" / "pages" / page)})
    st.cache_data.clear()
    at = AppTest.from_function(_frame, default_timeout=60)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    return at


@pytest.mark.apptest
@pytest.mark.parametrize("lang", LANGS)
def test_voice_page_says_when_detractors_are_too_few(sqlite_engine: Engine, lang: str) -> None:
    _few_detractors(sqlite_engine)
    at = _app(sqlite_engine, "voice.py", lang)
    infos = [i.value for i in at.info]
    assert t("loyalty.voice.no_complaints", lang, n="3", min=MIN_COUNT) in infos
    # The tables' column configuration (JSON): labels and the definitions in the column help.
    texts = {v.get(k) for df in at.dataframe for v in json.loads(df.proto.columns).values() for k in ("label", "help")}
    assert t("loyalty.col.group_share", lang) in texts and t("loyalty.help.col.group_lift", lang) in texts
    assert t("loyalty.col.share", lang) not in texts  # "Share of R²" belongs to the drivers page


@pytest.mark.apptest
@pytest.mark.parametrize("lang", LANGS)
def test_service_cards_show_the_wilson_interval(sqlite_engine: Engine, lang: str) -> None:
    service_metrics(sqlite_engine)
    at = _app(sqlite_engine, "service.py", lang)
    low, high = sla_summary(sqlite_engine, Filters(), now_minute()).first_response.ci
    expected = t("overview.interval", lang, low=pct(low), high=pct(high))
    assert any(expected in c.value for c in at.caption)
