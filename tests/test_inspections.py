"""Inspection forms, the result list, the heat map of latest scores and the monthly trend."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from cxdash.auth import local_user
from cxdash.db import data_version
from cxdash.filters import Filters
from cxdash.improve import checklist
from cxdash.improve import inspection_results as results
from cxdash.improve.errors import InputError
from cxdash.schema import inspection
from tests.world import CLOSEDLOOP, item_ids

TODAY = date(2026, 6, 30)
ADMIN = local_user()


def test_record_a_site_visit(engine) -> None:
    CLOSEDLOOP.org(engine)
    items = item_ids(engine)
    v0 = data_version(engine)
    with engine.begin() as conn:
        ids = results.record_inspection(
            conn, site_id=2, inspected_on=date(2026, 6, 1), inspector=" Chen ",
            scores={items["CL-CON02-1"]: 4, items["CL-CON02-2"]: 7.5, items["CL-REC01-1"]: None},
            notes={items["CL-CON02-1"]: "no consent recorded on 3 of 5 orders"}, note="busy Monday", today=TODAY,
            user=ADMIN,
        )
    assert len(ids) == 2 and data_version(engine) > v0
    rows = results.inspection_results(engine, Filters(), "zh-Hans")
    assert sorted(rows["score"]) == [4.0, 7.5]
    assert set(rows["inspector"]) == {"Chen"}
    notes = dict(zip(rows["item_id"], rows["note"], strict=True))
    assert notes == {items["CL-CON02-1"]: "no consent recorded on 3 of 5 orders", items["CL-CON02-2"]: "busy Monday"}
    assert "取车时费用超出预期" in set(rows["pain_point"])


@pytest.mark.parametrize(
    ("kwargs", "key"),
    [
        ({"inspector": ""}, "improve.err.inspector_required"),
        ({"site_id": 99}, "improve.err.unknown_site"),
        ({"inspected_on": date(2026, 7, 1)}, "improve.err.future_date"),
        ({"scores": {}}, "improve.err.no_scores"),
        ({"scores": {1: None}}, "improve.err.no_scores"),
        ({"scores": {1: 11}}, "improve.err.score_range"),
        ({"scores": {1: -1}}, "improve.err.score_range"),
        ({"scores": {1: "good"}}, "improve.err.score_range"),
        ({"scores": {9999: 5}}, "improve.err.unknown_item"),
    ],
)
def test_invalid_forms_change_nothing(engine, kwargs, key) -> None:
    CLOSEDLOOP.org(engine)
    values = {"site_id": 1, "inspected_on": date(2026, 6, 1), "inspector": "Chen", "scores": {1: 5}, **kwargs}
    with pytest.raises(InputError) as err, engine.begin() as conn:
        results.record_inspection(conn, today=TODAY, user=ADMIN, **values)
    assert err.value.key == key
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(inspection)).scalar_one() == 0


def test_retired_items_cannot_be_scored(engine) -> None:
    CLOSEDLOOP.org(engine)
    with engine.begin() as conn:
        checklist.deactivate_item(conn, 1, user=ADMIN)
    with pytest.raises(InputError), engine.begin() as conn:
        results.record_inspection(conn, site_id=1, inspected_on=date(2026, 6, 1), inspector="x", scores={1: 5},
                                  today=TODAY, user=ADMIN)


def _history(engine) -> dict[str, int]:
    items = item_ids(engine)
    a, b, c = items["CL-CON02-1"], items["CL-CON02-2"], items["CL-REC01-1"]
    CLOSEDLOOP.inspections(engine, [
        (a, 1, date(2026, 4, 2), 2.0), (a, 1, date(2026, 5, 3), 6.0),  # latest at site 1: 6
        (b, 1, date(2026, 5, 3), 8.0), (b, 1, date(2026, 5, 3), 9.0),  # same day twice: mean 8.5
        (c, 1, date(2026, 5, 3), 10.0),
        (a, 3, date(2026, 4, 10), 3.0),  # site 3 is in region 2
    ])
    return {"a": a, "b": b, "c": c}


def test_heatmap_uses_each_items_latest_score(engine) -> None:
    tps = CLOSEDLOOP.org(engine)
    _history(engine)
    hm = results.heatmap(engine, Filters(), "en").set_index(["site_id", "touchpoint_code"])
    assert hm.loc[(1, "CON02"), "score"] == pytest.approx((6.0 + 8.5) / 2)
    assert hm.loc[(1, "CON02"), "items"] == 2
    assert hm.loc[(1, "CON02"), "last_inspected"] == date(2026, 5, 3)
    assert hm.loc[(1, "REC01"), "score"] == 10.0
    assert hm.loc[(3, "CON02"), "score"] == 3.0
    assert len(hm) == 3
    # The date range decides which score is the latest; the region filter drops site 3.
    early = results.heatmap(engine, Filters(date_to=date(2026, 4, 30), region_ids=(1,)), "en")
    assert early[["site_id", "score"]].values.tolist() == [[1, 2.0]]
    assert results.heatmap(engine, Filters(scope_sites=(), scope_teams=(3,)), "en")["site_id"].tolist() == [3]
    assert tps["CON02"] in set(results.heatmap(engine, Filters(), "zh-Hant")["touchpoint_id"])
    assert "結算費用時間及付款方式確認" in set(results.heatmap(engine, Filters(), "zh-Hant")["touchpoint_name"])


def test_trend_per_month(engine) -> None:
    tps = CLOSEDLOOP.org(engine)
    _history(engine)
    trend = results.score_trend(engine, Filters())
    assert trend["month"].tolist() == ["2026-04", "2026-05"]
    assert trend["n"].tolist() == [2, 4]
    assert trend["mean_score"].tolist() == pytest.approx([2.5, (6 + 8 + 9 + 10) / 4])
    rec = results.score_trend(engine, Filters(), touchpoint_id=tps["REC01"])
    assert rec[["month", "n"]].values.tolist() == [["2026-05", 1]]


def test_result_filters_and_site_options(engine) -> None:
    tps = CLOSEDLOOP.org(engine)
    _history(engine)
    assert len(results.inspection_results(engine, Filters())) == 6
    assert len(results.inspection_results(engine, Filters(team_ids=(3,)))) == 1
    assert len(results.inspection_results(engine, Filters(), touchpoint_ids=(tps["REC01"],))) == 1
    assert len(results.inspection_results(engine, Filters(), site_ids=(1,), limit=2)) == 2
    assert results.inspection_results(engine, Filters())["inspected_on"].iloc[0] == date(2026, 5, 3)
    assert results.site_options(engine, Filters(region_ids=(2,)))["code"].tolist() == ["S3", "S4"]
