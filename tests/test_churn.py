"""Churn rate as of a day: who is judged, who churned, the W-day boundary, flags, filters and the monthly trend."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from cxdash.customers import refresh_customer_events
from cxdash.filters import Filters
from cxdash.metrics.loyalty.churn import churn_rate, churn_trend, resolve_as_of
from cxdash.metrics.satisfaction import wilson
from tests.world import OVERVIEW

A = date(2026, 6, 30)  # W = 365 days: events on or before 2025-06-30 lie at least W days before A


def _dt(y: int, m: int, d: int, h: int = 0) -> datetime:
    return datetime(y, m, d, h)


SPANS = [
    # id, first event, last event, flag, churn date -> as of A: judged, churned
    (1, _dt(2025, 1, 10), _dt(2025, 6, 30, 18), None, None),  # judged, churned: last exactly W days before A
    (2, _dt(2025, 1, 10), _dt(2025, 7, 1), None, None),  # judged, retained: 364 days
    (3, _dt(2025, 6, 30, 12), _dt(2026, 6, 1), None, None),  # judged (first on the boundary day), retained
    (4, _dt(2025, 7, 1), _dt(2025, 7, 1), None, None),  # not judged: no full window yet
    (5, _dt(2025, 2, 1), _dt(2026, 6, 20), True, date(2026, 5, 1)),  # judged, churned by flag
    (6, _dt(2025, 2, 1), _dt(2026, 6, 20), True, date(2026, 9, 1)),  # judged, flag comes later: retained
    (7, _dt(2025, 7, 15), _dt(2025, 7, 15), True, None),  # flagged but no full window: not judged
    (8, None, None, True, None),  # no date at all, a stated status (issue 19.5): judged, churned by flag
    (9, _dt(2024, 1, 1), _dt(2026, 7, 15), None, None),  # judged, came back after A: retained
]


def _customers(engine) -> None:  # noqa: ANN001
    OVERVIEW.customers(engine, [{"id": i, "first_event_at": f, "last_event_at": la, "churn_flag": fl, "churn_date": cd}
                          for i, f, la, fl, cd in SPANS])


def test_judged_and_churned_by_hand(engine) -> None:  # noqa: ANN001
    _customers(engine)
    r = churn_rate(engine, Filters(), as_of=A)
    assert (r.n, r.k) == (7, 3)
    assert r.rate == pytest.approx(3 / 7)
    assert (r.ci_low, r.ci_high) == pytest.approx(wilson(3, 7))
    # One day later customer 2 has been silent for 365 days, and customer 4 has a full window (never back).
    later = churn_rate(engine, Filters(), as_of=date(2026, 7, 1))
    assert (later.n, later.k) == (8, 5)
    # W = 30: customers with an event by May 31 are judged unless their last one lies before May 2 (silent a
    # window before the cutoff: they left the base long ago; 1, 2, 4 and 7): 3, 5, 6, 9 and the undated 8;
    # churned: 5 and 8 (flags); customer 3's last event on June 1 lies 29 days before A.
    short = churn_rate(engine, Filters(), as_of=A, window_days=30)
    assert (short.n, short.k) == (5, 2)


def test_as_of_defaults_to_the_latest_event_capped_by_the_range(engine) -> None:  # noqa: ANN001
    _customers(engine)
    with engine.connect() as conn:
        assert resolve_as_of(conn, Filters(), None) == date(2026, 7, 15)
        assert resolve_as_of(conn, Filters(date_to=A), None) == A
        assert resolve_as_of(conn, Filters(date_to=date(2027, 1, 1)), None) == date(2026, 7, 15)
        assert resolve_as_of(conn, Filters(), date(2020, 1, 1)) == date(2020, 1, 1)
    assert churn_rate(engine, Filters(date_from=date(2026, 6, 1), date_to=A)) == churn_rate(engine, Filters(), A)


def test_empty_database_and_bad_window(engine) -> None:  # noqa: ANN001
    r = churn_rate(engine, Filters())
    assert (r.n, r.k, r.rate, r.ci_low) == (0, 0, None, None)
    assert churn_trend(engine, Filters()).empty
    with pytest.raises(ValueError):
        churn_rate(engine, Filters(), A, window_days=0)


def test_filters_select_customers_through_their_events(engine) -> None:  # noqa: ANN001
    OVERVIEW.org(engine)
    OVERVIEW.customers(engine, [{"id": i} for i in (1, 2, 3, 4)])
    OVERVIEW.responses(engine, [
        {"customer_id": 1, "visit_date": date(2025, 1, 5)},  # site 1, never back: churned
        {"customer_id": 2, "visit_date": date(2025, 1, 5)},
        {"customer_id": 2, "visit_date": date(2026, 5, 5), "site_id": 3},  # came back at another site
        {"customer_id": 3, "visit_date": date(2025, 3, 1), "site_id": 3},  # site 3 only, churned
    ])
    OVERVIEW.tickets(engine, [{"customer_id": 4, "created_at": _dt(2025, 2, 1, 9)},  # site 1 by ticket only, churned
                        {"customer_id": 3, "created_at": _dt(2025, 4, 1, 9), "site_id": 3}])
    with engine.begin() as conn:
        refresh_customer_events(conn)
    site1 = churn_rate(engine, Filters(site_ids=(1,)), as_of=A)
    assert (site1.n, site1.k) == (3, 2)  # customers 1, 2 (response at site 1) and 4 (ticket at site 1)
    south = churn_rate(engine, Filters(region_ids=(2,)), as_of=A)
    assert (south.n, south.k) == (2, 1)  # customers 2 and 3
    assert churn_rate(engine, Filters(site_ids=(2,)), as_of=A).n == 0
    everyone = churn_rate(engine, Filters(), as_of=A)
    assert (everyone.n, everyone.k) == (4, 3)
    scoped = churn_rate(engine, Filters(scope_sites=(3,)), as_of=A)
    assert (scoped.n, scoped.k) == (2, 1)


def test_trend_matches_the_rate_at_each_month_end(engine) -> None:  # noqa: ANN001
    _customers(engine)
    f = Filters(date_from=date(2026, 5, 10), date_to=date(2026, 7, 10))
    trend = churn_trend(engine, f)
    assert list(trend["month"]) == ["2026-05", "2026-06", "2026-07"]
    assert list(trend["as_of"]) == [date(2026, 5, 31), A, date(2026, 7, 10)]
    for row in trend.to_dict(orient="records"):
        r = churn_rate(engine, Filters(), as_of=row["as_of"])
        assert (row["n"], row["k"]) == (r.n, r.k)
        assert row["rate"] == pytest.approx(r.rate)


def test_grouped_counts_equal_one_aggregate_per_day(engine) -> None:  # noqa: ANN001
    """The bucketed query agrees with the plain per-day CASE aggregates on every day around the boundaries."""
    from sqlalchemy import select

    from cxdash.metrics.loyalty.churn import churn_columns, churn_counts

    _customers(engine)
    days = [date(2025, 6, 29), date(2026, 1, 1), A, date(2026, 5, 1), date(2026, 7, 1), date(2026, 9, 1)]
    with engine.connect() as conn:
        grouped = churn_counts(conn, Filters(), days, 365)
        for day, (judged, churned) in zip(days, grouped, strict=True):
            row = conn.execute(select(*churn_columns(day, 365))).one()
            assert (judged, churned) == (int(row.judged or 0), int(row.churned or 0)), day


def test_flag_mode_counts_only_flags(engine) -> None:  # noqa: ANN001
    _customers(engine)
    r = churn_rate(engine, Filters(), as_of=A, mode="flag")
    # Judged: every customer with an event on or before A (1-7, 9) and the undated stated status 8; churned:
    # flags dated by A or undated (5, 7, 8).
    assert (r.n, r.k) == (9, 3)
    with pytest.raises(ValueError):
        churn_rate(engine, Filters(), as_of=A, mode="nope")


def test_index_range_counts_equal_the_grouped_query(engine) -> None:  # noqa: ANN001
    """Without organisation filters the counts come from index ranges and the flagged customers; they agree with
    the one grouped query over every customer, in both modes, on spans that start and end on the boundaries."""
    import random
    from datetime import timedelta

    from sqlalchemy import true

    from cxdash.metrics.loyalty.churn import _grouped_counts, churn_counts

    rng = random.Random(11)
    days = [date(2025, 6, 29), date(2025, 12, 31), date(2026, 1, 31), A, date(2026, 7, 1), date(2026, 9, 1)]
    edges = [datetime.combine(d - timedelta(days=w - 1), datetime.min.time()) for d in days for w in (30, 365)]
    rows = []
    for i in range(1, 401):
        first = rng.choice(edges) if i % 5 == 0 else _dt(2024, 6, 1) + timedelta(hours=rng.randrange(24 * 800))
        last = first + timedelta(hours=rng.choice([0, rng.randrange(24 * 700)]))
        flag = rng.choice([None, False, True]) if i % 3 == 0 else None
        churn_day = rng.choice([None, *days, date(2025, 3, 1)]) if flag else None
        rows.append({"id": i, "first_event_at": first, "last_event_at": last, "churn_flag": flag,
                     "churn_date": churn_day})
    rows.append({"id": 401, "first_event_at": None, "last_event_at": None, "churn_flag": True, "churn_date": None})
    OVERVIEW.customers(engine, rows)
    with engine.connect() as conn:
        for mode in ("inactivity", "flag"):
            for window in (30, 365):
                grouped = _grouped_counts(conn, true(), days, window, mode)
                assert churn_counts(conn, Filters(), days, window, mode) == grouped, (mode, window)
                assert churn_counts(conn, Filters(), days[::-1], window, mode) == grouped[::-1]
