"""Effort and loyalty: NPS and detractor share per effort level against hand counts, churn per level from the
customer facts, and the easy-versus-hard contrast."""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta

import pytest

from cxdash.filters import Filters
from cxdash.metrics.loyalty.effort import easy_vs_hard, effort_loyalty, effort_nps_counts

A = date(2026, 6, 30)
F = Filters(date_from=date(2025, 1, 1), date_to=A)


def _world(engine) -> None:  # noqa: ANN001
    from tests.world import LOYALTY

    LOYALTY.org(engine)
    old = datetime(2025, 1, 10)
    # Customers 1-4: easy, came back (retained). Customers 5-8: hard (CES 2, 3 contacts, transferred twice,
    # repeated the story); 5-7 never came back (churned), 8 came back.
    LOYALTY.customers(engine, [{"id": i, "first_event_at": old,
                           "last_event_at": old if i in (5, 6, 7) else datetime(2026, 6, 1)} for i in range(1, 9)])
    easy = {"ces": 6, "contacts_needed": 1, "transfers": 0, "repeated_story": False}
    hard = {"ces": 2, "contacts_needed": 3, "transfers": 2, "repeated_story": True}
    LOYALTY.responses(engine, [{"customer_id": i, "visit_date": old.date(), "ltr": 9 + i % 2, **easy} for i in range(1, 5)])
    LOYALTY.responses(engine, [{"customer_id": i, "visit_date": old.date(), "ltr": 3 if i < 8 else 7, **hard}
                          for i in range(5, 9)])
    LOYALTY.responses(engine, [{"visit_date": old.date() + timedelta(days=1), "ltr": 8, "ces": 4, "contacts_needed": 2,
                           "transfers": 1, "repeated_story": None}])


def test_nps_per_level_by_hand(engine) -> None:  # noqa: ANN001
    _world(engine)
    counts, sample = effort_nps_counts(engine, F)
    assert not sample.sampled and int(counts["nps_n"].sum()) == 9
    res = effort_loyalty(engine, F, as_of=A)
    t = res.table.set_index(["dimension", "level"])
    assert t.loc[("ces", "6"), "nps"] == 100.0 and t.loc[("ces", "6"), "n"] == 4
    # CES 2: three detractors (3) and one passive (7): NPS -75, detractor share 3/4.
    assert t.loc[("ces", "2"), "nps"] == -75.0
    assert t.loc[("ces", "2"), "detractors"] == pytest.approx(0.75)
    assert t.loc[("contacts", "3+"), "n"] == 4 and t.loc[("contacts", "2"), "n"] == 1
    assert t.loc[("transfers", "2+"), "nps"] == -75.0
    assert t.loc[("repeated", "yes"), "n"] == 4 and t.loc[("repeated", "no"), "n"] == 4  # one did not answer
    assert ("ces", "5") not in t.index  # levels nobody answered are left out
    # Churn of customers by the effort they reported: easy 0 of 4, hard 3 of 4.
    assert t.loc[("ces", "6"), "churn"] == 0.0 and t.loc[("ces", "6"), "churn_n"] == 4
    assert t.loc[("ces", "2"), "churn"] == pytest.approx(0.75)
    assert res.responses == 9 and res.customers == 8


def test_easy_versus_hard(engine) -> None:  # noqa: ANN001
    _world(engine)
    easy, hard, diff = easy_vs_hard(engine, F)
    assert (easy.score, hard.score) == (100.0, -75.0)
    se = math.hypot(easy.se or 0.0, hard.se or 0.0)
    assert diff.delta == 175.0
    assert (diff.ci_low, diff.ci_high) == pytest.approx((175 - 1.96 * se, 175 + 1.96 * se))
    assert diff.significant


def test_empty_selection(engine) -> None:  # noqa: ANN001
    res = effort_loyalty(engine, F, as_of=A)
    assert res.table.empty and res.responses == 0
