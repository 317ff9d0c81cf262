"""Tier analysis against hand counts and scipy, on both databases, with and without summaries."""

from __future__ import annotations

import math
from datetime import date, datetime

import numpy as np
import pytest
from scipy import stats as sps
from sqlalchemy import insert, select

from cxdash.domain.tiers import TIER_NAMES, get_tolerance
from cxdash.filters import Filters
from cxdash.metrics.experience import tier_analysis as ta
from cxdash.metrics.experience.tier_settings import recompute_tiers, set_tolerance
from cxdash.metrics.experience.tier_value import tier_value
from cxdash.schema import customer, survey_response
from cxdash.summaries import refresh_summaries
from tests.world import EXPERIENCE

# (team, month, tier, count): team 1 (site 1) is more disappointed in March than in February
MIX = [
    (1, 2, 0, 6), (1, 2, 1, 20), (1, 2, 2, 10), (1, 2, None, 4),
    (1, 3, 0, 14), (1, 3, 1, 16), (1, 3, 2, 8), (1, 3, None, 2),
    (2, 2, 0, 3), (2, 2, 1, 12), (2, 2, 2, 9),
    (2, 3, 0, 2), (2, 3, 1, 11), (2, 3, 2, 12), (2, 3, None, 1),
]


def _load(engine, summaries: bool):
    EXPERIENCE.org(engine)
    rows = []
    for team_id, month, tier, count in MIX:
        for i in range(count):
            rows.append({"team_id": team_id, "visit_date": date(2026, month, 1 + i % 28), "tier": tier,
                         "ltr": [3, 8, 10][tier] if tier is not None else 7, "csat": [2, 4, 5][tier] if tier is not None else None,
                         "channel": "phone" if i % 2 else "workshop"})
    EXPERIENCE.responses(engine, rows)
    if summaries:
        with engine.begin() as conn:
            refresh_summaries(conn)


def _counts(team=None, month=None):
    out = dict.fromkeys(TIER_NAMES, 0)
    for t_id, m, tier, count in MIX:
        if (team is None or t_id == team) and (month is None or m == month):
            out[ta.tier_name(tier)] += count
    return out


@pytest.mark.parametrize("summaries", [False, True])
def test_counts_trend_breakdown(engine, summaries):
    _load(engine, summaries)
    assert ta.tier_counts(engine, Filters()) == _counts()
    trend = ta.tier_trend(engine, Filters())
    mar = trend[trend["period"] == "2026-03"].set_index("tier")
    assert mar.loc["disappointed", "n"] == 16 and mar.loc["disappointed", "total"] == 66
    assert mar.loc["disappointed", "share"] == pytest.approx(16 / 66)
    weekly = ta.tier_trend(engine, Filters(date_from=date(2026, 3, 2), date_to=date(2026, 3, 8)), "week")
    assert set(weekly["period"]) == {"2026-03-02"}
    br = ta.tier_breakdown(engine, Filters(), "site")
    assert list(br["key"]) == [1, 2]  # site 1 is the more disappointed
    assert br.loc[0, "n"] == 80 and br.loc[0, "disappointed"] == 20 and br.loc[0, "name"] == "Site one"
    assert br.loc[0, "share_none"] == pytest.approx(6 / 80)
    by_channel = ta.tier_breakdown(engine, Filters(), "channel")
    assert by_channel["n"].sum() == sum(_counts().values())


