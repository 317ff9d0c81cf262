"""Dialect-aware SQL helpers give the same answer on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Engine, func, insert, select

from cxdash.schema import customer, region, survey_response
from cxdash.sqlfuncs import epoch_days, in_ids, min_max, min_max_select
from tests.world import EXPERIENCE


def test_in_ids_binds_any_number_of_ids_as_one_parameter(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(insert(region), [{"id": i, "code": f"R{i}", "name_en": f"R{i}"} for i in range(1, 6)])
        # more ids than SQLite allows placeholders (32,766), most of them absent
        wanted = [2, 4, *range(100, 40_100)]
        n = conn.execute(select(func.count()).select_from(region).where(
            in_ids(region.c.id, wanted, conn.dialect.name))).scalar_one()
        none = conn.execute(select(func.count()).select_from(region).where(
            in_ids(region.c.id, [], conn.dialect.name))).scalar_one()
    assert (n, none) == (2, 0)


def test_min_max_reads_both_ends_of_an_index(engine: Engine) -> None:
    with engine.connect() as conn:
        assert min_max(conn, survey_response.c.visit_date) == (None, None)  # empty table
    EXPERIENCE.org(engine)
    EXPERIENCE.responses(engine, [{"visit_date": d, "scores": [("REC01", 4, 5)]}
                           for d in (date(2026, 3, 5), date(2025, 12, 31), date(2026, 7, 1))])
    with engine.connect() as conn:
        assert min_max(conn, survey_response.c.visit_date) == (date(2025, 12, 31), date(2026, 7, 1))
        if engine.dialect.name == "sqlite":  # each end is a search, not a walk of the whole index
            sql = str(min_max_select(survey_response.c.visit_date).compile(conn))
            plan = " ".join(str(r[-1]) for r in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}"))
            assert plan.count("SEARCH survey_response") == 2 and "SCAN survey_response" not in plan, plan


def test_epoch_days_counts_whole_days_from_1970(engine: Engine) -> None:
    EXPERIENCE.org(engine)
    days = [date(1970, 1, 1), date(2024, 2, 29), date(2026, 12, 1)]
    EXPERIENCE.responses(engine, [{"visit_date": d, "scores": [("REC01", 4, 5)]} for d in days])
    with engine.connect() as conn:
        got = conn.execute(select(epoch_days(survey_response.c.visit_date, conn.dialect.name))
                           .order_by(survey_response.c.visit_date)).scalars().all()
    assert got == [(d - date(1970, 1, 1)).days for d in days]


def test_epoch_days_of_a_timestamp_is_its_day(engine: Engine) -> None:
    from tests.world import LOYALTY

    LOYALTY.org(engine)
    LOYALTY.customers(engine, [{"id": 1, "first_event_at": datetime(2026, 3, 1, 23, 59, 59, 999_000)},
                          {"id": 2, "first_event_at": datetime(2026, 3, 2)}, {"id": 3}])
    with engine.connect() as conn:
        got = conn.execute(select(epoch_days(customer.c.first_event_at, conn.dialect.name))
                           .order_by(customer.c.id)).scalars().all()
    assert got == [(date(2026, 3, 1) - date(1970, 1, 1)).days, (date(2026, 3, 2) - date(1970, 1, 1)).days, None]
