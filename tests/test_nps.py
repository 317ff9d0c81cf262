"""NPS, its standard error and the change rule against hand-computed values and an independent numpy check."""

from __future__ import annotations

import math
from datetime import date

import numpy as np
import pytest

from cxdash.filters import Filters
from cxdash.metrics.nps import NpsResult, compare, nps, nps_from_counts
from tests.world import OVERVIEW, values


def test_five_promoters_three_passives_two_detractors() -> None:
    r = nps_from_counts(5, 3, 2)
    se = 100 * math.sqrt((0.5 + 0.2 - 0.09) / 10)
    assert (r.n, r.promoters, r.passives, r.detractors) == (10, 5, 3, 2)
    assert r.score == pytest.approx(30.0)
    assert r.se == pytest.approx(se)
    assert r.ci_low == pytest.approx(30 - 1.96 * se)
    assert r.ci_high == pytest.approx(30 + 1.96 * se)


def test_se_equals_the_sd_of_plus_minus_hundred_scores() -> None:
    """Independent check: NPS is the mean of +100 / 0 / -100 per respondent; SE = population sd / sqrt(n)."""
    rng = np.random.default_rng(3)
    ltr = rng.integers(0, 11, 500)
    x = np.where(ltr >= 9, 100.0, np.where(ltr <= 6, -100.0, 0.0))
    r = nps_from_counts(int((ltr >= 9).sum()), int(((ltr >= 7) & (ltr <= 8)).sum()), int((ltr <= 6).sum()))
    assert r.score == pytest.approx(x.mean())
    assert r.se == pytest.approx(x.std(ddof=0) / math.sqrt(len(x)))


def test_no_answers_gives_none_and_one_answer_has_zero_se() -> None:
    assert nps_from_counts(0, 0, 0) == NpsResult(0, 0, 0, 0, None, None, None, None)
    one = nps_from_counts(0, 0, 1)
    assert (one.score, one.se, one.ci_low, one.ci_high) == (-100.0, 0.0, -100.0, -100.0)


def test_change_rule() -> None:
    cur, prev = nps_from_counts(5, 3, 2), nps_from_counts(2, 3, 5)
    ch = compare(cur, prev)
    threshold = 1.96 * math.sqrt(cur.se**2 + prev.se**2)  # type: ignore[operator]
    assert ch.delta == pytest.approx(60.0)
    assert ch.threshold == pytest.approx(threshold)
    assert ch.significant is (threshold < 60)
    same = compare(cur, nps_from_counts(50, 30, 20))
    assert same.delta == pytest.approx(0.0) and same.significant is False
    assert compare(cur, nps_from_counts(0, 0, 0)).significant is None


def test_change_at_the_threshold_is_within_noise() -> None:
    big_a, big_b = nps_from_counts(400, 300, 300), nps_from_counts(300, 300, 400)
    ch = compare(big_a, big_b)
    assert ch.significant is (abs(ch.delta) > ch.threshold)  # type: ignore[arg-type,operator]
    assert compare(nps_from_counts(6, 2, 2), nps_from_counts(5, 3, 2)).significant is False


def test_nps_in_sql_with_filters(engine) -> None:  # noqa: ANN001
    OVERVIEW.org(engine)
    OVERVIEW.responses(engine, values("ltr", [9, 10, 9, 10, 9, 7, 8, 7, 0, 6, None]))
    OVERVIEW.responses(engine, values("ltr", [0, 0, 0]), site_id=3)  # another region
    OVERVIEW.responses(engine, values("ltr", [10, 10]), day=date(2026, 4, 2))  # outside the range below
    r = nps(engine, Filters(date_from=date(2026, 3, 1), date_to=date(2026, 3, 31), region_ids=(1,)))
    assert (r.n, r.promoters, r.passives, r.detractors) == (10, 5, 3, 2)
    assert r.score == pytest.approx(30.0)
    whole = nps(engine, Filters())
    assert (whole.n, whole.promoters, whole.detractors) == (15, 7, 5)
    assert nps(engine, Filters(site_ids=(2,))).score is None