@pytest.mark.parametrize("summaries", [False, True])
def test_chi_square_comparisons(engine, summaries):
    _load(engine, summaries)
    march = Filters(date_from=date(2026, 3, 1), date_to=date(2026, 3, 31))
    cmp = ta.compare_previous(engine, march, "en")
    # the previous period of March (31 days) runs from 29 January to 28 February
    a, b = _counts(month=3), _counts(month=2)
    ref = sps.chi2_contingency(np.array([[a[x] for x in TIER_NAMES], [b[x] for x in TIER_NAMES]]), correction=False)
    assert cmp.chi.p_value == pytest.approx(ref.pvalue) and cmp.chi.statistic == pytest.approx(ref.statistic)
    assert cmp.tier == "disappointed"
    assert "rose from 14 % to 24 %" in cmp.sentence
    zh = ta.compare_previous(engine, march, "zh-Hans")
    assert "失望" in zh.sentence and "14 %" in zh.sentence
    grp = ta.compare_group(engine, Filters(), "team", 1, "en", "Team one")
    g, rest = _counts(team=1), _counts(team=2)
    assert grp.counts_a == g and grp.counts_b == rest
    ref2 = sps.chi2_contingency(np.array([[g[x] for x in TIER_NAMES], [rest[x] for x in TIER_NAMES]]), correction=False)
    assert grp.chi.p_value == pytest.approx(ref2.pvalue)
    assert grp.significant == (ref2.pvalue < 0.05) and "Team one" in grp.sentence
    assert ta.compare_previous(engine, Filters(), "en") is None
    with pytest.raises(ValueError):
        ta.group_filters(Filters(site_ids=(2,)), "site", 1)


def test_tier_value(engine):
    _load(engine, True)
    with engine.begin() as conn:
        conn.execute(insert(customer), [
            {"id": i, "external_id": f"c{i}", "first_event_at": datetime(2024, 1, 1),
             "last_event_at": datetime(2026, 3, 28) if i % 2 else datetime(2024, 6, 1)} for i in range(1, 11)
        ])
        ids = [r[0] for r in conn.execute(select(survey_response.c.id).order_by(survey_response.c.id))]
        for j, rid in enumerate(ids):
            conn.execute(survey_response.update().where(survey_response.c.id == rid).values(customer_id=j % 10 + 1))
    value = tier_value(engine, Filters(), as_of=date(2026, 3, 31)).set_index("tier")
    dis = _counts()["disappointed"]
    assert value.loc["disappointed", "n"] == dis
    assert value.loc["disappointed", "nps"] == pytest.approx(-100.0)  # every disappointed answer gave 3
    assert value.loc["delighted", "nps"] == pytest.approx(100.0)
    assert value.loc["basic", "csat"] == pytest.approx(1.0)
    assert value.loc["none", "csat"] is None or math.isnan(value.loc["none", "csat"])
    # Churn per tier counts customers, not visits (issue 20.5): all 10 are judged (first event two years back),
    # those with an even id have churned (no event since mid 2024), as the overview's churn rate counts them.
    assert value["churn_n"].sum() == 10
    assert (value["churn_rate"].fillna(0) * value["churn_n"]).sum() == pytest.approx(5)
    # no visit lies a full year before the as-of date: revisit cannot be judged
    assert value["revisit_n"].sum() == 0


def test_tolerance_and_recompute(engine):
    EXPERIENCE.org(engine)
    ids = EXPERIENCE.responses(engine, [
        {"gap_norm": -0.1, "overall_p": 4.4, "overall_e": 5.0, "overall_scale_min": 1, "overall_scale_max": 7.0},
        {"gap_norm": -0.05, "overall_p": 4.7, "overall_e": 5.0, "overall_scale_min": 1, "overall_scale_max": 7.0},
        {"gap_norm": -1 / 6, "overall_p": 4, "overall_e": 5, "overall_scale_min": 1, "overall_scale_max": 7},
        {"gap_norm": 0.0, "overall_p": 5, "overall_e": 5, "overall_scale_min": 1, "overall_scale_max": 7},
        {"gap_norm": 0.2, "disconfirmation": "below"},
        {},
    ])
    with engine.begin() as conn:
        assert get_tolerance(conn) == pytest.approx(1 / 12)
        recompute_tiers(conn, 1 / 12)
    with engine.connect() as conn:
        tiers = dict(conn.execute(select(survey_response.c.id, survey_response.c.tier)).all())
    assert [tiers[i] for i in ids] == [0, 1, 0, 1, 0, None]
    with engine.begin() as conn:
        set_tolerance(conn, 0.15)
    with engine.connect() as conn:
        tiers = dict(conn.execute(select(survey_response.c.id, survey_response.c.tier)).all())
        assert get_tolerance(conn) == pytest.approx(0.15)
    assert [tiers[i] for i in ids] == [1, 1, 0, 1, 0, None]  # integer 1-7 items keep t = 0
    with engine.begin() as conn, pytest.raises(ValueError):
        set_tolerance(conn, 0.7)
