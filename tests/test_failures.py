"""Service failures and loyalty: responses joined to their customers' ticket outcomes, NPS and CSAT per group,
differences with intervals computed independently, churn from the customer facts, and the Newcombe interval."""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta

import pytest

from cxdash.filters import Filters
from cxdash.metrics.differences import nps_diff, proportion_diff
from cxdash.metrics.loyalty.failures import failure_counts, service_failures
from cxdash.metrics.nps import nps_from_counts
from cxdash.metrics.significance import proportion
from tests.world import LOYALTY

F = Filters(date_from=date(2026, 1, 1), date_to=date(2026, 6, 30))
NOW = datetime(2026, 7, 1)


def _world(engine) -> None:  # noqa: ANN001
    """Customer 1: breached ticket; 2: reopened; 3: repeat contact; 4, 5: tickets that went right; 6: no ticket;
    7: a breached ticket outside the date range (so "went right" in range). Two responses each."""
    LOYALTY.org(engine)
    LOYALTY.customers(engine, [{"id": i} for i in range(1, 8)])
    day = datetime(2026, 3, 2, 10)
    ok = {"frt_target_min": 60, "frt_business_min": 30, "res_target_min": 600, "res_business_min": 300,
          "reopen_count": 0, "is_repeat_7d": False, "has_repeat_7d": False}
    LOYALTY.tickets(engine, [
        {"customer_id": 1, **ok, "res_business_min": 900},
        {"customer_id": 2, **ok, "reopen_count": 2},
        {"customer_id": 3, **ok, "has_repeat_7d": True},
        {"customer_id": 3, **ok, "is_repeat_7d": True, "created_at": day + timedelta(days=3)},
        {"customer_id": 4, **ok}, {"customer_id": 5, **ok},
        {"customer_id": 7, **ok, "frt_business_min": 100, "created_at": datetime(2025, 6, 1)},
        {"customer_id": 7, **ok},
        {"customer_id": 4, **ok, "frt_business_min": 500, "merged_into": "t-x"},  # merged: ignored
    ])
    answers = {1: (2, 1), 2: (6, 3), 3: (7, 3), 4: (10, 5), 5: (9, 4), 6: (8, 4), 7: (9, 5)}
    LOYALTY.responses(engine, [{"customer_id": c, "ltr": ltr, "csat": cs, "visit_date": date(2026, 3, 20)}
                          for c, (ltr, cs) in answers.items() for _ in range(2)])


def test_counts_by_failure_flags(engine) -> None:  # noqa: ANN001
    _world(engine)
    counts, sample = failure_counts(engine, F, NOW)
    assert not sample.sampled
    got = {tuple(r[:3]): int(r[3]) for r in counts[["breached", "reopened", "repeat", "nps_n"]].itertuples(index=False)}
    assert got == {(1, 0, 0): 2, (0, 1, 0): 2, (0, 0, 1): 2, (0, 0, 0): 6, (-1, -1, -1): 2}


def test_groups_and_differences(engine) -> None:  # noqa: ANN001
    _world(engine)
    res = service_failures(engine, F, NOW, as_of=date(2026, 6, 30))
    t = res.table.set_index("group")
    # went right: customers 4, 5, 7 -> ltr 10, 10, 9, 9, 9, 9: all promoters
    assert t.loc["went_right", "n"] == 6 and t.loc["went_right", "nps"] == 100.0
    # any failure: customers 1-3 -> ltr 2, 2, 6, 6, 7, 7: 4 detractors, 2 passives
    assert t.loc["any_failure", "nps"] == pytest.approx(100 * (0 - 4) / 6)
    ref = nps_from_counts(6, 0, 0)
    fail = nps_from_counts(0, 2, 4)
    half = 1.96 * math.hypot(ref.se or 0.0, fail.se or 0.0)
    assert t.loc["any_failure", "nps_diff"] == pytest.approx(fail.score - ref.score)
    assert t.loc["any_failure", "nps_diff_low"] == pytest.approx(fail.score - ref.score - half)
    assert t.loc["breached", "csat"] == 0.0 and t.loc["went_right", "csat"] == 1.0
    assert t.loc["no_ticket", "n"] == 2 and math.isnan(t.loc["no_ticket", "nps_diff"])
    assert res.responses == 14


def test_newcombe_interval_against_the_published_example() -> None:
    # Newcombe (1998), Statistics in Medicine 17:873, table II example (e): 56/70 - 48/80 = 0.2,
    # hybrid score interval (method 10) 0.0524 to 0.3339.
    d = proportion_diff(proportion(56, 70), proportion(48, 80))
    assert d.delta == pytest.approx(0.2)
    assert (d.ci_low, d.ci_high) == pytest.approx((0.0524, 0.3339), abs=5e-4)
    assert nps_diff(nps_from_counts(0, 0, 0), ref := nps_from_counts(1, 0, 0)).delta is None and ref.n == 1
