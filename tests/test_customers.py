"""Tests for cxdash.customers.refresh_customer_events on hand-made rows, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Engine, delete, func, select

from cxdash.customers import refresh_customer_events
from cxdash.schema import customer, survey_response, ticket


def _seed(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(customer.insert(), [
            {"id": 1, "external_id": "A"},
            {"id": 2, "external_id": "B"},
            # C has a stale span from events that no longer exist.
            {"id": 3, "external_id": "C", "first_event_at": datetime(2020, 1, 1), "last_event_at": datetime(2020, 2, 1)},
            {"id": 4, "external_id": "D"},
        ])
        conn.execute(survey_response.insert(), [
            {"external_id": "r1", "customer_id": 1, "visit_date": date(2025, 3, 10)},
            {"external_id": "r2", "customer_id": 1, "visit_date": date(2025, 6, 1)},
            {"external_id": "r3", "customer_id": 4, "visit_date": date(2025, 1, 5)},
            {"external_id": "r4", "customer_id": None, "visit_date": date(2024, 1, 1)},
        ])
        conn.execute(ticket.insert(), [
            {"external_id": "t1", "customer_id": 1, "created_at": datetime(2025, 3, 9, 23, 30), "status": "closed"},
            {"external_id": "t2", "customer_id": 1, "created_at": datetime(2025, 6, 1, 8, 15, 5), "status": "open"},
            {"external_id": "t3", "customer_id": 2, "created_at": datetime(2025, 4, 2, 10, 0), "status": "open"},
            {"external_id": "t4", "customer_id": 4, "created_at": datetime(2025, 1, 4, 12, 0), "status": "open"},
        ])


def _spans(engine: Engine) -> dict[int, tuple[datetime | None, datetime | None]]:
    with engine.connect() as conn:
        rows = conn.execute(select(customer.c.id, customer.c.first_event_at, customer.c.last_event_at))
        return {r.id: (r.first_event_at, r.last_event_at) for r in rows}


def test_refresh_all_customers(engine: Engine) -> None:
    _seed(engine)
    with engine.begin() as conn:
        refresh_customer_events(conn)
    spans = _spans(engine)
    # A: earliest is the ticket the evening before the first visit; latest is the ticket on the last visit day.
    assert spans[1] == (datetime(2025, 3, 9, 23, 30), datetime(2025, 6, 1, 8, 15, 5))
    assert spans[2] == (datetime(2025, 4, 2, 10, 0), datetime(2025, 4, 2, 10, 0))
    assert spans[3] == (None, None)
    # D: a visit counts at midnight of its date, after the previous day's ticket.
    assert spans[4] == (datetime(2025, 1, 4, 12, 0), datetime(2025, 1, 5))


def test_stored_spans_compare_with_bound_datetimes(engine: Engine) -> None:
    _seed(engine)
    with engine.begin() as conn:
        refresh_customer_events(conn)
        later = conn.execute(select(func.count()).select_from(customer)
                             .where(customer.c.last_event_at >= datetime(2025, 1, 5))).scalar_one()
        exact = conn.execute(select(customer.c.id).where(customer.c.last_event_at == datetime(2025, 1, 5))).scalar()
    assert later == 3
    assert exact == 4


def test_refresh_only_given_customers(engine: Engine) -> None:
    _seed(engine)
    with engine.begin() as conn:
        refresh_customer_events(conn, [2, 3])
    spans = _spans(engine)
    assert spans[1] == (None, None)  # untouched
    assert spans[2][0] == datetime(2025, 4, 2, 10, 0)
    assert spans[3] == (None, None)
    assert spans[4] == (None, None)


def test_refresh_after_deleting_events(engine: Engine) -> None:
    _seed(engine)
    with engine.begin() as conn:
        refresh_customer_events(conn)
        conn.execute(delete(ticket).where(ticket.c.customer_id == 1))
        refresh_customer_events(conn, [1])
    assert _spans(engine)[1] == (datetime(2025, 3, 10), datetime(2025, 6, 1))
