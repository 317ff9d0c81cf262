"""The churn samples' customer rows are read by id (:func:`cxdash.metrics.loyalty.customer_features.customer_rows`): SQLite
plans without statistics, and under the sample's condition itself it walked the index on the last event and read
every customer's row (tiers, loyalty effort and failures 2.6-3.1 s cold at 1M, docs/benchmarks/2026-12-07-2.md)."""

from __future__ import annotations

from sqlalchemy import and_, select
from sqlalchemy.engine import Engine

from cxdash.filters import Filters
from cxdash.metrics.loyalty.churn import customer_selection
from cxdash.metrics.loyalty.churn_definition import ChurnDefinition, judged
from cxdash.metrics.loyalty.customer_features import customer_rows, sample_condition
from cxdash.schema import customer
from tests.world import CHURN_AS_OF as A
from tests.world import churn_customers


def test_customer_rows_come_from_the_sampled_ids_by_primary_key(sqlite_engine: Engine) -> None:
    churn_customers(sqlite_engine)
    d = ChurnDefinition()
    with sqlite_engine.connect() as conn:
        who, step = sample_condition(conn, and_(customer_selection(Filters()), judged(d, A)), 50)
        stmt = customer_rows("sqlite", who, select(customer.c.id).where(who).scalar_subquery(), A, d)
        rows = conn.execute(stmt).all()
        sql = str(stmt.compile(conn, compile_kwargs={"literal_binds": True}))
        plan = " ".join(str(r[-1]) for r in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}"))
    assert step > 1 and rows and all(r[0] % step == 0 for r in rows)
    assert "SEARCH customer USING INTEGER PRIMARY KEY" in plan, plan
    assert "ix_customer_last_event_at" not in plan, plan


def test_both_ways_read_the_same_customers(engine: Engine) -> None:
    churn_customers(engine)
    d = ChurnDefinition()
    with engine.connect() as conn:
        who, _ = sample_condition(conn, and_(customer_selection(Filters()), judged(d, A)), 50)
        ids = select(customer.c.id).where(who).scalar_subquery()
        by_id, direct = (sorted(conn.execute(customer_rows(dialect, who, ids, A, d)).all())
                         for dialect in ("sqlite", "postgresql"))
    assert by_id and by_id == direct
