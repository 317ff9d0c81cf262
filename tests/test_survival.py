"""Kaplan-Meier: the estimator against a hand-computed table, and retention curves from customer spans."""

from __future__ import annotations

import math
from datetime import date, datetime

import numpy as np
import pytest

from cxdash.filters import Filters
from cxdash.metrics.loyalty.churn_definition import ChurnDefinition
from cxdash.metrics.loyalty.survival import kaplan_meier, retention_curves, survival_at
from tests.world import LOYALTY

# Seven subjects: times 1, 2, 2+, 3, 4+, 4, 5 (+ = censored).
T = [1, 2, 2, 3, 4, 4, 5]
E = [1, 1, 0, 1, 0, 1, 1]


def test_estimate_by_hand() -> None:
    km = kaplan_meier(np.array(T), np.array(E))
    assert km["time"].tolist() == [1, 2, 3, 4, 5]
    assert km["at_risk"].tolist() == [7, 6, 4, 3, 1]
    assert km["events"].tolist() == [1, 1, 1, 1, 1]
    assert km["censored"].tolist() == [0, 1, 0, 1, 0]
    # S = 6/7; 6/7 * 5/6 = 5/7; 5/7 * 3/4 = 15/28; 15/28 * 2/3 = 5/14; 0.
    assert km["survival"].tolist() == pytest.approx([6 / 7, 5 / 7, 15 / 28, 5 / 14, 0.0])


def test_greenwood_loglog_interval_by_hand() -> None:
    km = kaplan_meier(np.array(T), np.array(E))
    # At t = 2: Greenwood sum 1/(7*6) + 1/(6*5); half-width on the log(-log) scale 1.96 sqrt(V) / |log S|.
    s = 5 / 7
    v = 1 / 42 + 1 / 30
    half = 1.96 * math.sqrt(v) / abs(math.log(s))
    assert km.loc[1, "ci_low"] == pytest.approx(s ** math.exp(half))
    assert km.loc[1, "ci_high"] == pytest.approx(s ** math.exp(-half))
    assert km.loc[1, "ci_low"] == pytest.approx(0.2582, abs=1e-4)
    assert km.loc[1, "ci_high"] == pytest.approx(0.9198, abs=1e-4)
    assert math.isnan(km.loc[4, "ci_low"])  # S = 0: no interval


def test_no_events_and_empty() -> None:
    km = kaplan_meier(np.array([3, 1, 2]), np.array([0, 0, 0]))
    assert km["survival"].tolist() == [1.0, 1.0, 1.0]
    assert kaplan_meier(np.array([]), np.array([])).empty
    assert survival_at(km, 0) == 1.0


def test_survival_at_reads_the_step() -> None:
    km = kaplan_meier(np.array(T), np.array(E))
    assert survival_at(km, 0.5) == 1.0
    assert survival_at(km, 2.5) == pytest.approx(5 / 7)
    assert survival_at(km, 10) == 0.0


def test_retention_curves_from_customers(engine) -> None:  # noqa: ANN001
    a = date(2026, 6, 30)
    LOYALTY.org(engine)
    LOYALTY.customers(engine, [
        # churned: last event 2025-01-31 (more than 365 days before A): duration 30 days
        {"id": 1, "first_event_at": datetime(2025, 1, 1), "last_event_at": datetime(2025, 1, 31)},
        # retained: censored at A (545 days after 2025-01-01)
        {"id": 2, "first_event_at": datetime(2025, 1, 1), "last_event_at": datetime(2026, 6, 1)},
        # flagged with a date: the relationship ends on that date (2026-01-11: 10 days)
        {"id": 3, "first_event_at": datetime(2026, 1, 1), "last_event_at": datetime(2026, 6, 1),
         "churn_flag": True, "churn_date": date(2026, 1, 11)},
    ])
    LOYALTY.responses(engine, [{"customer_id": 1, "visit_date": date(2025, 1, 1), "tier": 0},
                          {"customer_id": 1, "visit_date": date(2025, 1, 31), "tier": 2},
                          {"customer_id": 2, "visit_date": date(2025, 1, 1), "tier": 2},
                          {"customer_id": 3, "visit_date": date(2026, 1, 1)}])
    curves = retention_curves(engine, Filters(), as_of=a)
    every = curves[curves["group"] == "all"]
    assert every["time"].tolist() == [10, 30, 545]
    assert every["events"].tolist() == [1, 1, 0]
    assert every["survival"].tolist() == pytest.approx([2 / 3, 1 / 3, 1 / 3])
    # Groups by the tier of the first response: customer 1 disappointed, 2 delighted, 3 none.
    assert curves[curves["group"] == "disappointed"]["survival"].tolist() == [0.0]
    assert curves[curves["group"] == "delighted"]["survival"].tolist() == [1.0]
    # Flag mode: only customer 3 churned.
    flag = retention_curves(engine, Filters(), as_of=a, definition=ChurnDefinition("flag"))
    assert flag[flag["group"] == "all"]["events"].sum() == 1


def test_first_tier_of_a_day_with_two_responses_is_the_earlier_loaded(engine) -> None:  # noqa: ANN001
    """Two responses on the first day: the one with the lower id counts, whatever the tiers' order."""
    from cxdash.metrics.loyalty.churn_facts import churn_samples

    LOYALTY.org(engine)
    LOYALTY.customers(engine, [{"id": 1, "first_event_at": datetime(2025, 1, 1), "last_event_at": datetime(2025, 1, 1)},
                          {"id": 2, "first_event_at": datetime(2025, 1, 1), "last_event_at": datetime(2025, 1, 1)}])
    LOYALTY.responses(engine, [{"customer_id": 1, "visit_date": date(2025, 1, 1), "tier": 2},
                          {"customer_id": 1, "visit_date": date(2025, 1, 1), "tier": 0},
                          {"customer_id": 2, "visit_date": date(2025, 1, 1), "tier": 0},
                          {"customer_id": 2, "visit_date": date(2025, 1, 1), "tier": 2},
                          {"customer_id": 2, "visit_date": date(2024, 12, 1), "tier": 1}])
    with engine.connect() as conn:
        hist = churn_samples(conn, Filters(), date(2026, 6, 30), ChurnDefinition()).histories
    assert dict(zip(hist["customer_id"], hist["first_tier"], strict=True)) == {1: "delighted", 2: "basic"}
