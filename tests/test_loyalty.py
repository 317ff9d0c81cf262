"""Loyalty cards, trends and breakdowns: hand counts, the NPS and Wilson intervals computed independently, change
verdicts, summaries and raw rows agreeing, and the CES sample."""

from __future__ import annotations

import math
from datetime import date, timedelta

import pytest
from scipy import stats as sps

from cxdash.filters import Filters
from cxdash.metrics.loyalty import figures as loyalty
from cxdash.metrics.loyalty.figures import loyalty_breakdown, loyalty_summary, loyalty_trend
from cxdash.summaries import refresh_summaries
from tests.world import LOYALTY

MARCH = Filters(date_from=date(2026, 3, 1), date_to=date(2026, 3, 31))


def _wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """Wilson score interval written out from its textbook form (Agresti and Coull 1998)."""
    p = k / n
    denom = 1 + z * z / n
    centre = p + z * z / (2 * n)
    spread = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return (centre - spread) / denom, (centre + spread) / denom


def _world(engine) -> None:  # noqa: ANN001
    """March: site 1 has 10 answers (5 promoters, 3 passives, 2 detractors), site 3 has 4 (all detractors).
    February (the previous period of the same length runs 2026-01-29 .. 2026-02-28): 6 promoters."""
    LOYALTY.org(engine)
    march = date(2026, 3, 16)
    ltrs = [10, 9, 9, 10, 9, 8, 7, 7, 3, 6]
    csats = [5, 5, 4, 4, 4, 3, 3, 2, 1, 1]
    ces = [7, 6, 6, 5, 5, 4, 4, 3, 2, 1]
    LOYALTY.responses(engine, [{"ltr": a, "csat": b, "ces": c, "visit_date": march} for a, b, c in zip(ltrs, csats, ces, strict=True)])
    LOYALTY.responses(engine, [{"ltr": 2, "csat": 2, "ces": 2, "site_id": 3, "visit_date": march + timedelta(days=7)}
                          for _ in range(4)])
    LOYALTY.responses(engine, [{"ltr": 10, "csat": 5, "ces": 7, "visit_date": date(2026, 2, 10)} for _ in range(6)])


def test_cards_against_hand_counts_and_independent_intervals(engine) -> None:  # noqa: ANN001
    _world(engine)
    s = loyalty_summary(engine, MARCH)
    n, pro, det = 14, 5, 6
    assert (s.current.nps.n, s.current.nps.promoters, s.current.nps.detractors) == (n, pro, det)
    score = 100 * (pro - det) / n
    se = 100 * math.sqrt((pro / n + det / n - (pro / n - det / n) ** 2) / n)
    assert s.current.nps.score == pytest.approx(score)
    assert (s.current.nps.ci_low, s.current.nps.ci_high) == pytest.approx((score - 1.96 * se, score + 1.96 * se))
    assert (s.current.csat.k, s.current.csat.n) == (5, 14)
    assert (s.current.csat.ci_low, s.current.csat.ci_high) == pytest.approx(_wilson(5, 14))
    assert (s.current.detractors.ci_low, s.current.detractors.ci_high) == pytest.approx(_wilson(6, 14))
    ces = [7, 6, 6, 5, 5, 4, 4, 3, 2, 1, 2, 2, 2, 2]
    mean = sum(ces) / len(ces)
    sd = math.sqrt(sum((c - mean) ** 2 for c in ces) / (len(ces) - 1))
    half = sps.t.ppf(0.975, len(ces) - 1) * sd / math.sqrt(len(ces))
    assert s.current.ces.mean == pytest.approx(mean)
    assert (s.current.ces.ci_low, s.current.ces.ci_high) == pytest.approx((mean - half, mean + half))
    assert s.current.ces.share_easy == pytest.approx(5 / 14)
    assert not s.ces_sampled


def test_change_against_previous_period(engine) -> None:  # noqa: ANN001
    _world(engine)
    s = loyalty_summary(engine, MARCH)
    assert s.previous is not None and s.previous.nps.score == 100.0
    c = s.changes["nps"]
    assert c.delta == pytest.approx(s.current.nps.score - 100.0)
    assert c.threshold == pytest.approx(1.96 * math.hypot(s.current.nps.se, 0.0))
    assert c.significant is True
    assert loyalty_summary(engine, Filters()).previous is None  # no date range, no previous period


