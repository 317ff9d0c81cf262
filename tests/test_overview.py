"""The executive overview: cards against hand counts and the previous period, composition with the SLA, churn,
gap and plan modules on a small demo, the tidy trend, worst touchpoints, charts, and an empty database."""

from __future__ import annotations

import math
from datetime import date, datetime

import pytest
from sqlalchemy import insert

from cxdash.charts.overview import (
    kpi_trend_chart,
    service_trend_chart,
    tier_trend_chart,
    worst_touchpoints_chart,
)
from cxdash.demo import build_demo
from cxdash.domain.kpis import KPI_CODES
from cxdash.filters import Filters
from cxdash.i18n import t
from cxdash.metrics.experience.gaps import gap_table
from cxdash.metrics.experience.tiers import tier_shares
from cxdash.metrics.improve.plans import plan_counts
from cxdash.metrics.loyalty.churn import churn_rate
from cxdash.metrics.nps import nps, nps_from_counts
from cxdash.metrics.overview.cards import WORST_COLUMNS, overview, overview_trends, worst_touchpoints
from cxdash.metrics.overview.kpi_cards import NO_COMPARISON, SIGNIFICANT, WITHIN_NOISE
from cxdash.metrics.satisfaction import ces, csat, wilson
from cxdash.metrics.service.compliance import sla_summary
from cxdash.schema import kpi_target
from tests.world import OVERVIEW

MARCH = Filters(date_from=date(2026, 3, 1), date_to=date(2026, 3, 31))  # previous: Jan 29 - Feb 28


def _hand_rows(engine) -> None:  # noqa: ANN001
    OVERVIEW.org(engine)
    # March: 5 promoters, 3 passives, 2 detractors (NPS 30); CSAT 6 of 10; tiers 2/5/2/1.
    OVERVIEW.responses(engine, [
        {"ltr": v, "csat": c, "tier": tr, "ces": 6}
        for v, c, tr in zip([9, 10, 9, 10, 9, 7, 8, 7, 0, 6], [5, 5, 4, 4, 4, 4, 3, 2, 1, 1],
                            [2, 2, 1, 1, 1, 1, 1, 0, 0, None], strict=True)
    ])
    # February: 2 promoters, 3 passives, 5 detractors (NPS -30); CSAT 2 of 10.
    OVERVIEW.responses(engine, [
        {"ltr": v, "csat": c, "tier": 0, "ces": 3}
        for v, c in zip([9, 10, 7, 8, 7, 0, 1, 2, 3, 6], [5, 4, 3, 3, 3, 2, 2, 1, 1, 1], strict=True)
    ], day=date(2026, 2, 10))
    with engine.begin() as conn:
        conn.execute(insert(kpi_target), [{"kpi": "nps", "scope_kind": "all", "value": 25.0},
                                          {"kpi": "share_disappointed", "scope_kind": "all", "value": 0.1}])


