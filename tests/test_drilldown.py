"""Drill-down levels, URL state, breadcrumb and the response list (pagination, literal search) on both DBs."""

from __future__ import annotations

from datetime import date

import pytest
from scipy import stats as sps

from cxdash.filters import Filters
from cxdash.metrics.experience.drilldown import DrillState, breadcrumb, drill_filters, level_table
from cxdash.metrics.response_list import escape_like, response_export, response_list
from tests.world import EXPERIENCE

COMMENTS = ["取车通知太晚，等了很久", "100% happy_customer", "<script>alert(1)</script>", "=cmd|' /C calc'!A0", None]


def _load(engine):
    tp = EXPERIENCE.org(engine)
    rows = []
    for i in range(60):
        team = [1, 1, 2, 3][i % 4]
        rows.append({"team_id": team, "visit_date": date(2026, 3, 1 + i % 28), "ltr": i % 11, "tier": i % 3,
                     "comment": COMMENTS[i % 5],
                     "scores": [("CON02", 2 + i % 3, 6), ("CON01", 5, 5), ("REC01", 6, 5)]})
    EXPERIENCE.responses(engine, rows)
    return tp


def test_state_round_trip_and_hostile_params():
    s = DrillState("CON", 9, 1, 2, 3, 4)
    assert DrillState.from_params(s.to_params()) == s
    assert s.level == "responses" and DrillState().level == "stage"
    assert DrillState("CON").down("9") == DrillState("CON", 9)
    assert s.up_to("site") == DrillState("CON", 9, 1)
    bad = {"d_stage": "CON", "d_touchpoint": "1; DROP TABLE x", "d_region": "1"}
    assert DrillState.from_params(bad) == DrillState("CON")  # a malformed level ends the path
    assert DrillState.from_params({"d_stage": "<b>x</b>"}) == DrillState()
    assert DrillState.from_params({"d_stage": ["REC"], "d_touchpoint": ["3"]}) == DrillState("REC", 3)


def test_levels(engine):
    tp = _load(engine)
    stages = level_table(engine, Filters(), DrillState())
    assert list(stages["key"]) == ["REC", "CON", "RES", "VAL", "HND"]
    con = stages.set_index("key").loc["CON"]
    d = [(2 + i % 3 - 6) / 6 for i in range(60)] + [0.0] * 60  # CON01 and CON02 pooled
    assert con["n"] == 120 and con["gap"] == pytest.approx(sum(d) / 120)
    tps = level_table(engine, Filters(), DrillState("CON"))
    assert list(tps["key"])[:2] == [tp["CON01"], tp["CON02"]]
    regions = level_table(engine, Filters(), DrillState("CON", tp["CON02"]))
    assert list(regions["key"]) == [1, 2]
    sites = level_table(engine, Filters(), DrillState("CON", tp["CON02"], 1))
    assert set(sites["key"]) == {1, 2}
    people = level_table(engine, Filters(), DrillState("CON", tp["CON02"], 1, 1, 1))
    assert list(people["name"]) == ["Person 1"] and people["n"].iloc[0] == 30
    mine = [(2 + i % 3 - 6) / 6 for i in range(60) if i % 4 in (0, 1)]
    ref = sps.ttest_1samp(mine, 0.0)
    ci = ref.confidence_interval(0.95)
    assert people["gap"].iloc[0] == pytest.approx(sum(mine) / 30)
    assert people["q_value"].iloc[0] == pytest.approx(ref.pvalue)  # one unit: q = p
    assert (people["ci_low"].iloc[0], people["ci_high"].iloc[0]) == (pytest.approx(ci.low), pytest.approx(ci.high))
    assert level_table(engine, Filters(), DrillState("CON", tp["CON02"], 1, 1, 1, 1)).empty
    with pytest.raises(ValueError):
        drill_filters(Filters(site_ids=(3,)), DrillState("CON", tp["CON02"], 1, 1))


def test_breadcrumb(engine):
    tp = _load(engine)
    crumbs = breadcrumb(engine, DrillState("CON", tp["CON02"], 1, 1), "zh-Hans")
    labels = [c[0] for c in crumbs]
    assert labels == ["全部阶段", "高效洽谈", "结算费用时间及付款方式确认", "北区", "Site one"]
    assert crumbs[0][1] == DrillState() and crumbs[2][1] == DrillState("CON", tp["CON02"])


def test_response_list(engine):
    tp = _load(engine)
    state = DrillState("CON", tp["CON02"], 1, 1, 1, 1)
    page = response_list(engine, Filters(), state, page_size=7)
    assert page.total == 30 and page.pages == 5 and len(page.rows) == 7
    assert list(page.rows.columns) == ["response_id", "visit_date", "site", "person", "p", "e", "scale", "tier",
                                       "ltr", "nps_group", "comment"]
    expected = {v: "Promoter" if v >= 9 else "Passive" if v >= 7 else "Detractor" for v in range(11)}
    assert all(expected[int(v)] == g for v, g in zip(page.rows["ltr"], page.rows["nps_group"], strict=True))
    assert page.rows["site"].iloc[0] == "Site one" and page.rows["scale"].iloc[0] == "1-7"
    dates = list(page.rows["visit_date"])
    assert dates == sorted(dates, reverse=True)
    last = response_list(engine, Filters(), state, page=99, page_size=7)
    assert last.page == 5 and len(last.rows) == 2
    # search is literal: % and _ are not wildcards, markup and formulas come back as plain text
    assert response_list(engine, Filters(), state, search="100%").total == 6
    assert response_list(engine, Filters(), state, search="%").total == 6
    assert response_list(engine, Filters(), state, search="y_c").total == 6
    assert response_list(engine, Filters(), state, search="HAPPY").total == 6
    assert response_list(engine, Filters(), state, search="通知").total == 6
    hit = response_list(engine, Filters(), state, search="<script>")
    assert hit.total == 6 and hit.rows["comment"].iloc[0] == "<script>alert(1)</script>"
    assert response_list(engine, Filters(), state, search="'; DROP TABLE survey_response; --").total == 0
    assert len(response_export(engine, Filters(), state)) == 30
    zh = response_list(engine, Filters(), state, lang="zh-Hant")
    assert set(zh.rows["tier"]) <= {"失望", "基本滿意", "驚喜", "無分層"}


def test_escape_like():
    assert escape_like("100%_\\") == "100\\%\\_\\\\"
