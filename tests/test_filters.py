"""Filters -> WHERE clauses, as a table of input and expected clause and parameters (datasette style)."""

from datetime import date

import pytest
from sqlalchemy.dialects import sqlite

from cxdash.filters import Filters, parse_ids, response_where, ticket_where


def compiled(clause):
    c = clause.compile(dialect=sqlite.dialect(), compile_kwargs={})
    return str(c), c.params


@pytest.mark.parametrize(
    ("filters", "fragments", "params"),
    [
        (Filters(), [], {}),
        (Filters(site_ids=(3, 4)), ["survey_response.site_id IN"], {"site_id_1": [3, 4]}),
        (
            Filters(date_from=date(2026, 1, 1), date_to=date(2026, 1, 31)),
            ["visit_date >=", "visit_date <="],
            {"visit_date_1": date(2026, 1, 1), "visit_date_2": date(2026, 1, 31)},
        ),
        (Filters(channels=("phone",), segments=("vip",)), ["channel IN", "segment IN"], {}),
        (Filters(scope_sites=(1,), scope_teams=(9,)), ["site_id IN", " OR ", "team_id IN"], {}),
        (Filters(scope_sites=(), scope_teams=()), ["0 = 1"], {}),
    ],
)
def test_response_where(filters, fragments, params):
    sql, bound = compiled(response_where(filters))
    for frag in fragments:
        assert frag in sql
    for key, value in params.items():
        assert bound[key] == value


def test_ticket_dates_cover_the_whole_last_day():
    sql, bound = compiled(ticket_where(Filters(date_from=date(2026, 1, 1), date_to=date(2026, 1, 31))))
    assert "created_at >=" in sql and "created_at <" in sql
    assert str(bound["created_at_2"]).startswith("2026-02-01")


def test_previous_period_has_equal_length():
    f = Filters(date_from=date(2026, 3, 1), date_to=date(2026, 3, 31))
    prev = f.previous_period()
    assert prev is not None
    assert (prev.date_from, prev.date_to) == (date(2026, 1, 29), date(2026, 2, 28))
    assert Filters().previous_period() is None


def test_parse_ids_ignores_garbage():
    assert parse_ids(["1", "x", "2; DROP TABLE site", 3]) == (1, 3)


def test_cache_key_is_order_independent():
    assert Filters(site_ids=(2, 1)).cache_key() == Filters(site_ids=(1, 2)).cache_key()
