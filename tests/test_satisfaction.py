"""CSAT with its Wilson interval, CES and effort facts against hand counts, scipy and an independent formula."""

from __future__ import annotations

import math
from datetime import date

import numpy as np
import pytest
from scipy import stats as sps

from cxdash.filters import Filters
from cxdash.metrics.satisfaction import ces, ces_from_sums, csat, effort_facts, wilson
from cxdash.metrics.significance import (
    Proportion,
    compare_means,
    compare_proportions,
    proportion,
)
from tests.world import OVERVIEW, values

Z = float(sps.norm.ppf(0.975))


@pytest.mark.parametrize(("k", "n"), [(0, 1), (1, 1), (3, 7), (0, 20), (20, 20), (45, 60), (999, 1000)])
def test_wilson_matches_scipy(k: int, n: int) -> None:
    ci = sps.binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
    low, high = wilson(k, n, z=Z)
    assert low == pytest.approx(ci.low, abs=1e-12)
    assert high == pytest.approx(ci.high, abs=1e-12)


def test_wilson_by_hand() -> None:
    """Textbook form: (p + z^2/2n +/- z sqrt(p(1-p)/n + z^2/4n^2)) / (1 + z^2/n), k = 8 of n = 10, z = 1.96."""
    p, n, z = 0.8, 10, 1.96
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    assert wilson(8, 10) == pytest.approx((centre - half, centre + half))
    assert wilson(0, 0) == (None, None)


def test_proportion_edge_cases() -> None:
    assert proportion(0, 0) == Proportion(0, 0, None, None, None)
    one = proportion(1, 1)
    assert one.rate == 1.0 and one.ci_high == 1.0 and 0 < one.ci_low < 1  # type: ignore[operator]


def test_two_proportion_z_test_by_hand() -> None:
    a, b = proportion(60, 100), proportion(45, 100)
    pooled = 105 / 200
    threshold = 1.96 * math.sqrt(pooled * (1 - pooled) * (2 / 100))
    ch = compare_proportions(a, b)
    assert ch.delta == pytest.approx(0.15)
    assert ch.threshold == pytest.approx(threshold)
    assert ch.significant is True  # z = 2.12
    assert compare_proportions(proportion(52, 100), b).significant is False
    assert compare_proportions(a, proportion(0, 0)).significant is None
    assert compare_proportions(proportion(5, 5), proportion(3, 3)).significant is False  # pooled p = 1


def test_welch_matches_scipy() -> None:
    x, y = np.array([7, 6, 5, 5, 4, 7, 6]), np.array([3, 4, 5, 2, 4, 3])
    ch = compare_means(len(x), x.mean(), x.std(ddof=1), len(y), y.mean(), y.std(ddof=1))
    res = sps.ttest_ind(x, y, equal_var=False)
    ci = res.confidence_interval(0.95)
    assert ch.delta == pytest.approx(x.mean() - y.mean())
    assert ch.threshold == pytest.approx((ci.high - ci.low) / 2)
    assert ch.significant is bool(res.pvalue < 0.05)
    assert compare_means(1, 5.0, None, 3, 4.0, 1.0).significant is None


def test_ces_from_sums_matches_scipy() -> None:
    x = np.array([7, 6, 5, 4, 1, 2])
    r = ces_from_sums(len(x), float(x.sum()), float((x * x).sum()), int((x >= 5).sum()))
    low, high = sps.t.interval(0.95, len(x) - 1, loc=x.mean(), scale=sps.sem(x))
    assert (r.n, r.easy) == (6, 3)
    assert r.mean == pytest.approx(25 / 6)
    assert r.share_easy == pytest.approx(0.5)
    assert r.sd == pytest.approx(x.std(ddof=1))
    assert (r.ci_low, r.ci_high) == pytest.approx((low, high))
    assert ces_from_sums(0, 0, 0, 0).mean is None
    one = ces_from_sums(1, 6, 36, 1)
    assert (one.mean, one.share_easy, one.ci_low) == (6.0, 1.0, None)


def test_csat_ces_and_effort_in_sql(engine) -> None:  # noqa: ANN001
    OVERVIEW.org(engine)
    rows = [
        {"csat": 5, "ces": 7, "contacts_needed": 1, "transfers": 0, "repeated_story": False},
        {"csat": 4, "ces": 6, "contacts_needed": 2, "transfers": 1, "repeated_story": True},
        {"csat": 4, "ces": 5, "contacts_needed": 3, "transfers": 0, "repeated_story": False},
        {"csat": 3, "ces": 4, "contacts_needed": 1, "transfers": None, "repeated_story": None},
        {"csat": 2, "ces": 1, "contacts_needed": None, "transfers": 2, "repeated_story": True},
        {"csat": 1, "ces": 2},
        {"csat": 5, "ces": None},
        {"csat": None, "ces": 9},  # out of scale: ignored
    ]
    OVERVIEW.responses(engine, rows)
    OVERVIEW.responses(engine, values("csat", [1, 1, 1], ces=1), site_id=2)
    f = Filters(site_ids=(1,))
    c = csat(engine, f)
    assert (c.n, c.k) == (7, 4)
    assert (c.ci_low, c.ci_high) == pytest.approx(wilson(4, 7))
    e = ces(engine, f)
    assert (e.n, e.easy) == (6, 3)
    assert e.mean == pytest.approx(25 / 6)
    facts = effort_facts(engine, f)
    assert (facts.multiple_contacts.k, facts.multiple_contacts.n) == (2, 4)
    assert (facts.transferred.k, facts.transferred.n) == (2, 4)
    assert (facts.repeated_story.k, facts.repeated_story.n) == (2, 4)
    everything = csat(engine, Filters())
    assert (everything.n, everything.k) == (10, 4)


def test_empty_selection_returns_none(engine) -> None:  # noqa: ANN001
    f = Filters(date_from=date(2030, 1, 1), date_to=date(2030, 1, 31))
    assert csat(engine, f) == Proportion(0, 0, None, None, None)
    assert ces(engine, f).mean is None
    assert effort_facts(engine, f).transferred.rate is None
