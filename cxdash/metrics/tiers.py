"""Satisfaction tiers of a response: disappointed, basic or delighted (DESIGN.md §3).

A tier is derived once per response when it is loaded and stored in ``survey_response.tier`` (0, 1, 2, or NULL
for "no tier"), together with ``gap_norm``, the disconfirmation P - E on the common 0-1 scale.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Engine, case, func, select
from sqlalchemy.sql.elements import ColumnElement

from cxdash.filters import Filters, response_where
from cxdash.metrics.significance import Proportion, proportion, wilson
from cxdash.schema import survey_response

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


# --- Tier shares of a selection (the overview's tier cards) ------------------------------------------------
TIER_NAMES = ("disappointed", "basic", "delighted", "none")


@dataclass(frozen=True)
class TierShares:
    """Responses of a selection by stored tier; ``none`` counts the responses without a tier (no E).

    ``shares`` maps each name of :data:`TIER_NAMES` to its share of ``n`` (all responses, "no tier" included, so
    the four shares add up to 1); shares are None when n = 0.
    """

    n: int
    disappointed: int
    basic: int
    delighted: int
    none: int
    shares: dict[str, float | None]

    def proportion(self, name: str) -> Proportion:
        """One tier's share as a :class:`Proportion` with its Wilson interval."""
        return proportion(getattr(self, name), self.n)


def tier_columns() -> list[ColumnElement[Any]]:
    """Labelled aggregates ``tier_n``, ``tier_disappointed``, ``tier_basic``, ``tier_delighted``, ``tier_none``."""
    tier = survey_response.c.tier

    def count_if(cond: ColumnElement[bool]) -> ColumnElement[Any]:
        return func.sum(case((cond, 1), else_=0))

    return [
        func.count().label("tier_n"),
        count_if(tier == DISAPPOINTED).label("tier_disappointed"),
        count_if(tier == BASIC).label("tier_basic"),
        count_if(tier == DELIGHTED).label("tier_delighted"),
        count_if(tier.is_(None)).label("tier_none"),
    ]


def tiers_from_counts(disappointed: int, basic: int, delighted: int, none: int) -> TierShares:
    """Tier shares from the four counts."""
    n = disappointed + basic + delighted + none
    counts = {"disappointed": disappointed, "basic": basic, "delighted": delighted, "none": none}
    shares = {k: (v / n if n else None) for k, v in counts.items()}
    return TierShares(n, disappointed, basic, delighted, none, shares)


def tiers_from_row(row: Mapping[Any, Any]) -> TierShares:
    """Build :class:`TierShares` from a row holding the :func:`tier_columns` aggregates."""
    return tiers_from_counts(*(int(row[f"tier_{name}"] or 0) for name in TIER_NAMES))


def tier_shares(engine: Engine, filters: Filters) -> TierShares:
    """Shares of disappointed, basic, delighted and no-tier responses in the filters' selection."""
    stmt = select(*tier_columns()).where(response_where(filters))
    with engine.connect() as conn:
        return tiers_from_row(conn.execute(stmt).one()._mapping)


def share_intervals(frame: pd.DataFrame, k: str, n: str, share: str) -> pd.DataFrame:
    """``frame`` with ``<share>_ci_low`` and ``<share>_ci_high``: the Wilson 95 % interval of ``k`` of ``n`` per row,
    the interval the overview's tier cards show (:meth:`TierShares.proportion`); empty where n = 0."""
    out = frame.copy()
    bounds = [wilson(int(a), int(b)) if b == b and a == a else (None, None)
              for a, b in zip(out[k].fillna(0), out[n].fillna(0), strict=True)]
    out[f"{share}_ci_low"] = pd.Series([lo for lo, _ in bounds], index=out.index, dtype=float)
    out[f"{share}_ci_high"] = pd.Series([hi for _, hi in bounds], index=out.index, dtype=float)
    return out