def test_previous_period_without_answers(engine) -> None:  # noqa: ANN001
    """A range starting at the first data: the period before has no answers, so no change and no verdict."""
    _world(engine)
    s = loyalty_summary(engine, Filters(date_from=date(2026, 2, 1), date_to=date(2026, 3, 31)))
    assert s.current.nps.n == 20 and s.previous is not None and s.previous.nps.n == 0
    assert s.previous.nps.score is None and s.changes["nps"].significant is None
    assert s.changes["csat"].significant is None


def test_trend_by_month_and_week_with_verdicts(engine) -> None:  # noqa: ANN001
    _world(engine)
    trend = loyalty_trend(engine, Filters(date_from=date(2026, 2, 1), date_to=date(2026, 3, 31)))
    nps = trend[trend["kpi"] == "nps"].reset_index(drop=True)
    assert nps["period"].tolist() == ["2026-02", "2026-03"]
    assert nps["n"].tolist() == [6, 14]
    assert nps["significant"].tolist()[0] is None and nps["significant"].tolist()[1] is True
    assert nps.loc[1, "delta"] == pytest.approx(100 * (5 - 6) / 14 - 100)
    weekly = loyalty_trend(engine, MARCH, "week")
    weeks = weekly[weekly["kpi"] == "csat"]
    assert weeks["period"].tolist() == ["2026-03-16", "2026-03-23"]  # Mondays
    assert weeks["n"].tolist() == [10, 4]
    with pytest.raises(ValueError):
        loyalty_trend(engine, MARCH, "year")


def test_breakdown_with_names_and_low_sample(engine) -> None:  # noqa: ANN001
    _world(engine)
    bd = loyalty_breakdown(engine, MARCH, "site").set_index("key")
    assert bd.loc[3, "nps"] == -100.0 and bd.loc[3, "n"] == 4
    assert bd.loc[1, "name"] == "Site 1"
    assert bool(bd.loc[1, "low_sample"]) and bool(bd.loc[3, "low_sample"])
    assert bd.loc[1, "ces"] == pytest.approx(43 / 10)
    regions = loyalty_breakdown(engine, MARCH, "region", "zh-Hans").set_index("key")
    assert regions.loc[2, "name"] == "南区"
    with pytest.raises(ValueError):
        loyalty_breakdown(engine, MARCH, "colour")


def test_summaries_give_the_same_figures(engine) -> None:  # noqa: ANN001
    _world(engine)
    raw = loyalty_breakdown(engine, MARCH, "site")
    with engine.begin() as conn:
        refresh_summaries(conn)
    summed = loyalty_breakdown(engine, MARCH, "site")
    assert summed[["key", "n", "nps", "csat", "ces"]].equals(raw[["key", "n", "nps", "csat", "ces"]])


def test_ces_sample_is_flagged(engine, monkeypatch) -> None:  # noqa: ANN001
    _world(engine)
    monkeypatch.setattr(loyalty, "CES_SAMPLE", 5)
    with engine.connect() as conn:
        sums, sampled = loyalty.ces_sums(conn, MARCH, [], size=5)
    assert sampled and 0 < int(sums["ces_n"].iloc[0]) < 14


@pytest.mark.apptest
@pytest.mark.parametrize("lang", ["en", "zh-Hans", "zh-Hant"])
def test_loyalty_pages_render_every_view(lang: str) -> None:
    """AppTest through ``app.py`` on the shared demo database: every loyalty view, the drivers and voice pages,
    in all three languages, with no exception and no error box (a failing metric shows one)."""
    from tests.support.app import make_app, no_errors

    at = make_app(lang)
    at.run()
    for view in ("trends", "breakdowns", "effort", "failures"):
        at.session_state["loy_view"] = view
        at.switch_page("ui/pages/loyalty.py")
        at.run()
        no_errors(at)
        assert at.title[0].value and at.metric  # the cards
        if view in ("effort", "failures"):  # the headline sentence of the view, with its difference and interval
            assert any("95" in i.value for i in at.info)
    for page in ("ui/pages/drivers.py", "ui/pages/voice.py"):
        at.switch_page(page)
        at.run()
        no_errors(at)
