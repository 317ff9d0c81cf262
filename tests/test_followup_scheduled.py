"""KPI rules and ``alerts run`` (cxdash.alerts) on SQLite and PostgreSQL, against hand-made months.

The world is OVERVIEW (three sites, team = site). ``NOW`` lies in April 2026, so the last full month is March and
the month before February. Figures and tests are worked out by hand in each test's comment.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import Engine, func, insert, select

from cxdash.alerts import (
    kpi_dedupe_key,
    kpi_dry_run,
    kpi_triggers,
    last_full_month,
    month_before,
    preview,
    run_alerts,
)
from cxdash.followup.rules import Rule, save_rule, set_rule_active
from cxdash.schema import kpi_target
from cxdash.schema.followup import case_trigger, followup_case
from cxdash.service.calendar import Calendar
from cxdash.service.compute import recompute_tickets
from cxdash.service.policies import ensure_default_policies, list_calendars, save_calendar
from tests.world import OVERVIEW, SERVICE

NOW = datetime(2026, 4, 10, 6, 0)
MARCH, FEBRUARY = date(2026, 3, 12), date(2026, 2, 12)


def _rule(engine: Engine, kind: str, **params: object) -> Rule:
    scope = params.pop("scope", ("all", None))
    rule = Rule(id=None, name=f"{kind} rule", kind=kind, params=dict(params), scope_kind=scope[0],  # type: ignore[index]
                scope_id=scope[1], severity="high")  # type: ignore[index]
    with engine.begin() as conn:
        rule_id = save_rule(conn, rule, "test", NOW - timedelta(days=30))
    return Rule(**{**rule.__dict__, "id": rule_id})


def _ltr(engine: Engine, site_id: int, day: date, promoters: int, passives: int, detractors: int) -> None:
    rows = [{"ltr": 10}] * promoters + [{"ltr": 7}] * passives + [{"ltr": 2}] * detractors
    OVERVIEW.responses(engine, rows, site_id=site_id, day=day)


def _cases(engine: Engine) -> list[dict]:
    with engine.connect() as conn:
        rows = conn.execute(select(followup_case).order_by(followup_case.c.site_id)).mappings().all()
    return [dict(r) for r in rows]


def test_months() -> None:
    assert last_full_month(NOW) == (date(2026, 3, 1), date(2026, 3, 31))
    assert last_full_month(datetime(2026, 1, 1)) == (date(2025, 12, 1), date(2025, 12, 31))
    assert month_before(date(2026, 3, 1)) == (date(2026, 2, 1), date(2026, 2, 28))
    assert kpi_dedupe_key(4, "site", 2, date(2026, 3, 1)) == "kpi:4:site:2:2026-03"


def test_below_target_opens_one_case_per_unit_and_nothing_twice(engine: Engine) -> None:
    OVERVIEW.org(engine)
    _ltr(engine, 1, MARCH, 0, 0, 5)  # NPS -100 but only 5 answers: fewer than min_n 10, not judged
    _ltr(engine, 2, MARCH, 2, 3, 5)  # NPS -30 < 25 (the "all" target)
    _ltr(engine, 3, MARCH, 3, 4, 3)  # NPS 0 < 5 (site 3's own target wins over "all")
    _ltr(engine, 2, FEBRUARY, 9, 1, 0)  # February does not matter to a target rule
    with engine.begin() as conn:
        conn.execute(insert(kpi_target), [{"kpi": "nps", "scope_kind": "all", "scope_id": None, "value": 25.0},
                                          {"kpi": "nps", "scope_kind": "site", "scope_id": 3, "value": 5.0},
                                          {"kpi": "nps", "scope_kind": "site", "scope_id": 1, "value": 0.0}])
    rule = _rule(engine, "kpi_below_target", kpi="nps", level="site")
    with engine.connect() as conn:
        found = kpi_triggers(conn, rule, NOW)
    assert [(t.site_id, t.detail["value"], t.detail["target"], t.detail["n"]) for t in found] == [
        (2, -30.0, 25.0, 10), (3, 0.0, 5.0, 10)]
    assert {t.source for t in found} == {"kpi"} and all(t.customer_id is None for t in found)
    assert found[0].region_id == 1 and found[1].region_id == 2 and found[0].detail["period"] == "2026-03"

    first = run_alerts(engine, NOW)
    assert len(first.kpi_cases) == 2 and first.kpi_rules == 1
    cases = _cases(engine)
    assert [(c["site_id"], c["source"], c["dedupe_key"], c["severity"]) for c in cases] == [
        (2, "kpi", f"kpi:{rule.id}:site:2:2026-03", "high"), (3, "kpi", f"kpi:{rule.id}:site:3:2026-03", "high")]
    assert cases[0]["detail"]["kpi"] == "nps" and cases[0]["detail"]["reason"] == "below_target"
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(case_trigger)).scalar() == 2

    again = run_alerts(engine, NOW)
    later = run_alerts(engine, NOW + timedelta(days=5))  # a daily cron later in April: still March, same cases
    assert again.opened == 0 and later.opened == 0
    assert len(_cases(engine)) == 2
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(case_trigger)).scalar() == 2


def test_significant_drop_opens_a_case_and_noise_or_a_rise_none(engine: Engine) -> None:
    OVERVIEW.org(engine)
    # CSAT (top two of 1-5). Site 1: 18/20 in February, 6/20 in March: z = 0.6 / sqrt(.6 x .4 x .1) = 3.87.
    # Site 2: 10/20 -> 9/20: z = 0.32, noise. Site 3: 6/20 -> 18/20: significant, but a rise.
    for site_id, feb, mar in ((1, 18, 6), (2, 10, 9), (3, 6, 18)):
        OVERVIEW.responses(engine, [{"csat": 5}] * feb + [{"csat": 2}] * (20 - feb), site_id=site_id, day=FEBRUARY)
        OVERVIEW.responses(engine, [{"csat": 5}] * mar + [{"csat": 2}] * (20 - mar), site_id=site_id, day=MARCH)
    rule = _rule(engine, "kpi_significant_drop", kpi="csat", level="site")
    run = run_alerts(engine, NOW)
    cases = _cases(engine)
    assert len(run.kpi_cases) == 1 and [c["site_id"] for c in cases] == [1]
    detail = cases[0]["detail"]
    assert detail["reason"] == "significant_drop" and detail["test"] == "two_proportion_z"
    assert detail["value"] == pytest.approx(0.3) and detail["previous"] == pytest.approx(0.9)
    assert detail["delta"] == pytest.approx(-0.6) and detail["threshold"] == pytest.approx(1.96 * (0.024 ** 0.5), rel=1e-4)
    assert run_alerts(engine, NOW).opened == 0 and len(_cases(engine)) == 1
    assert cases[0]["dedupe_key"] == f"kpi:{rule.id}:site:1:2026-03"


def test_a_lower_is_better_share_rising_is_a_drop_and_scope_limits_the_units(engine: Engine) -> None:
    OVERVIEW.org(engine)
    # Disappointed share (tier 0) rises 2/20 -> 14/20 at sites 1 and 3: significant and bad; the rule's scope is
    # region 1 (sites 1 and 2), so only site 1 opens, at team level (team = site).
    for site_id in (1, 3):
        OVERVIEW.responses(engine, [{"tier": 0}] * 2 + [{"tier": 2}] * 18, site_id=site_id, day=FEBRUARY)
        OVERVIEW.responses(engine, [{"tier": 0}] * 14 + [{"tier": 2}] * 6, site_id=site_id, day=MARCH)
    rule = _rule(engine, "kpi_significant_drop", kpi="share_disappointed", level="team", scope=("region", 1))
    run = run_alerts(engine, NOW)
    cases = _cases(engine)
    assert len(run.kpi_cases) == 1
    assert [(c["site_id"], c["team_id"], c["region_id"]) for c in cases] == [(1, 1, 1)]
    assert cases[0]["dedupe_key"] == f"kpi:{rule.id}:team:1:2026-03"


def test_ces_drop_uses_welchs_test(engine: Engine) -> None:
    OVERVIEW.org(engine)
    # CES (1-7, higher is easier): site 1 from a mean of 6.5 to 3.5 (sd 0.51 each, n 20): t far beyond 2.02.
    OVERVIEW.responses(engine, [{"ces": 6}, {"ces": 7}] * 10, site_id=1, day=FEBRUARY)
    OVERVIEW.responses(engine, [{"ces": 3}, {"ces": 4}] * 10, site_id=1, day=MARCH)
    _rule(engine, "kpi_significant_drop", kpi="ces")
    run = run_alerts(engine, NOW)
    detail = _cases(engine)[0]["detail"]
    assert len(run.kpi_cases) == 1 and detail["test"] == "welch_t" and detail["delta"] == pytest.approx(-3.0)


def test_inactive_rules_and_response_rules_open_nothing_here(engine: Engine) -> None:
    OVERVIEW.org(engine)
    _ltr(engine, 2, MARCH, 0, 0, 12)
    with engine.begin() as conn:
        conn.execute(insert(kpi_target), [{"kpi": "nps", "scope_kind": "all", "value": 25.0}])
    rule = _rule(engine, "kpi_below_target", kpi="nps")
    with engine.begin() as conn:
        set_rule_active(conn, int(rule.id or 0), False, "test", NOW)
    _rule(engine, "ltr_at_most", threshold=6)  # a response rule runs on imports, not in ``alerts run``
    churn = _rule(engine, "kpi_below_target", kpi="churn")  # valid, but churn has no month per unit: skipped
    run = run_alerts(engine, NOW)
    assert run.kpi_rules == 0 and run.kpi_cases == () and not _cases(engine)
    assert run.skipped == (churn.id,)


def _late_tickets(engine: Engine) -> None:
    """SERVICE world, 24/7 calendars (normal priority: first response due within 240 minutes). March: site 1
    answers 10 of 12 tickets late (compliance 2/12), site 2 all in time; target 80 % everywhere."""
    always = Calendar.from_json("UTC", {str(i): [["00:00", "24:00"]] for i in range(7)})
    with engine.begin() as conn:
        SERVICE.org(conn)
        ensure_default_policies(conn)
        for cal_id, (name, _) in list_calendars(conn).items():
            save_calendar(conn, name, always, cal_id)
        rows = []
        for i in range(12):
            created = datetime(2026, 3, 2 + i, 9)
            late = i >= 2
            rows.append({"id": 100 + i, "site_id": 1, "created_at": created, "status": "resolved",
                         "first_response_at": created + timedelta(minutes=600 if late else 10),
                         "resolved_at": created + timedelta(minutes=700)})
            rows.append({"id": 200 + i, "site_id": 2, "created_at": created, "status": "resolved",
                         "first_response_at": created + timedelta(minutes=10),
                         "resolved_at": created + timedelta(minutes=700)})
        SERVICE.tickets(conn, rows)
        recompute_tickets(conn)
        conn.execute(insert(kpi_target), [{"kpi": "sla_first_response", "scope_kind": "all", "value": 0.8}])


def test_sla_compliance_below_target_per_site(engine: Engine) -> None:
    _late_tickets(engine)
    rule = _rule(engine, "kpi_below_target", kpi="sla_first_response", level="site")
    run = run_alerts(engine, NOW)
    cases = _cases(engine)
    assert len(run.kpi_cases) == 1 and [c["site_id"] for c in cases] == [1]
    assert cases[0]["detail"]["value"] == pytest.approx(2 / 12) and cases[0]["detail"]["n"] == 12
    assert cases[0]["dedupe_key"] == f"kpi:{rule.id}:site:1:2026-03"


def test_dry_run_counts_units_over_the_last_months_and_writes_nothing(engine: Engine) -> None:
    OVERVIEW.org(engine)
    _ltr(engine, 2, date(2026, 1, 20), 0, 0, 10)  # January: site 2 below
    _ltr(engine, 2, MARCH, 0, 0, 10)  # March: sites 2 and 3 below
    _ltr(engine, 3, MARCH, 0, 2, 8)
    _ltr(engine, 3, date(2025, 11, 5), 0, 0, 10)  # November: run on 1 December, outside 90 days of NOW
    with engine.begin() as conn:
        conn.execute(insert(kpi_target), [{"kpi": "nps", "scope_kind": "all", "value": 0.0}])
    rule = Rule(id=None, name="draft", kind="kpi_below_target", params={"kpi": "nps", "level": "site"})
    result = kpi_dry_run(engine, rule, NOW, days=90)  # runs on 1 April, 1 March, 1 February (1 January: too early)
    assert (result.cases, result.customers, result.days) == (3, 0, 90)
    assert result.by_site == {2: 2, 3: 1}
    assert preview(engine, rule, NOW).cases == 3
    assert not _cases(engine)


def test_a_rule_with_a_bad_kpi_is_refused_before_reading(engine: Engine) -> None:
    bad = Rule(id=1, name="bad", kind="kpi_below_target", params={"kpi": "churn"})
    with engine.connect() as conn, pytest.raises(ValueError, match="KPI rule watches"):
        kpi_triggers(conn, bad, NOW)
    with pytest.raises(ValueError):
        kpi_dry_run(engine, Rule(id=1, name="bad", kind="kpi_below_target", params={"level": "region"}), NOW)


def test_ticket_and_kpi_rules_run_together_once(engine: Engine) -> None:
    _late_tickets(engine)
    _rule(engine, "kpi_below_target", kpi="sla_first_response", level="site")
    _rule(engine, "ticket_breached", which="first_response")
    # A run on 20 March: February (the last full month) holds no tickets, so only the ticket rule opens.
    run = run_alerts(engine, datetime(2026, 3, 20))
    assert len(run.ticket_cases) == 10 and run.kpi_cases == ()  # ten late first responses; no KPI case yet
    run = run_alerts(engine, NOW)
    assert len(run.kpi_cases) == 1
    again = run_alerts(engine, NOW)
    assert again.opened == 0
    sources = sorted({c["source"] for c in _cases(engine)})
    assert sources == ["kpi", "ticket"]
