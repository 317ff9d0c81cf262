"""Satisfaction tiers of a response: disappointed, basic or delighted (DESIGN.md §3).

A tier is derived once per response when it is loaded and stored in ``survey_response.tier`` (0, 1, 2, or NULL
for "no tier"), together with ``gap_norm``, the disconfirmation P - E on the common 0-1 scale.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import Engine, case, func, select
from sqlalchemy.sql.elements import ColumnElement

# The rule lives below the write side, which derives tiers on load; its names stay importable from here.
from cxdash.domain.tier_rule import (  # noqa: F401
    BASIC,
    DEFAULT_TOLERANCE,
    DELIGHTED,
    DISAPPOINTED,
    DISCONFIRMATION,
    TIER_CODES,
    classify,
)
from cxdash.filters import Filters, response_where
from cxdash.metrics.significance import Proportion, proportion, wilson
from cxdash.schema import survey_response

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
