"""The tier tolerance setting and the recomputation of stored tiers when it changes (docs/metrics.md).

The tolerance is stored under the setting key ``tier_tolerance`` as a share of the scale's range (default 1/12,
i.e. 0.5 points of a 7-point scale). It applies to averaged scores and fine scales; single integer items on
scales of at most 11 points always compare exactly. Changing it recomputes every response's stored tier in a few
set-based statements (no row-by-row Python), inside the caller's transaction.
"""

from __future__ import annotations

from sqlalchemy import Engine, update
from sqlalchemy.engine import Connection

from cxdash.db import bump_data_version, put_setting
from cxdash.domain.tiers import TOLERANCE_SETTING, get_tolerance, tier_expression
from cxdash.schema import survey_response
from cxdash.summaries import refresh_summaries

SEVEN_POINT_RANGE = 6.0  # the tolerance is shown in points of a 7-point scale


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
    put_setting(conn, TOLERANCE_SETTING, float(tolerance))  # bumps the data version: caches refresh
    return recompute_tiers(conn, tolerance)


def recompute_tiers(conn: Connection, tolerance: float) -> int:
    """Recompute ``survey_response.tier`` for every response with the given tolerance (one UPDATE).

    The rule is :func:`cxdash.domain.tiers.tier_expression`. The summaries are rebuilt (tier counts and the
    disappointed count per touchpoint depend on the tolerance). Returns the number of responses updated.
    """
    tier = tier_expression(tolerance)
    changed = conn.execute(update(survey_response).values(tier=tier)).rowcount
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
