"""Tier shares of a selection (the overview's tier cards), with their Wilson intervals.

What a tier is, its codes and names, and how a response gets one: :mod:`cxdash.domain.tiers`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import Engine, select

from cxdash.domain.tiers import TIER_NAMES, tier_columns
from cxdash.filters import Filters, response_where
from cxdash.metrics.significance import Proportion, proportion, wilson


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
