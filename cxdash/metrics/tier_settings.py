"""The tier tolerance setting and the recomputation of stored tiers when it changes (DESIGN.md §3).

The tolerance is stored under the setting key ``tier_tolerance`` as a share of the scale's range (default 1/12,
i.e. 0.5 points of a 7-point scale). It applies to averaged scores and fine scales; single integer items on
scales of at most 11 points always compare exactly. Changing it recomputes every response's stored tier in a few
set-based statements (no row-by-row Python), inside the caller's transaction.
"""

from __future__ import annotations

from sqlalchemy import Engine, and_, case, func, update
from sqlalchemy.engine import Connection

from cxdash.db import bump_data_version, put_setting
from cxdash.domain.tier_rule import TOLERANCE_SETTING, stored_tolerance
from cxdash.metrics.tiers import BASIC, DELIGHTED, DISAPPOINTED
from cxdash.schema import survey_response

SETTING_KEY = TOLERANCE_SETTING
SEVEN_POINT_RANGE = 6.0  # the tolerance is shown in points of a 7-point scale
_EPS = 1e-9


def get_tolerance(conn: Connection) -> float:
    """The tier tolerance as a share of the scale range (the setting, else the default 1/12)."""
    return stored_tolerance(conn)


def tolerance_in_points(tolerance: float) -> float:
    """The tolerance expressed in points of a 7-point scale (how the page shows it)."""
    return tolerance * SEVEN_POINT_RANGE


def set_tolerance(conn: Connection, tolerance: float) -> int:
    """Store a new tolerance (share of range, 0 <= t < 0.5) and recompute the stored tiers; return rows changed.

    Raises:
        ValueError: the tolerance is outside [0, 0.5).
    """
    if not 0 <= tolerance < 0.5:
        raise ValueError("tolerance must be at least 0 and below half the scale range")
    put_setting(conn, SETTING_KEY, float(tolerance))  # bumps the data version: caches refresh
    return recompute_tiers(conn, tolerance)


def recompute_tiers(conn: Connection, tolerance: float) -> int:
    """Recompute ``survey_response.tier`` for every response with the given tolerance (one UPDATE).

    The same rule as :func:`cxdash.metrics.tiers.classify` on the stored ``gap_norm`` (which does not depend on
    the tolerance): a direct disconfirmation answer wins; integer overall items on scales of at most 11 points
    use t = 0; no ``gap_norm`` means no tier. The summaries are rebuilt (tier counts and the disappointed count
    per touchpoint depend on the tolerance). Returns the number of responses updated.
    """
    sr = survey_response.c
    rng = sr.overall_scale_max - sr.overall_scale_min
    has_overall = and_(sr.overall_p.isnot(None), sr.overall_e.isnot(None), rng > 0)
    integral = and_(
        has_overall, rng <= 10, sr.overall_p == func.round(sr.overall_p), sr.overall_e == func.round(sr.overall_e)
    )
    t = case((integral, 0.0), else_=float(tolerance))
    tier = case(
        (sr.disconfirmation == "below", DISAPPOINTED),
        (sr.disconfirmation == "met", BASIC),
        (sr.disconfirmation == "exceeded", DELIGHTED),
        (sr.gap_norm.is_(None), None),
        (sr.gap_norm < -t - _EPS, DISAPPOINTED),
        (sr.gap_norm > t + _EPS, DELIGHTED),
        else_=BASIC,
    )
    changed = conn.execute(update(survey_response).values(tier=tier)).rowcount
    from cxdash.summaries import refresh_summaries  # local: the summaries read the tolerance from here

    refresh_summaries(conn, tolerance=tolerance)  # the tier mix and n_dis depend on the tolerance
    bump_data_version(conn)
    return int(changed or 0)


def tolerance_setting(engine: Engine) -> float:
    """The stored tolerance (share of the range), for pages: :func:`get_tolerance` on its own connection."""
    with engine.connect() as conn:
        return get_tolerance(conn)


def change_tolerance(engine: Engine, points: float) -> int:
    """Set the tolerance from points of a 7-point scale and re-tier every response; return rows re-tiered.

    Raises:
        ValueError: the tolerance is outside [0, 3) points.
    """
    with engine.begin() as conn:
        return set_tolerance(conn, float(points) / SEVEN_POINT_RANGE)
