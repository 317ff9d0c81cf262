"""The tier rule of a response: disappointed, basic or delighted from its disconfirmation or P - E gap.

A tier is derived once per response when it is loaded (:mod:`cxdash.imports`) and stored in
``survey_response.tier`` (0, 1, 2, or NULL for "no tier"), together with ``gap_norm``, the disconfirmation P - E
on the common 0-1 scale. The tolerance (setting ``tier_tolerance``) is the band around zero counted as "basic".
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sqlalchemy.engine import Connection

from cxdash.db import get_setting

DISAPPOINTED, BASIC, DELIGHTED = 0, 1, 2
TIER_CODES = {"disappointed": DISAPPOINTED, "basic": BASIC, "delighted": DELIGHTED}
DISCONFIRMATION = {"below": DISAPPOINTED, "met": BASIC, "exceeded": DELIGHTED}
# Tolerance for averaged or fine-scaled scores as a share of the scale's range: 0.5 points of a 7-point scale.
DEFAULT_TOLERANCE = 1 / 12


def classify(
    disconfirmation: pd.Series,
    overall_p: pd.Series,
    overall_e: pd.Series,
    overall_min: pd.Series,
    overall_max: pd.Series,
    tp_gap_norm_mean: pd.Series,
    tolerance: float = DEFAULT_TOLERANCE,
) -> tuple[pd.Series, pd.Series]:
    """Return ``(tier, gap_norm)`` per response, vectorised over aligned Series.

    Args:
        disconfirmation: "below" / "met" / "exceeded" or missing; wins over scores when present.
        overall_p, overall_e: overall perceived and expected scores (missing allowed).
        overall_min, overall_max: the overall items' scale bounds.
        tp_gap_norm_mean: mean of the answered touchpoint gaps on the 0-1 scale, used without overall items.
        tolerance: the band around zero counted as "basic" for means and fine scales, as a share of the range.

    Returns:
        ``tier`` as nullable Int8 (NA = no tier) and ``gap_norm`` as float (NaN without E).
    """
    rng = (overall_max - overall_min).astype(float)
    d_overall = (overall_p.astype(float) - overall_e.astype(float)) / rng.where(rng > 0)
    has_overall = d_overall.notna()
    gap_norm = d_overall.where(has_overall, tp_gap_norm_mean.astype(float))

    # Single integer items on scales of at most 11 points compare exactly (t = 0): P = E is "basic".
    integral = (
        has_overall
        & np.isclose(overall_p.astype(float).fillna(0.5) % 1, 0)
        & np.isclose(overall_e.astype(float).fillna(0.5) % 1, 0)
        & ((overall_max - overall_min) <= 10)
    )
    t = pd.Series(np.where(integral, 0.0, tolerance), index=gap_norm.index)
    eps = 1e-9
    tier = pd.Series(pd.NA, index=gap_norm.index, dtype="Int8")
    tier[gap_norm < -t - eps] = DISAPPOINTED
    tier[(gap_norm.abs() <= t + eps)] = BASIC
    tier[gap_norm > t + eps] = DELIGHTED
    direct = disconfirmation.map(DISCONFIRMATION)
    tier = pd.Series(np.where(direct.notna(), direct, tier), index=gap_norm.index).astype("Int8")
    return tier, gap_norm

TOLERANCE_SETTING = "tier_tolerance"


def stored_tolerance(conn: Connection) -> float:
    """The tier tolerance as a share of the scale range (the setting, else the default 1/12)."""
    value = get_setting(conn, TOLERANCE_SETTING, None)
    try:
        tol = float(value) if value is not None else DEFAULT_TOLERANCE
    except (TypeError, ValueError):
        return DEFAULT_TOLERANCE
    return tol if 0 <= tol < 1 else DEFAULT_TOLERANCE
