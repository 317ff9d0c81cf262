"""SLA metrics on hand-made tickets, both databases.

Every policy counts on a 24/7 UTC calendar here, so business minutes are wall minutes and every figure below
is worked out by hand. Targets (defaults): normal 240 / 1440 min, urgent 30 / 480, high 120 / 1440,
low 480 / 2400; at risk at 80 %. ``NOW`` = 2026-11-20 11:56.

| id | prio   | created      | first resp. | resolved     | status   | other                          |
|----|--------|--------------|-------------|--------------|----------|--------------------------------|
| 1  | normal | 10-01 00:00  | +60 met     | +1000 met    | resolved | cust 1; a repeat follows (7)   |
| 2  | normal | 10-02 00:00  | +300 late   | +2000 late   | resolved | reopened, chased twice         |
| 3  | normal | 11-20 07:00  | -           | -            | open     | site 2, warranty; FR due 11:00 |
| 4  | normal | 11-20 08:40  | +20 met     | -            | open     |                                |
| 5  | urgent | 11-20 11:30  | -           | -            | open     | site 2; FR at risk from 11:54  |
| 6  | low    | 10-03 00:00  | +5          | +10          | resolved | merged into 1                  |
| 7  | normal | 10-05 00:00  | +10 met     | +100 met     | resolved | cust 1: repeat of 1            |
| 8  | high   | 11-02 00:00  | +100 met    | +3000 late   | closed   | site 2, complaint              |
| 9  | low    | 11-10 00:00  | -           | -            | open     | both targets long past         |
"""

from __future__ import annotations

import numpy as np
import pytest
from sqlalchemy import Engine

from cxdash.filters import Filters
from cxdash.metrics.service.breakdown import category_pareto, sla_breakdown
from cxdash.metrics.service.compliance import backlog_by_age, sla_summary, sla_trend
from cxdash.metrics.service.lists import Drill, early_warning, ticket_list
from tests.support.snapshots import Snapshots
from tests.world import NOW, d, service_metrics


@pytest.fixture
def sla_db(engine: Engine, snapshots: Snapshots) -> Engine:
    snapshots.seed(engine, service_metrics)
    return engine


def test_summary(sla_db: Engine) -> None:
    s = sla_summary(sla_db, Filters(), NOW)
    assert (s.n, s.merged, s.open, s.at_risk, s.breached_open) == (8, 1, 4, 1, 2)
    assert (s.first_response.k, s.first_response.n) == (4, 7)
    assert (s.resolution.k, s.resolution.n) == (2, 5)
    assert (s.ftf.k, s.ftf.n) == (2, 4) and s.ftf.rate == 0.5
    assert (s.reopen.k, s.reopen.n) == (1, 4) and s.reopen_rate == 0.25
    assert (s.repeat.k, s.repeat.n) == (1, 8) and s.repeat_rate == 0.125
    assert (s.chased.k, s.chased.n) == (1, 8)


def test_summary_respects_filters_and_now(sla_db: Engine) -> None:
    s = sla_summary(sla_db, Filters(site_ids=(2,)), NOW)
    assert (s.n, s.first_response.k, s.first_response.n, s.at_risk, s.breached_open) == (3, 1, 2, 1, 1)
    s = sla_summary(sla_db, Filters(scope_sites=(2,)), NOW)
    assert s.n == 3
    early = sla_summary(sla_db, Filters(), d(11, 20, 10))  # before ticket 3's first-response due time
    assert early.breached_open == 1 and early.first_response.n == 6
    october = sla_summary(sla_db, Filters(date_from=d(10, 1).date(), date_to=d(10, 31).date()), NOW)
    assert (october.n, october.merged) == (3, 1)
    empty = sla_summary(sla_db, Filters(date_from=d(1, 1).date(), date_to=d(1, 2).date()), NOW)
    assert empty.n == 0 and np.isnan(empty.first_response.rate)


def test_trend_by_month_and_week(sla_db: Engine) -> None:
    tr = sla_trend(sla_db, Filters(), NOW)
    assert tr["month"].tolist() == ["2026-10", "2026-11"]
    assert tr["n"].tolist() == [3, 5]
    assert tr["first_response_rate"].tolist() == pytest.approx([2 / 3, 2 / 4])
    assert tr["resolution_rate"].tolist() == pytest.approx([2 / 3, 0 / 2])
    assert tr["ftf_rate"].tolist() == pytest.approx([1 / 3, 1.0])
    weeks = sla_trend(sla_db, Filters(), NOW, period="week")
    # 2026-10-01 is a Thursday (week of 09-28); 10-05 a Monday; 11-02 a Monday; 11-10 and 11-20 in later weeks.
    assert weeks["week"].tolist() == ["2026-09-28", "2026-10-05", "2026-11-02", "2026-11-09", "2026-11-16"]
    assert weeks["n"].tolist() == [2, 1, 1, 1, 3]


def test_breakdown_by_team_with_percentiles(sla_db: Engine) -> None:
    b = sla_breakdown(sla_db, Filters(), "team", NOW).set_index("key")
    assert b.loc[1, "n"] == 5 and b.loc[2, "n"] == 3
    assert b.loc[1, "merged"] == 1 and b.loc[2, "merged"] == 0
    assert b.loc[1, "name"] == "Site 1 / Team 1"
    assert b.loc[1, "first_response_rate"] == pytest.approx(3 / 5)  # 1, 4, 7 met; 2, 9 late
    frt_team1 = [60, 300, 20, 10]
    assert b.loc[1, "frt_median"] == pytest.approx(np.percentile(frt_team1, 50))
    assert b.loc[1, "frt_p90"] == pytest.approx(np.percentile(frt_team1, 90))
    assert b.loc[2, "res_median"] == pytest.approx(3000) and b.loc[2, "res_n"] == 1


