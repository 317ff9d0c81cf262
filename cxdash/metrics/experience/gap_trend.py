"""The gap of one touchpoint over time: per month or week, with its 95 % t-interval and n."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Engine

from cxdash.domain.tiers import get_tolerance
from cxdash.filters import Filters
from cxdash.metrics.experience.gap_sums import touchpoint_sums
from cxdash.metrics.experience.gaps import gap_statistics
from cxdash.metrics.stats import LOW_SAMPLE

TREND_COLUMNS = ["period", "n", "gap", "ci_low", "ci_high", "p_value", "share_disappointed", "low_sample"]


def gap_trend(engine: Engine, filters: Filters, touchpoint_id: int, period: str = "month") -> pd.DataFrame:
    """Gap of ``touchpoint_id`` per ``period`` ("month" or "week"), oldest first; periods without pairs left out."""
    if period not in ("month", "week"):
        raise ValueError("period must be 'month' or 'week'")
    with engine.connect() as conn:
        sums = touchpoint_sums(conn, filters, get_tolerance(conn), [period, "touchpoint_id"],
                               touchpoint_ids=[touchpoint_id])
    if sums.empty:
        return pd.DataFrame(columns=TREND_COLUMNS)
    figures = gap_statistics(sums, keys=(period,)).rename(columns={period: "period"})
    figures = figures[figures["n"] > 0].sort_values("period")
    figures["low_sample"] = figures["n"] < LOW_SAMPLE
    return figures[TREND_COLUMNS].reset_index(drop=True)
