"""``python -m cxdash report tiers|touchpoints``: tier shares and the touchpoint gap table, as CSV or JSON.

``report tiers`` prints the responses and share per tier for the selection (``--by region|site|team|channel|
segment`` per unit, ``--by month|week`` per period; ``--view value`` what each tier is worth). ``report
touchpoints`` prints the gap table (mean P and E, gap with its 95 % CI, p and BH q-value, Wilcoxon p, n, share
disappointed, importance) from the same functions the pages use.
"""

from __future__ import annotations

import argparse
from typing import Any

from cxdash.commands.common import (
    add_filter_options,
    engine_from_args,
    filters_from_args,
    frame_rows,
    print_rows,
)
from cxdash.i18n import normalise_language

TIER_BY = ("region", "site", "team", "channel", "segment", "month", "week")
GAP_REPORT_COLUMNS = [
    "stage_code", "stage_name", "touchpoint_code", "touchpoint_name", "n", "mean_p", "mean_e", "gap", "ci_low",
    "ci_high", "p_value", "q_value", "wilcoxon_p", "share_disappointed", "importance", "importance_source",
    "low_sample", "significant",
]


def register(sub: Any, reports: Any) -> None:
    """Add ``report tiers`` and ``report touchpoints``."""
    tiers = reports.add_parser("tiers", help="satisfaction tier shares (overall, by unit or by period)")
    add_filter_options(tiers)
    tiers.add_argument("--by", choices=TIER_BY, default=None, help="grouping (default: one overall row)")
    tiers.add_argument("--view", choices=["shares", "value"], default="shares",
                       help="shares per tier, or NPS/CSAT/revisit/churn per tier")
    tiers.set_defaults(handler=run_tiers)
    tps = reports.add_parser("touchpoints", help="the touchpoint gap table with CI, q-value, n and importance")
    add_filter_options(tps)
    tps.add_argument("--no-importance", action="store_true", help="skip importance (faster)")
    tps.set_defaults(handler=run_touchpoints)


def tier_rows(args: argparse.Namespace) -> list[dict[str, Any]]:
    """The rows ``report tiers`` prints."""
    from cxdash.metrics.tier_analysis import TIERS, tier_breakdown, tier_counts, tier_trend
    from cxdash.metrics.tier_value import VALUE_COLUMNS, tier_value

    engine, filters, lang = engine_from_args(args), filters_from_args(args), normalise_language(args.lang)
    if args.view == "value":
        return frame_rows(tier_value(engine, filters), VALUE_COLUMNS)
    if args.by in ("month", "week"):
        trend = tier_trend(engine, filters, args.by)
        return frame_rows(trend, ["period", "tier", "n", "total", "share"])
    if args.by:
        wide = tier_breakdown(engine, filters, args.by, lang)
        return frame_rows(wide, ["key", "name", *TIERS, "n", *[f"share_{x}" for x in TIERS], "low_sample"])
    counts = tier_counts(engine, filters)
    total = sum(counts.values())
    return [{"tier": x, "n": counts[x], "share": counts[x] / total if total else None} for x in TIERS]


def gap_rows(args: argparse.Namespace) -> list[dict[str, Any]]:
    """The rows ``report touchpoints`` prints."""
    from cxdash.metrics.gaps import gap_table

    engine, filters, lang = engine_from_args(args), filters_from_args(args), normalise_language(args.lang)
    table = gap_table(engine, filters, lang, with_importance=not args.no_importance)
    return frame_rows(table, GAP_REPORT_COLUMNS)


def run_tiers(args: argparse.Namespace) -> int:
    """Print the tier report."""
    print_rows(tier_rows(args), args.format)
    return 0


def run_touchpoints(args: argparse.Namespace) -> int:
    """Print the gap table."""
    print_rows(gap_rows(args), args.format)
    return 0
