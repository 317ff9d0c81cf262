"""A touchpoint score's pair (P, E) as SQL: paired or not, the gap on the common 0-1 scale, disappointed or not.

The gap table, the summaries and an action plan's effect all read touchpoint scores through these expressions, so
"a pair", "its normalised gap" and "a disappointed pair" mean one thing everywhere. The summaries' vectorised
loader (:mod:`cxdash.summaries.pair_sums`) applies the same rule to arrays.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, case, func
from sqlalchemy.sql.elements import ColumnElement

from cxdash.schema import survey_response, touchpoint_score

_EPS = 1e-9


def scale_bounds() -> tuple[ColumnElement[float], ColumnElement[float]]:
    """The touchpoint scale (min, range) of a response; the overall scale stands in when it is missing."""
    lo = func.coalesce(survey_response.c.tp_scale_min, survey_response.c.overall_scale_min)
    hi = func.coalesce(survey_response.c.tp_scale_max, survey_response.c.overall_scale_max)
    return lo, hi - lo


def pair_expressions(tolerance: float) -> dict[str, ColumnElement[Any]]:
    """SQL expressions of one touchpoint score: paired flag, normalised d, P, E and the disappointed flag.

    The disappointed rule is the tier rule (:mod:`cxdash.domain.tiers`): integer items on scales of at most 11
    points compare exactly (d < 0); other scores need d below minus the tolerance (a share of the range).
    """
    lo, rng = scale_bounds()
    p, e = touchpoint_score.c.p, touchpoint_score.c.e
    paired = and_(p.isnot(None), e.isnot(None))
    d = (p - e) / rng
    integral = and_(rng <= 10, p == func.round(p), e == func.round(e))
    disappointed = case((integral, p - e < 0), else_=d < -tolerance - _EPS)
    return {
        "paired": paired,
        "d": d,
        "p": (p - lo) / rng,
        "e": (e - lo) / rng,
        "disappointed": and_(paired, disappointed),
        "valid": rng > 0,
    }
