"""Satisfaction tiers of a response: disappointed, basic or delighted, and the tolerance between them (docs/metrics.md).

A tier is derived once per response when it is loaded and stored in ``survey_response.tier`` (0, 1, 2, or NULL
for "no tier"), together with ``gap_norm``, the disconfirmation P - E on the common 0-1 scale. The rule is written
twice on purpose, once per engine: :func:`classify` (pandas, at load) and :func:`tier_expression` (SQL, when the
tolerance changes), side by side here so a change to one is made to the other. Everything naming a tier (columns, catalogs ``tier.<name>``, colours,
CLI output) uses :data:`TIER_NAMES`.
"""

from __future__ import annotations

import math
from enum import IntEnum
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import and_, case, func
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

from cxdash.db import get_setting
from cxdash.schema import survey_response


class Tier(IntEnum):
    """A stored tier code (``survey_response.tier``); its ``label`` names it everywhere else."""

    DISAPPOINTED = 0
    BASIC = 1
    DELIGHTED = 2

    @property
    def label(self) -> str:
        """``"disappointed"``, ``"basic"`` or ``"delighted"``."""
        return self.name.lower()


NO_TIER = "none"  # a response without an expectation answered: its own category, never dropped
TIER_NAMES = (*(tier.label for tier in Tier), NO_TIER)
TIER_BY_CODE = {int(tier): tier.label for tier in Tier}  # for vectorised maps over stored codes
DISCONFIRMATION = {"below": Tier.DISAPPOINTED, "met": Tier.BASIC, "exceeded": Tier.DELIGHTED}
# Tolerance for averaged or fine-scaled scores as a share of the scale's range: 0.5 points of a 7-point scale.
DEFAULT_TOLERANCE = 1 / 12
TOLERANCE_SETTING = "tier_tolerance"
_EPS = 1e-9


def tier_name(code: Any) -> str:
    """"disappointed" / "basic" / "delighted" for 0 / 1 / 2, "none" for a missing tier."""
    if code is None or (isinstance(code, float) and math.isnan(code)) or code is pd.NA:
        return NO_TIER
    return TIER_BY_CODE.get(int(code), NO_TIER)


def get_tolerance(conn: Connection) -> float:
    """The tier tolerance as a share of the scale range (the setting, else the default 1/12)."""
    value = get_setting(conn, TOLERANCE_SETTING, None)
    try:
        tol = float(value) if value is not None else DEFAULT_TOLERANCE
    except (TypeError, ValueError):
        return DEFAULT_TOLERANCE
    return tol if 0 <= tol < 1 else DEFAULT_TOLERANCE


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
    tier[gap_norm < -t - eps] = Tier.DISAPPOINTED
    tier[(gap_norm.abs() <= t + eps)] = Tier.BASIC
    tier[gap_norm > t + eps] = Tier.DELIGHTED
    direct = disconfirmation.map({k: int(v) for k, v in DISCONFIRMATION.items()})
    tier = pd.Series(np.where(direct.notna(), direct, tier), index=gap_norm.index).astype("Int8")
    return tier, gap_norm


def tier_expression(tolerance: float) -> ColumnElement[Any]:
    """:func:`classify` in SQL on the stored columns of ``survey_response`` (``gap_norm`` does not depend on the
    tolerance): a direct disconfirmation answer wins; integer overall items on scales of at most 11 points use
    t = 0; no ``gap_norm`` means no tier."""
    sr = survey_response.c
    rng = sr.overall_scale_max - sr.overall_scale_min
    has_overall = and_(sr.overall_p.isnot(None), sr.overall_e.isnot(None), rng > 0)
    integral = and_(
        has_overall, rng <= 10, sr.overall_p == func.round(sr.overall_p), sr.overall_e == func.round(sr.overall_e)
    )
    t = case((integral, 0.0), else_=float(tolerance))
    return case(
        *[(sr.disconfirmation == answer, int(tier)) for answer, tier in DISCONFIRMATION.items()],
        (sr.gap_norm.is_(None), None),
        (sr.gap_norm < -t - _EPS, int(Tier.DISAPPOINTED)),
        (sr.gap_norm > t + _EPS, int(Tier.DELIGHTED)),
        else_=int(Tier.BASIC),
    )


def tier_columns() -> list[ColumnElement[Any]]:
    """Labelled aggregates ``tier_n``, ``tier_disappointed``, ``tier_basic``, ``tier_delighted``, ``tier_none``."""
    tier = survey_response.c.tier

    def count_if(cond: ColumnElement[bool]) -> ColumnElement[Any]:
        return func.sum(case((cond, 1), else_=0))

    return [
        func.count().label("tier_n"),
        count_if(tier == Tier.DISAPPOINTED).label("tier_disappointed"),
        count_if(tier == Tier.BASIC).label("tier_basic"),
        count_if(tier == Tier.DELIGHTED).label("tier_delighted"),
        count_if(tier.is_(None)).label("tier_none"),
    ]
