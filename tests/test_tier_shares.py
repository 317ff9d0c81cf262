"""Tier shares of a selection: hand counts, "no tier" kept in the denominator, Wilson intervals, empty selection."""

from __future__ import annotations

import pytest

from cxdash.filters import Filters
from cxdash.metrics.experience.tiers import TierShares, tier_shares, tiers_from_counts
from cxdash.metrics.satisfaction import wilson
from tests.world import OVERVIEW, values


def test_shares_from_counts() -> None:
    s = tiers_from_counts(2, 1, 3, 1)
    assert (s.n, s.disappointed, s.basic, s.delighted, s.none) == (7, 2, 1, 3, 1)
    assert s.shares == pytest.approx({"disappointed": 2 / 7, "basic": 1 / 7, "delighted": 3 / 7, "none": 1 / 7})
    assert sum(s.shares.values()) == pytest.approx(1.0)  # type: ignore[arg-type]
    p = s.proportion("delighted")
    assert (p.k, p.n, p.rate) == (3, 7, pytest.approx(3 / 7))
    assert (p.ci_low, p.ci_high) == pytest.approx(wilson(3, 7))


def test_empty_and_single() -> None:
    empty = tiers_from_counts(0, 0, 0, 0)
    assert empty == TierShares(0, 0, 0, 0, 0, {"disappointed": None, "basic": None, "delighted": None, "none": None})
    assert empty.proportion("basic").rate is None
    one = tiers_from_counts(0, 0, 0, 1)
    assert one.shares["none"] == 1.0 and one.shares["basic"] == 0.0


def test_tier_shares_in_sql(engine) -> None:  # noqa: ANN001
    OVERVIEW.org(engine)
    OVERVIEW.responses(engine, values("tier", [0, 0, 1, 2, 2, 2, None]))
    OVERVIEW.responses(engine, values("tier", [0, 0, 0]), site_id=3)
    s = tier_shares(engine, Filters(region_ids=(1,)))
    assert (s.n, s.disappointed, s.basic, s.delighted, s.none) == (7, 2, 1, 3, 1)
    everything = tier_shares(engine, Filters())
    assert (everything.n, everything.disappointed) == (10, 5)
    assert tier_shares(engine, Filters(site_ids=(2,))).n == 0