def test_cards_against_hand_counts_and_previous_period(engine) -> None:  # noqa: ANN001
    _hand_rows(engine)
    o = overview(engine, MARCH, as_of=date(2026, 3, 31))
    assert (o.previous_from, o.previous_to) == (date(2026, 1, 29), date(2026, 2, 28))
    card = o.card("nps")
    cur, prev = nps_from_counts(5, 3, 2), nps_from_counts(2, 3, 5)
    assert (card.value, card.previous, card.n) == (pytest.approx(30.0), pytest.approx(-30.0), 10)
    assert (card.ci_low, card.ci_high) == (pytest.approx(cur.ci_low), pytest.approx(cur.ci_high))
    threshold = 1.96 * math.sqrt(cur.se**2 + prev.se**2)  # type: ignore[operator]
    assert card.change is not None and card.change.threshold == pytest.approx(threshold)
    assert card.verdict == (SIGNIFICANT if threshold < 60 else WITHIN_NOISE)
    assert (card.target, card.target_met) == (25.0, True)

    c = o.card("csat")
    assert (c.value, c.previous, c.n) == (pytest.approx(0.6), pytest.approx(0.2), 10)
    assert (c.ci_low, c.ci_high) == pytest.approx(wilson(6, 10))
    pooled = 8 / 20
    assert c.change.threshold == pytest.approx(1.96 * math.sqrt(pooled * (1 - pooled) * 0.2))  # type: ignore[union-attr]
    assert c.verdict == WITHIN_NOISE  # z = 0.4 / 0.219 = 1.83 < 1.96
    d = o.card("share_disappointed")
    assert (d.value, d.previous, d.target, d.target_met) == (pytest.approx(0.2), pytest.approx(1.0), 0.1, False)
    assert o.card("share_none").value == pytest.approx(0.1)
    assert o.card("ces").value == pytest.approx(6.0) and o.card("ces").previous == pytest.approx(3.0)
    assert o.card("ces").verdict == SIGNIFICANT  # no spread in either period: any difference is beyond noise
    # No tickets, customers or plans: those cards are empty, not errors.
    assert o.card("sla_first_response").value is None and o.card("sla_first_response").verdict == NO_COMPARISON
    assert o.card("churn").value is None and o.card("plans_open").value == 0.0
    assert [c.key for c in o.cards] == list(KPI_CODES)


def test_csat_change_by_hand() -> None:
    """The pooled z for 6/10 vs 2/10: 0.4 / sqrt(0.4 * 0.6 * 0.2) = 1.826 -> within noise."""
    from cxdash.metrics.significance import compare_proportions, proportion

    ch = compare_proportions(proportion(6, 10), proportion(2, 10))
    assert ch.delta == pytest.approx(0.4)
    assert ch.significant is False


def test_records_are_flat_and_plain(engine) -> None:  # noqa: ANN001
    _hand_rows(engine)
    rec = {r["key"]: r for r in overview(engine, MARCH).records()}
    assert set(rec) == set(KPI_CODES)
    assert rec["nps"]["verdict"] in (SIGNIFICANT, WITHIN_NOISE)
    assert rec["nps"]["test"] == "nps_se" and rec["csat"]["test"] == "two_proportion_z"
    assert rec["ces"]["test"] == "welch_t" and rec["plans_open"]["verdict"] == NO_COMPARISON
    assert all(isinstance(v, (int, float, str, bool, type(None))) for r in rec.values() for v in r.values())
    with pytest.raises(KeyError):
        overview(engine, MARCH).card("nope")


def test_no_date_range_means_no_comparison(engine) -> None:  # noqa: ANN001
    _hand_rows(engine)
    o = overview(engine, Filters())
    assert o.previous_from is None
    assert o.card("nps").n == 20 and o.card("nps").verdict == NO_COMPARISON


def test_empty_database(engine) -> None:  # noqa: ANN001
    o = overview(engine, MARCH)
    assert all(c.value is None for c in o.cards if c.unit != "count")
    assert overview_trends(engine, MARCH).empty


END = date(2026, 6, 30)
LAST_QUARTER = Filters(date_from=date(2026, 4, 1), date_to=END)


@pytest.fixture
def demo(engine, snapshots):  # noqa: ANN001, ANN201
    snapshots.seed(engine, build_demo, responses=800, tickets=800, seed=11, end_date=END)
    return engine