def test_breakdown_overall_percentiles_and_priorities(sla_db: Engine) -> None:
    b = sla_breakdown(sla_db, Filters(), "priority", NOW)
    assert b["key"].tolist() == ["urgent", "high", "normal", "low"]
    low = b.set_index("key").loc["low"]
    assert (low["n"], low["merged"]) == (1, 1)
    from cxdash.metrics.service.percentiles import time_percentiles

    p = time_percentiles(sla_db, Filters()).iloc[0]
    frt = [60, 300, 20, 10, 100]
    res = [1000, 2000, 100, 3000]
    assert (p["frt_n"], p["res_n"]) == (5, 4)
    assert p["frt_median"] == pytest.approx(np.percentile(frt, 50)) and p["frt_p90"] == pytest.approx(np.percentile(frt, 90))
    assert p["res_median"] == pytest.approx(np.percentile(res, 50)) and p["res_p90"] == pytest.approx(np.percentile(res, 90))


def test_breakdown_rejects_unknown_grouping(sla_db: Engine) -> None:
    with pytest.raises(ValueError, match="unknown grouping"):
        sla_breakdown(sla_db, Filters(), "colour", NOW)


def test_pareto(sla_db: Engine) -> None:
    vol = category_pareto(sla_db, Filters(), "volume")
    assert vol["category"].tolist() == ["billing", "complaint", "warranty"]
    assert vol["n"].tolist() == [6, 1, 1]
    assert vol["cum_share"].tolist() == pytest.approx([0.75, 0.875, 1.0])
    rep = category_pareto(sla_db, Filters(), "repeats")
    assert rep["repeats"].tolist() == [1, 0, 0] and rep["share"].iloc[0] == 1.0


def test_backlog(sla_db: Engine) -> None:
    b = backlog_by_age(sla_db, Filters(), NOW).set_index("bucket")
    assert b["n"].to_dict() == {"lt1d": 3, "1to3d": 0, "3to7d": 0, "7to30d": 1, "gt30d": 0}
    assert b["breached"].to_dict() == {"lt1d": 1, "1to3d": 0, "3to7d": 0, "7to30d": 1, "gt30d": 0}


def test_early_warning_lists(sla_db: Engine) -> None:
    risk = early_warning(sla_db, Filters(), "at_risk", NOW)
    assert risk.total == 1 and risk.rows["id"].tolist() == [5]
    row = risk.rows.iloc[0]
    assert row["target"] == "first_response" and row["minutes_left"] == pytest.approx(4)
    assert row["agent"] == "Agent 3" and row["age_hours"] == pytest.approx(26 / 60)
    late = early_warning(sla_db, Filters(), "breached", NOW)
    assert late.rows["id"].tolist() == [9, 3]
    assert late.rows["minutes_left"].tolist() == pytest.approx([-(10 * 1440 + 11 * 60 + 56 - 480), -56])
    assert early_warning(sla_db, Filters(), "breached", NOW, limit=1, offset=1).rows["id"].tolist() == [3]
    with pytest.raises(ValueError):
        early_warning(sla_db, Filters(), "soon", NOW)


@pytest.mark.parametrize(
    ("drill", "ids"),
    [
        (Drill("category", "billing", "frt_breached"), [9, 2]),
        (Drill(outcome="merged"), [6]),
        (Drill(period="2026-10"), [7, 2, 1]),
        (Drill(period="2026-10-05"), [7]),
        (Drill("team", "2"), [5, 3, 8]),
        (Drill("priority", "urgent", "at_risk"), [5]),
        (Drill(outcome="not_ftf"), [2, 1]),
        (Drill(outcome="repeat"), [7]),
        (Drill("category", "", None), []),
        (Drill("age", "lt1d"), [5, 4, 3]),  # the open tickets of a backlog bar, as backlog_by_age counts them
        (Drill("age", "7to30d"), [9]),
        (Drill(outcome="res_breached", period="2026-11"), [9, 8]),  # a point of the compliance trend
    ],
)
def test_drill_down(sla_db: Engine, drill: Drill, ids: list[int]) -> None:
    page = ticket_list(sla_db, Filters(), drill, NOW)
    assert page.rows["id"].tolist() == ids and page.total == len(ids)


def test_drill_down_rejects_bad_input(sla_db: Engine) -> None:
    for bad in (Drill(outcome="everything"), Drill("team", "x"), Drill(period="2026-13"), Drill("age", "old")):
        with pytest.raises(ValueError):
            ticket_list(sla_db, Filters(), bad, NOW)


def test_charts_carry_what_a_click_drills_to(sla_db: Engine) -> None:
    from cxdash.charts.service import backlog_chart, breakdown_chart, compliance_trend_chart

    def pick_fields(chart: object) -> list[str]:
        spec = chart.to_dict()  # type: ignore[attr-defined]
        return [f for p in spec.get("params", []) if p["name"] == "pick" for f in p["select"]["fields"]]

    bd = sla_breakdown(sla_db, Filters(), "category", NOW)
    chart = breakdown_chart(bd, "zh-Hans", ("first_response_rate", "resolution_rate"))
    assert pick_fields(chart) == ["key", "measure"]
    assert set(chart.data["measure"]) == {"first_response_rate", "resolution_rate"}
    assert pick_fields(compliance_trend_chart(sla_trend(sla_db, Filters(), NOW), "en")) == ["month", "measure"]
    backlog = backlog_chart(backlog_by_age(sla_db, Filters(), NOW), "zh-Hant")
    assert pick_fields(backlog) == ["code"] and "7to30d" in set(backlog.data["code"])
