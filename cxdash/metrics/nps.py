"""Net Promoter Score with its standard error and the significance of a change (docs/metrics.md).

NPS = 100 x (promoters - detractors) / n over the responses with a likelihood to recommend (0-10): promoters
answer 9-10, passives 7-8, detractors 0-6. SE = 100 x sqrt((pP + pD - (pP - pD)^2) / n); the 95 % interval is
NPS +/- 1.96 SE. SQL returns the three counts in one pass (:func:`cxdash.domain.figures.nps_columns`), so the
same expressions serve a single figure, the overview's combined query and a monthly trend.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, select

from cxdash.domain.figures import nps_columns
from cxdash.filters import Filters, response_where
from cxdash.metrics.significance import NPS_TEST, Z95, Change


@dataclass(frozen=True)
class NpsResult:
    """NPS of a selection: counts, score (-100..100), SE and 95 % interval (None when n = 0)."""

    n: int
    promoters: int
    passives: int
    detractors: int
    score: float | None
    se: float | None
    ci_low: float | None
    ci_high: float | None


def nps_from_counts(promoters: int, passives: int, detractors: int) -> NpsResult:
    """Score, SE and interval from the three group counts (docs/metrics.md)."""
    n = promoters + passives + detractors
    if n == 0:
        return NpsResult(0, 0, 0, 0, None, None, None, None)
    p_p, p_d = promoters / n, detractors / n
    score = 100 * (p_p - p_d)
    # max(0, ...) only guards rounding: the variance p_P + p_D - (p_P - p_D)^2 is never negative.
    se = 100 * math.sqrt(max(0.0, p_p + p_d - (p_p - p_d) ** 2) / n)
    return NpsResult(n, promoters, passives, detractors, score, se, score - Z95 * se, score + Z95 * se)


def nps_from_row(row: Mapping[Any, Any]) -> NpsResult:
    """Build an :class:`NpsResult` from a row holding the :func:`nps_columns` aggregates."""
    n, pro, det = (int(row[k] or 0) for k in ("nps_n", "nps_promoters", "nps_detractors"))
    return nps_from_counts(pro, n - pro - det, det)


def nps(engine: Engine, filters: Filters) -> NpsResult:
    """NPS of the filters' survey responses (answers outside 0-10 and missing answers are left out)."""
    stmt = select(*nps_columns()).where(response_where(filters))
    with engine.connect() as conn:
        row = conn.execute(stmt).one()._mapping
    return nps_from_row(row)


def compare(cur: NpsResult, prev: NpsResult) -> Change:
    """Change of NPS between two periods: significant when |delta| > 1.96 x sqrt(SE1^2 + SE2^2)."""
    if cur.score is None or prev.score is None or cur.se is None or prev.se is None:
        return Change.undefined(NPS_TEST)
    return Change.judge(cur.score - prev.score, Z95 * math.hypot(cur.se, prev.se), NPS_TEST)