def test_composition_matches_each_metric_module(demo) -> None:  # noqa: ANN001
    f, prev = LAST_QUARTER, LAST_QUARTER.previous_period()
    assert prev is not None
    o = overview(demo, f, as_of=END)
    assert o.card("nps").value == pytest.approx(nps(demo, f).score)
    assert o.card("nps").previous == pytest.approx(nps(demo, prev).score)
    assert o.card("csat").value == pytest.approx(csat(demo, f).rate)
    assert o.card("ces").value == pytest.approx(ces(demo, f).mean)
    assert o.card("share_delighted").value == pytest.approx(tier_shares(demo, f).shares["delighted"])
    sla = sla_summary(demo, f, datetime(2026, 7, 1))  # the overview judges open tickets at the end of as_of
    assert o.card("sla_first_response").value == pytest.approx(sla.first_response.rate)
    assert o.card("sla_resolution").n == sla.resolution.n
    assert o.card("ftf").value == pytest.approx(sla.ftf.rate)
    ch = churn_rate(demo, f, END)
    assert (o.card("churn").value, o.card("churn").n) == (pytest.approx(ch.rate), ch.n)
    # The demo's two years support a 365-day churn rate as of END only (a window of activity and one of silence
    # behind it): the previous quarter's as-of day lies before that, so its change is not tested (issue 20.5).
    assert o.card("churn").previous is None and o.card("churn").verdict == "no_comparison"
    assert o.churn_note is not None and not o.churn_note.censored
    plans = plan_counts(demo, f, END)
    assert (o.card("plans_open").value, o.card("plans_overdue").value) == (plans.open, plans.overdue)
    improved = o.card("plans_improved")
    assert improved.n == plans.closed_measured
    assert improved.value == (plans.closed_improved / plans.closed_measured if plans.closed_measured else None)
    assert o.card("nps").target == 40.0  # the demo's brand-wide targets
    assert o.as_of == END
    _check_trend(demo)


def _check_trend(demo) -> None:  # noqa: ANN001
    """The tidy trend's rows equal each metric computed on its month alone."""
    trend = overview_trends(demo, LAST_QUARTER, as_of=END)
    assert list(trend.columns) == ["month", "kpi", "value", "n", "ci_low", "ci_high"]
    assert set(trend["kpi"]) == set(KPI_CODES) - {"plans_open", "plans_overdue", "plans_improved"}
    may = Filters(date_from=date(2026, 5, 1), date_to=date(2026, 5, 31))
    row = trend[(trend["kpi"] == "nps") & (trend["month"] == "2026-05")].iloc[0]
    r = nps(demo, may)
    assert (row["value"], row["n"]) == (pytest.approx(r.score), r.n)
    # Churn months before the history supports them (the demo's two years: only June, as of END) are left out.
    churn_rows = trend[trend["kpi"] == "churn"]
    assert list(churn_rows["month"]) == ["2026-06"]
    assert churn_rows.iloc[0]["value"] == pytest.approx(churn_rate(demo, LAST_QUARTER, END).rate)
    row = trend[(trend["kpi"] == "csat") & (trend["month"] == "2026-06")].iloc[0]
    assert row["value"] == pytest.approx(csat(demo, may.with_dates(date(2026, 6, 1), END)).rate)
    assert list(trend["month"].unique()) == ["2026-04", "2026-05", "2026-06"]


def test_worst_touchpoints_and_charts(demo) -> None:  # noqa: ANN001
    """Worst touchpoints are the most negative significant gaps; every chart builds in every language."""
    worst = worst_touchpoints(demo, Filters(), "zh-Hans")
    table = gap_table(demo, Filters(), "zh-Hans", with_importance=False)
    expected = table[table["significant"] & (table["gap"] < 0)].sort_values("gap").head(3)
    assert list(worst.columns) == WORST_COLUMNS
    assert list(worst["touchpoint_code"]) == list(expected["touchpoint_code"])
    assert len(worst) == 3 and (worst["gap"] < 0).all()
    assert set(worst["touchpoint_code"]) == {"CON02", "RES03", "HND02"}  # the demo's planted shortfalls
    trend = overview_trends(demo, LAST_QUARTER, as_of=END)
    for lang in ("en", "zh-Hans", "zh-Hant"):
        spec = kpi_trend_chart(trend, "nps", lang, target=40.0).to_dict()
        title = t("overview.trend.chart_title", lang, kpi=t("overview.kpi.nps.title", lang))
        assert spec["layer"][1]["title"] == title
        assert tier_trend_chart(trend, lang).to_dict()["title"] == t("overview.trend.tiers_title", lang)
        service_trend_chart(trend, lang).to_dict()
        named = worst_touchpoints(demo, LAST_QUARTER, lang)
        assert named["touchpoint_name"].notna().all()
        worst_touchpoints_chart(named, lang).to_dict()
