"""Tests for the seeded demo builder: counts, determinism, the planted structure, the CLI, repeat builds.

Small builds run on both backends; the structure checks share one medium SQLite build per module (the numbers
are the same on PostgreSQL, which the determinism test shows).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sqlalchemy import Engine, func, select, text

from cxdash.cli import main
from cxdash.db import data_version, make_engine
from cxdash.demo import DemoSummary, build_demo
from cxdash.demo.structure import DECISIVE_TOUCHPOINTS, STRONG_TOUCHPOINTS, WEAK_SITES, WEAK_TOUCHPOINTS
from cxdash.schema import (
    action_plan,
    action_plan_history,
    customer,
    inspection,
    kpi_target,
    person,
    region,
    site,
    survey_response,
    team,
    ticket,
    touchpoint_score,
)

pytestmark = pytest.mark.slow

END = date(2026, 3, 31)
NOW = datetime(2026, 3, 31, 10, 0)  # 18:00 in Shanghai on the end date: the demo's "now"


def _count(conn, table, *where) -> int:  # noqa: ANN001
    return int(conn.execute(select(func.count()).select_from(table).where(*where)).scalar_one())


def _frame(engine: Engine, sql: str) -> pd.DataFrame:
    with engine.connect() as conn:
        return pd.DataFrame(conn.execute(text(sql)).mappings().all())


def test_small_build_counts(engine: Engine) -> None:
    summary = build_demo(engine, responses=600, tickets=800, seed=3, end_date=END)
    assert isinstance(summary, DemoSummary)
    assert (summary.responses, summary.tickets, summary.regions, summary.sites) == (600, 800, 4, 40)
    assert summary.start_date == END - timedelta(days=729) and summary.seconds > 0
    assert {"generating", "responses", "SLA"} <= set(summary.phases)
    with engine.connect() as conn:
        assert _count(conn, survey_response) == 600
        assert _count(conn, ticket) == 800
        assert _count(conn, customer) == summary.customers
        assert _count(conn, touchpoint_score) == summary.touchpoint_scores
        assert 600 * 15 < summary.touchpoint_scores <= 600 * 22
        assert _count(conn, inspection) == summary.inspections > 0
        assert _count(conn, action_plan) == summary.action_plans == 30
        assert _count(conn, action_plan_history) >= 30
        assert _count(conn, kpi_target) == summary.kpi_targets == 8
        assert _count(conn, region) == 4 and _count(conn, site) == 40
        names = set(conn.execute(select(region.c.name_zh_hans)).scalars())
        assert names == {"华北", "华东", "华南", "华西"}
        assert 80 <= _count(conn, team) <= 120
        # Every response and ticket has a customer, and every customer has an event span.
        assert _count(conn, survey_response, survey_response.c.customer_id.is_(None)) == 0
        assert _count(conn, customer, customer.c.last_event_at.is_(None)) == 0
        # Keys are sound even where PostgreSQL loaded without its foreign-key triggers.
        orphans = conn.execute(text("""
            select (select count(*) from touchpoint_score s where not exists
                        (select 1 from survey_response r where r.id = s.response_id))
                 + (select count(*) from survey_response r where not exists
                        (select 1 from customer c where c.id = r.customer_id)
                        or not exists (select 1 from person p where p.id = r.person_id))
                 + (select count(*) from ticket t where not exists (select 1 from customer c where c.id = t.customer_id)
                        or not exists (select 1 from person p where p.id = t.agent_id))""")).scalar_one()
        assert orphans == 0
        # SLA facts were computed for every ticket.
        assert _count(conn, ticket, ticket.c.policy_id.is_(None)) == 0
        dates = conn.execute(select(func.min(survey_response.c.visit_date), func.max(survey_response.c.visit_date))).one()
        assert summary.start_date <= dates[0] and dates[1] <= END
        assert conn.execute(select(func.max(ticket.c.created_at))).scalar_one() <= NOW
    assert data_version(engine) >= 1


def _fingerprint(engine: Engine) -> tuple:
    with engine.connect() as conn:
        r = conn.execute(select(survey_response.c.visit_date, survey_response.c.site_id, survey_response.c.ltr,
                                survey_response.c.tier, survey_response.c.comment).order_by(survey_response.c.id)).all()
        s = conn.execute(select(func.sum(touchpoint_score.c.p), func.sum(touchpoint_score.c.e))).one()
        t = conn.execute(select(ticket.c.created_at, ticket.c.status, ticket.c.resolved_at, ticket.c.csat)
                         .order_by(ticket.c.id)).all()
    return [tuple(x) for x in r], tuple(float(v) for v in s), [tuple(x) for x in t]


def test_same_seed_same_data_on_any_backend(engine: Engine, tmp_path: Path) -> None:
    build_demo(engine, responses=300, tickets=300, seed=11, end_date=END)
    other = make_engine(f"sqlite:///{tmp_path / 'other.db'}")
    build_demo(other, responses=300, tickets=300, seed=11, end_date=END)
    third = make_engine(f"sqlite:///{tmp_path / 'third.db'}")
    build_demo(third, responses=300, tickets=300, seed=12, end_date=END)
    assert _fingerprint(engine) == _fingerprint(other)
    assert _fingerprint(third) != _fingerprint(other)
    other.dispose()
    third.dispose()


def test_second_build_adds_rows_and_ordinary_inserts_still_work(engine: Engine) -> None:
    build_demo(engine, responses=100, tickets=100, seed=1, end_date=END)
    version = data_version(engine)
    build_demo(engine, responses=100, tickets=100, seed=2, end_date=END)
    assert data_version(engine) > version
    with engine.begin() as conn:
        assert _count(conn, survey_response) == 200 and _count(conn, ticket) == 200
        assert _count(conn, site) == 40 and _count(conn, kpi_target) == 8
        new_id = conn.execute(survey_response.insert().values(external_id="manual", visit_date=END)).inserted_primary_key[0]
        top = conn.execute(select(func.max(survey_response.c.id)).where(survey_response.c.external_id != "manual")).scalar_one()
        conn.execute(person.insert().values(code="manual", name="手工"))
    assert new_id > top


def test_default_end_is_today_without_future_tickets(engine: Engine) -> None:
    summary = build_demo(engine, responses=60, tickets=120, seed=4)
    now = datetime.now(UTC).replace(tzinfo=None)
    assert summary.end_date == date.today()
    with engine.connect() as conn:
        assert conn.execute(select(func.max(ticket.c.created_at))).scalar_one() <= now
        assert conn.execute(select(func.max(survey_response.c.visit_date))).scalar_one() <= date.today()


def test_build_with_nothing_and_bad_sizes(engine: Engine) -> None:
    summary = build_demo(engine, responses=0, tickets=0, seed=1, end_date=END)
    assert (summary.responses, summary.tickets, summary.customers) == (0, 0, 0)
    with pytest.raises(ValueError):
        build_demo(engine, responses=-1, tickets=0)


def test_cli_demo_if_empty(engine: Engine, capsys: pytest.CaptureFixture[str]) -> None:
    url = engine.url.render_as_string(hide_password=False)
    args = ["--database-url", url, "demo", "--responses", "80", "--tickets", "90", "--seed", "5",
            "--end-date", END.isoformat(), "--if-empty", "--quiet"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "responses: 80" in out and "tickets: 90" in out and "seconds:" in out and 'phases: {"' in out
    assert main(args) == 0
    assert "not loaded" in capsys.readouterr().out
    with engine.connect() as conn:
        assert _count(conn, survey_response) == 80


# --- The planted structure, on one medium build ------------------------------------------------------------


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """One medium demo database for the structure checks."""
    eng = make_engine(f"sqlite:///{tmp_path_factory.mktemp('demo') / 'demo.db'}")
    build_demo(eng, responses=4000, tickets=3000, seed=7, end_date=END)
    yield eng
    eng.dispose()


def _gaps(engine: Engine) -> pd.DataFrame:
    return _frame(engine, """
        select t.code, (s.p - s.e) / 9.0 as d, r.site_id, st.code as site_code
        from touchpoint_score s join touchpoint t on t.id = s.touchpoint_id
        join survey_response r on r.id = s.response_id join site st on st.id = r.site_id
        where s.e is not null""")


def test_weak_and_strong_touchpoints(demo: Engine) -> None:
    gaps = _gaps(demo)
    by_tp = gaps.groupby("code")["d"]
    for code in WEAK_TOUCHPOINTS:
        d = by_tp.get_group(code)
        assert d.mean() < -0.08 and stats.ttest_1samp(d, 0).pvalue < 1e-10
    for code in STRONG_TOUCHPOINTS:
        d = by_tp.get_group(code)
        assert d.mean() > 0.03 and stats.ttest_1samp(d, 0).pvalue < 1e-4
    rest = [c for c in by_tp.groups if c not in WEAK_TOUCHPOINTS and c not in STRONG_TOUCHPOINTS]
    assert all(abs(by_tp.get_group(c).mean()) < 0.02 for c in rest)
    p_rest = [stats.ttest_1samp(by_tp.get_group(c), 0).pvalue for c in rest]
    assert sum(p < 0.001 for p in p_rest) <= 1


def test_weak_sites_are_worse(demo: Engine) -> None:
    gaps = _gaps(demo)
    weak = gaps["site_code"].isin(WEAK_SITES)
    assert stats.ttest_ind(gaps.loc[weak, "d"], gaps.loc[~weak, "d"], equal_var=False).statistic < -8
    r = _frame(demo, "select st.code, r.ltr from survey_response r join site st on st.id = r.site_id")
    nps = r.groupby(r["code"].isin(WEAK_SITES))["ltr"].apply(lambda x: 100 * ((x >= 9).mean() - (x <= 6).mean()))
    assert nps[True] < nps[False] - 30
    site_means = gaps.groupby("site_code")["d"].mean().sort_values()
    assert set(site_means.index[:4]) == set(WEAK_SITES)


def test_gaps_improve_over_time(demo: Engine) -> None:
    g = _frame(demo, """
        select r.visit_date < '2025-03-31' as first_year, (s.p - s.e) / 9.0 as d
        from touchpoint_score s join touchpoint t on t.id = s.touchpoint_id
        join survey_response r on r.id = s.response_id where s.e is not null and t.code in ('CON02', 'RES03', 'HND02')""")
    first, second = g.loc[g.first_year == 1, "d"], g.loc[g.first_year == 0, "d"]
    assert second.mean() - first.mean() > 0.01
    assert stats.ttest_ind(second, first, equal_var=False).pvalue < 0.01


def test_decisive_touchpoints_drive_recommendation(demo: Engine) -> None:
    wide = _frame(demo, """select s.response_id, t.code, s.p from touchpoint_score s
                           join touchpoint t on t.id = s.touchpoint_id""").pivot(index="response_id", columns="code", values="p")
    ltr = _frame(demo, "select id as response_id, ltr from survey_response").set_index("response_id")["ltr"]
    corr = wide.join(ltr).corr()["ltr"].drop("ltr").sort_values(ascending=False)
    assert set(corr.index[:3]) == set(DECISIVE_TOUCHPOINTS)


def test_effort_and_breaches_lower_nps(demo: Engine) -> None:
    r = _frame(demo, f"""
        select r.ltr, r.contacts_needed, r.repeated_story, r.ces, r.csat,
               exists(select 1 from ticket t where t.customer_id = r.customer_id and t.merged_into is null
                      and (t.first_response_at > t.frt_due_at or t.resolved_at > t.res_due_at
                           or (t.resolved_at is null and t.res_due_at < '{NOW}'))) as breached
        from survey_response r""")

    def nps(x: pd.Series) -> float:
        return 100 * ((x >= 9).mean() - (x <= 6).mean())

    assert nps(r.ltr[r.contacts_needed > 1]) < nps(r.ltr[r.contacts_needed == 1]) - 15
    assert nps(r.ltr[r.repeated_story == 1]) < nps(r.ltr[r.repeated_story == 0]) - 15
    assert nps(r.ltr[r.ces >= 6]) > nps(r.ltr[r.ces <= 4]) + 25
    assert nps(r.ltr[r.breached == 1]) < nps(r.ltr[r.breached == 0]) - 15
    assert (r.csat[r.breached == 1] >= 4).mean() < (r.csat[r.breached == 0] >= 4).mean()


def test_churn_follows_disappointment(demo: Engine) -> None:
    c = _frame(demo, """
        select c.id, c.last_event_at < '2025-03-31' as churned, c.churn_flag,
               avg(case when r.tier = 0 then 1.0 else 0.0 end) as dis
        from customer c join survey_response r on r.customer_id = c.id and r.visit_date < '2025-03-31'
        where c.first_event_at < '2025-03-31' group by c.id, c.last_event_at, c.churn_flag""")
    assert 0.12 < c.churned.mean() < 0.45
    assert c.churned[c.dis > 0].mean() > c.churned[c.dis == 0].mean() + 0.15
    flagged = c[c.churn_flag == 1]
    assert len(flagged) > 0 and flagged.churned.all()


def test_ticket_structure(demo: Engine) -> None:
    t = _frame(demo, f"""
        select status, merged_into is not null as merged, is_repeat_7d, reopen_count, csat, site_id, created_at,
               (first_response_at > frt_due_at or resolved_at > res_due_at
                or (resolved_at is null and res_due_at < '{NOW}')) as breached
        from ticket""")
    assert 0.01 < t.merged.mean() < 0.04
    live = t[~t.merged.astype(bool)]
    assert 0.05 < live.is_repeat_7d.mean() < 0.12
    assert 0.03 < live.reopen_count.gt(0).mean() < 0.2
    assert 0.08 < live.breached.mean() < 0.4
    assert live.csat[live.breached == 1].mean() < live.csat[live.breached == 0].mean() - 0.8
    assert set(t.status) == {"open", "pending", "resolved", "closed"}
    hours = pd.to_datetime(t.created_at).dt.hour
    assert hours.between(1, 9).mean() > 0.6  # 09:00-18:00 in Shanghai


def test_comments_name_the_weak_touchpoints(demo: Engine) -> None:
    c = _frame(demo, "select comment, comment_lang, tier from survey_response where comment is not null")
    n = _frame(demo, "select count(*) as n from survey_response")["n"][0]
    assert 0.2 < len(c) / n < 0.45
    assert 0.05 < (c.comment_lang == "en").mean() < 0.35
    text_all = " ".join(c.comment[c.tier == 0])
    assert "取车" in text_all and "结账" in text_all and ("费用" in text_all or "报价" in text_all)
    assert "保安" in " ".join(c.comment[c.tier == 2])


def test_inspections_follow_site_gaps(demo: Engine) -> None:
    insp = _frame(demo, "select s.code, avg(i.score) as score from inspection i join site s on s.id = i.site_id group by s.code")
    gaps = _gaps(demo).groupby("site_code")["d"].mean()
    merged = insp.set_index("code").join(gaps)
    assert stats.pearsonr(merged["score"], merged["d"]).statistic > 0.6


def test_plans_that_worked_improved_their_touchpoint(demo: Engine) -> None:
    plans = _frame(demo, "select id, touchpoint_id, site_id, team_id, start_date, due_date, status from action_plan")
    assert {"open", "done", "cancelled"} <= set(plans.status)
    assert len(plans[(plans.status == "open") & (pd.to_datetime(plans.due_date) < pd.Timestamp(END))]) >= 3
    scores = _frame(demo, """select r.site_id, r.team_id, r.visit_date, s.touchpoint_id, (s.p - s.e) / 9.0 as d
                             from touchpoint_score s join survey_response r on r.id = s.response_id where s.e is not null""")
    scores["visit_date"] = pd.to_datetime(scores["visit_date"])
    deltas = []
    for p in plans[plans.status == "done"].itertuples():
        mine = scores[(scores.site_id == p.site_id) & (scores.touchpoint_id == p.touchpoint_id)]
        before = mine[(mine.visit_date < pd.Timestamp(p.start_date))
                      & (mine.visit_date >= pd.Timestamp(p.start_date) - pd.Timedelta(days=180))]
        after = mine[mine.visit_date > pd.Timestamp(p.due_date)]
        deltas.append(after.d.mean() - before.d.mean())
    deltas_arr = np.array(deltas)
    # The demo's 13 closed plans: 8 worked (about +0.14), 5 did nothing.
    assert (deltas_arr > 0.08).sum() >= 6 and (deltas_arr < 0.05).sum() >= 3


def test_more_sites_are_numbered_branches_over_every_region(engine: Engine) -> None:
    """Beyond the 40 named sites (unchanged) come numbered branches in the same districts and regions; a build
    spreads its responses and tickets over all of them."""
    from cxdash.demo.organisation import SITES, site_list

    assert site_list() == SITES and site_list(5) == SITES[:5]
    many = site_list(1000)
    codes = [s[0] for s in many]
    assert len(set(codes)) == 1000 and codes[40] == "S041" and codes[-1] == "S1000"
    regions = {r: sum(1 for s in many if s[3] == r) for r in {s[3] for s in many}}
    assert sorted(regions.values()) == [250, 250, 250, 250]
    assert len({s[1] for s in many}) == 1000  # names tell the branches apart
    with pytest.raises(ValueError):
        site_list(0)
    summary = build_demo(engine, responses=900, tickets=600, seed=5, end_date=END, sites=60)
    assert summary.sites == 60
    with engine.connect() as conn:
        used = conn.execute(select(func.count(func.distinct(survey_response.c.site_id)))).scalar_one()
    assert used > 40  # responses reach the numbered branches too
