"""The ticket summaries give the same SLA figures as the raw tickets for any selection, are kept by every ticket
write (recompute, import, update, batch deletion, migration) and are bypassed when stale. Both databases."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import Engine, delete, func, insert, literal, select

from cxdash.db import bump_data_version
from cxdash.filters import Filters
from cxdash.imports.batches import delete_batch
from cxdash.metrics.service.breakdown import category_pareto, sla_breakdown
from cxdash.metrics.service.compliance import sla_summary, sla_trend
from cxdash.metrics.service.percentiles import time_percentiles
from cxdash.schema import setting, ticket, ticket_summary, ticket_time_summary
from cxdash.service.compute import recompute_tickets
from cxdash.service.policies import ensure_default_policies
from cxdash.summaries.tickets import STATE_KEY, minutes_bucket, month_ranges, ticket_summary_fresh
from cxdash.summaries.tickets_read import plan_parts
from tests.support.imports import load
from tests.support.snapshots import Snapshots
from tests.world import IMPORTS, SERVICE

NOW = datetime(2026, 5, 3, 12, 0)


def _random_tickets(n: int, seed_: int = 3) -> list[dict[str, Any]]:
    rng = np.random.default_rng(seed_)
    out = []
    for i in range(1, n + 1):
        created = datetime(2026, 1, 1) + timedelta(minutes=int(rng.integers(0, 120 * 24 * 60)))
        status = str(rng.choice(["open", "pending", "resolved", "closed"], p=[0.15, 0.05, 0.6, 0.2]))
        frt = created + timedelta(minutes=float(rng.exponential(200)))  # fractional minutes too
        res = frt + timedelta(minutes=float(rng.exponential(3000)))
        site = int(rng.integers(1, 3))
        out.append({
            "id": i, "created_at": created, "site_id": site, "region_id": site, "team_id": site,
            "agent_id": 2 * site - int(rng.integers(0, 2)), "customer_id": int(rng.integers(1, 10)),
            "priority": str(rng.choice(["urgent", "high", "normal", "low"])),
            "category": str(rng.choice(["billing", "warranty", "complaint"])) if i % 17 else None,
            "channel": str(rng.choice(["phone", "chat", "email"])), "segment": str(rng.choice(["vip", "fleet"])),
            "status": status, "first_response_at": frt if status != "open" or i % 2 else None,
            "resolved_at": res if status in ("resolved", "closed") else None,
            "reopen_count": int(rng.random() < 0.1), "reminder_count": int(rng.integers(0, 3)),
            "merged_into": "T1" if i % 23 == 0 else None,
        })
    return out


def _service_tickets(engine: Engine) -> None:
    """SERVICE with 400 random tickets and their SLA facts (seeded once a session: see tests/support/snapshots.py)."""
    with engine.begin() as conn:
        SERVICE.org(conn)
        ensure_default_policies(conn)
        SERVICE.tickets(conn, _random_tickets(400))
        recompute_tickets(conn)


@pytest.fixture
def tickets_db(engine: Engine, snapshots: Snapshots) -> Engine:
    snapshots.seed(engine, _service_tickets)
    return engine


SELECTIONS = [
    Filters(),
    Filters(date_from=date(2026, 2, 1), date_to=date(2026, 3, 31)),
    Filters(date_from=date(2026, 1, 10), date_to=date(2026, 3, 20)),
    Filters(date_from=date(2026, 2, 3), date_to=date(2026, 2, 9)),
    Filters(region_ids=(1,)),
    Filters(site_ids=(2,), date_from=date(2026, 1, 15)),
    Filters(channels=("phone",), segments=("vip",), date_to=date(2026, 3, 10)),
    Filters(scope_sites=(1,), scope_teams=(2,)),
    Filters(scope_sites=()),
    Filters(person_ids=(1,)),
]
GROUPS = ["priority", "category", "channel", "site", "team", "agent"]


def _figures(engine: Engine, f: Filters) -> list[Any]:
    out: list[Any] = [sla_summary(engine, f, NOW), time_percentiles(engine, f), category_pareto(engine, f, "volume")]
    out += [sla_trend(engine, f, NOW, p) for p in ("month", "week")]
    out += [sla_breakdown(engine, f, by, NOW) for by in GROUPS]
    return out


def _make_stale(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(delete(setting).where(setting.c.key == STATE_KEY))
        bump_data_version(conn)


def _assert_same(a: list[Any], b: list[Any]) -> None:
    for x, y in zip(a, b, strict=True):
        if isinstance(x, pd.DataFrame):
            pd.testing.assert_frame_equal(x.reset_index(drop=True), y.reset_index(drop=True), check_dtype=False)
        else:
            assert str(x) == str(y)


# The whole year, whole months, partial months and one week (every grain the plan reads) in the fast lane; the
# organisation, channel, scope and person filters in the full suite.
@pytest.mark.parametrize("selections", [pytest.param(SELECTIONS[:4], id="periods"),
                                        pytest.param(SELECTIONS[4:], id="filters", marks=pytest.mark.slow)])
def test_summary_figures_equal_raw_figures(tickets_db: Engine, selections: list[Filters]) -> None:
    with tickets_db.connect() as conn:
        assert ticket_summary_fresh(conn)
        assert all(p.grain is not None for p in plan_parts(conn, Filters(), "priority", ticket_summary))
    from_summary = [_figures(tickets_db, f) for f in selections]
    _make_stale(tickets_db)
    with tickets_db.connect() as conn:
        assert not ticket_summary_fresh(conn)
        assert all(p.grain is None for p in plan_parts(conn, Filters(), "priority", ticket_summary))
    for f, expected in zip(selections, from_summary, strict=True):
        _assert_same(expected, _figures(tickets_db, f))


def test_plan_reads_whole_months_from_a_month_grain_and_partial_months_from_a_day_grain(tickets_db: Engine) -> None:
    f = Filters(date_from=date(2026, 1, 10), date_to=date(2026, 3, 20))
    with tickets_db.connect() as conn:
        parts = plan_parts(conn, f, "priority", ticket_summary)
        assert [(p.grain.day if p.grain else None, p.date_from, p.date_to) for p in parts] == [
            (False, date(2026, 2, 1), date(2026, 2, 28)), (True, date(2026, 1, 10), date(2026, 1, 31)),
            (True, date(2026, 3, 1), date(2026, 3, 20))]
        by_category = plan_parts(conn, f, "category", ticket_summary)  # no day grain keeps categories: raw ends
        assert [p.grain is None for p in by_category] == [False, True, True]
        assert [p.grain for p in plan_parts(conn, f, "agent", ticket_summary)] == [None]
        assert [p.grain for p in plan_parts(conn, Filters(person_ids=(1,)), None, ticket_summary)] == [None]
        site_channel = plan_parts(conn, Filters(site_ids=(1,), channels=("phone",)), None, ticket_summary)
        assert [p.grain for p in site_channel] == [None]  # no grain keeps sites and channels together
        times = plan_parts(conn, f, "priority", ticket_time_summary)
        assert [p.grain is None for p in times] == [False, True, True]


def test_a_ticket_written_without_a_refresh_is_counted_from_the_raw_rows(tickets_db: Engine) -> None:
    before = sla_summary(tickets_db, Filters(), NOW)
    with tickets_db.begin() as conn:
        SERVICE.tickets(conn, [{"id": 999, "created_at": datetime(2026, 2, 2), "status": "resolved",
                            "first_response_at": datetime(2026, 2, 2, 1), "resolved_at": datetime(2026, 2, 2, 2)}])
        bump_data_version(conn)
        assert not ticket_summary_fresh(conn)
    assert sla_summary(tickets_db, Filters(), NOW).n == before.n + 1


def test_recomputing_some_tickets_refreshes_their_months(tickets_db: Engine) -> None:
    with tickets_db.begin() as conn:
        SERVICE.tickets(conn, [{"id": 999, "created_at": datetime(2026, 2, 2), "status": "resolved", "customer_id": 1,
                            "first_response_at": datetime(2026, 2, 2, 1), "resolved_at": datetime(2026, 2, 2, 2)}])
        recompute_tickets(conn, [999])
    with tickets_db.connect() as conn:
        assert ticket_summary_fresh(conn)
    fresh = _figures(tickets_db, Filters(date_from=date(2026, 1, 1), date_to=date(2026, 2, 28)))
    _make_stale(tickets_db)
    _assert_same(fresh, _figures(tickets_db, Filters(date_from=date(2026, 1, 1), date_to=date(2026, 2, 28))))


def test_import_update_and_batch_deletion_keep_the_summary(engine: Engine) -> None:
    IMPORTS.org(engine)
    header = "Ticket ID,Created,First response,Resolved,Closed,Priority,Site,Customer\n"
    first = load(engine, header + "K1,2026-03-04 10:00,2026-03-04 10:30,2026-03-04 16:00,,Normal,S01,C1\n"
                 "K2,2026-03-05 10:00,,,,High,S02,C2\n", kind="tickets")
    moved = load(engine, header + "K2,2026-04-06 10:00,2026-04-06 11:00,,,High,S02,C2\n", kind="tickets",
                 on_duplicate="update")  # moves K2 from March to April
    assert moved.updated == 1
    with engine.connect() as conn:
        assert ticket_summary_fresh(conn)
    march = Filters(date_from=date(2026, 3, 1), date_to=date(2026, 3, 31))
    april = Filters(date_from=date(2026, 4, 1), date_to=date(2026, 4, 30))
    assert (sla_summary(engine, march, NOW).n, sla_summary(engine, april, NOW).n) == (1, 1)
    delete_batch(engine, int(first.batch_id))
    with engine.connect() as conn:
        assert ticket_summary_fresh(conn)
        assert conn.execute(select(func.coalesce(func.sum(ticket_summary.c.n), 0))).scalar_one() == 0
    assert (sla_summary(engine, march, NOW).n, sla_summary(engine, april, NOW).n) == (0, 0)


def test_migration_has_the_summary_filled_from_stored_tickets(tickets_db: Engine) -> None:
    from alembic import command
    from alembic.config import Config

    from cxdash.db import MIGRATIONS, upgrade
    from cxdash.summaries.rebuild import rebuild_requested_summaries

    expected = _figures(tickets_db, Filters(date_from=date(2026, 1, 10), date_to=date(2026, 3, 20)))
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with tickets_db.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0002-1")  # this branch only: the tables go, the tickets stay
        conn.execute(delete(setting).where(setting.c.key == STATE_KEY))
    upgrade(tickets_db)  # the migration runs only its own SQL: it asks for a rebuild, readers take the raw rows
    with tickets_db.connect() as conn:
        assert not ticket_summary_fresh(conn)
    _assert_same(expected, _figures(tickets_db, Filters(date_from=date(2026, 1, 10), date_to=date(2026, 3, 20))))
    with tickets_db.begin() as conn:
        assert rebuild_requested_summaries(conn) == [STATE_KEY]
    with tickets_db.connect() as conn:
        assert ticket_summary_fresh(conn)
    _assert_same(expected, _figures(tickets_db, Filters(date_from=date(2026, 1, 10), date_to=date(2026, 3, 20))))


@pytest.mark.parametrize(("minutes", "bucket"), [
    (0.4, 0), (7.9, 7), (99.999, 99), (100, 100), (123.4, 120), (999, 990), (1000, 1000), (1234.5, 1200),
    (56789, 56000), (100000, 100000),
])
def test_minutes_are_rounded_down_to_two_significant_digits(engine: Engine, minutes: float, bucket: float) -> None:
    with engine.connect() as conn:
        assert conn.execute(select(minutes_bucket(literal(minutes)))).scalar_one() == bucket


def test_percentiles_of_rounded_minutes(tickets_db: Engine) -> None:
    with tickets_db.connect() as conn:
        res = conn.execute(select(ticket.c.res_business_min).where(
            ticket.c.merged_into.is_(None), ticket.c.res_business_min.is_not(None))).scalars().all()
    steps = [1 if x < 100 else 10 ** (len(str(int(x))) - 2) for x in res]
    rounded = [np.floor(x / s) * s for x, s in zip(res, steps, strict=True)]
    p = time_percentiles(tickets_db, Filters()).iloc[0]
    assert p["res_n"] == len(res)
    assert p["res_median"] == pytest.approx(np.percentile(rounded, 50))
    assert p["res_p90"] == pytest.approx(np.percentile(rounded, 90))
    assert abs(p["res_median"] - np.percentile(res, 50)) <= 0.01 * np.percentile(res, 50) + 1


def test_month_ranges_merge_consecutive_months() -> None:
    assert month_ranges([date(2026, 3, 5), date(2026, 1, 1), date(2026, 2, 9), date(2026, 12, 1)]) == [
        (date(2026, 1, 1), date(2026, 4, 1)), (date(2026, 12, 1), date(2027, 1, 1))]


def test_unused_tables_are_empty_on_a_fresh_database(engine: Engine) -> None:
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(ticket_summary)).scalar_one() == 0
        assert not ticket_summary_fresh(conn)
    assert sla_summary(engine, Filters(), NOW).n == 0
    with engine.begin() as conn:  # the first ticket load builds it
        SERVICE.org(conn)
        ensure_default_policies(conn)
        conn.execute(insert(ticket).values(id=1, external_id="X", created_at=datetime(2026, 1, 1), status="open"))
        recompute_tickets(conn)
        assert ticket_summary_fresh(conn)


DRILLS = [(g, k, o, p) for g, k in ((None, None), ("priority", "normal"), ("site", "2"), ("category", ""))
          for o in (None, "frt_breached", "res_breached", "not_ftf", "ftf", "merged", "repeat", "open")
          for p in (None, "2026-02", "2026-02-02")]


def test_drill_down_totals_from_the_summary_equal_raw_counts(tickets_db: Engine) -> None:
    from cxdash.metrics.service.lists import Drill, drill_where, ticket_list

    f = Filters(date_from=date(2026, 1, 10), date_to=date(2026, 4, 20))
    with tickets_db.connect() as conn:
        for g, k, o, p in DRILLS:
            drill = Drill(g, k, o, p)
            raw = conn.execute(select(func.count()).select_from(ticket).where(drill_where(f, drill, NOW))).scalar_one()
            assert ticket_list(tickets_db, f, drill, NOW, 5).total == raw, drill
