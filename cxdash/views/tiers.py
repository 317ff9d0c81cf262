"""The satisfaction tiers page's view: the tolerance, tier shares per period and per unit (with Wilson intervals),
the chi-square comparisons against the previous period and of one unit against the rest, and what each tier is
worth with its churn and revisit notes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import Engine

from cxdash.domain.tiers import TIER_NAMES as TIERS
from cxdash.filters import Filters
from cxdash.metrics.experience.tier_analysis import (
    TierComparison,
    compare_group,
    compare_previous,
    tier_breakdown,
    tier_trend,
)
from cxdash.metrics.experience.tier_settings import tolerance_setting
from cxdash.metrics.experience.tier_value import revisit_hint, tier_value
from cxdash.metrics.experience.tiers import TierShares, share_intervals, tiers_from_counts
from cxdash.metrics.loyalty.churn_notes import ChurnNote, churn_note

# Breakdowns whose keys are codes (text); the others are organisation ids.
TEXT_KEYS = ("channel", "segment")


@dataclass(frozen=True)
class TiersView:
    """The tiers page for one period (``month``/``week``), breakdown (``by``) and compared ``group``.

    ``breakdown`` holds the tier counts and shares per unit with ``share_<tier>_ci_low/high``; ``groups`` the units
    that can be compared (key as text -> name), ``group`` the one compared (None without units) and ``group_compare``
    its chi-square against the rest. ``value`` is what each tier is worth; ``revisit_hint`` and ``churn_note`` say why
    its revisit and churn columns are as they are (None when the value table is empty).
    """

    tolerance: float
    period: str
    trend: pd.DataFrame
    by: str
    breakdown: pd.DataFrame
    previous: TierComparison | None
    groups: dict[str, str]
    group: str | None
    group_compare: TierComparison | None
    value: pd.DataFrame
    revisit_hint: tuple[str, dict[str, str | int]] | None
    churn_note: ChurnNote | None

    @property
    def trend_intervals(self) -> pd.DataFrame:
        """The trend with the Wilson 95 % interval of each share (``share_ci_low``, ``share_ci_high``)."""
        return share_intervals(self.trend, "n", "total", "share")

    @property
    def overall(self) -> TierShares:
        """The selection's tier shares: the breakdown's counts summed over its units."""
        return tiers_from_counts(*(int(self.breakdown[x].sum()) for x in TIERS))


def _group_value(by: str, key: str) -> Any:
    return key if by in TEXT_KEYS else int(key)


def tiers_view(engine: Engine, filters: Filters, lang: str = "en", *, period: str = "month", by: str = "site",
               group: str | None = None, churn_mode: str | None = None) -> TiersView:
    """The tiers page of ``filters``: the trend per ``period``, the breakdown by ``by``, ``group`` (a key of that
    breakdown as text; the first unit when it is not one) against the rest, tier value under ``churn_mode``.

    Raises:
        ValueError: an unknown ``period``, ``by`` or ``churn_mode``, or a group outside the selection.
    """
    wide = tier_breakdown(engine, filters, by, lang)
    for x in TIERS:  # the Wilson 95 % interval of each share, as the overview's cards give it
        wide = share_intervals(wide, x, "n", f"share_{x}")
    units = wide[wide["key"].notna()]
    groups = {str(k): str(name) for k, name in zip(units["key"], units["name"], strict=True)}
    chosen = (group if group in groups else next(iter(groups))) if groups else None
    compared = None if chosen is None else compare_group(engine, filters, by, _group_value(by, chosen), lang,
                                                         groups[chosen])
    value = tier_value(engine, filters, churn_mode=churn_mode)
    hint = note = None
    if value["n"].sum() != 0:  # the notes stand beside a value table the page shows
        if int(value["revisit_n"].sum()) == 0:
            hint = revisit_hint(engine, filters)
        note = churn_note(engine, filters, None, churn_mode, None, int(value["churn_n"].sum()))
    return TiersView(tolerance=tolerance_setting(engine), period=period, trend=tier_trend(engine, filters, period),
                     by=by, breakdown=wide, previous=compare_previous(engine, filters, lang), groups=groups,
                     group=chosen, group_compare=compared, value=value, revisit_hint=hint, churn_note=note)
