"""``python -m cxdash report tiers|touchpoints``: tier shares and the touchpoint gap table, as CSV or JSON.

``report tiers`` prints the responses and share per tier for the selection with the share's Wilson 95 % interval
(``--by region|site|team|channel|segment`` per unit, ``--by month|week`` per period; ``--view value`` what each
tier is worth). ``report touchpoints`` (also ``report gaps``) prints the gap table (mean P and E, gap with its
95 % CI on the 0-1 scale and in points of the touchpoint's scale, p and BH q-value, Wilcoxon p, n, share
disappointed, importance). Both print fields of the pages' own views (:mod:`cxdash.views.tiers`,
:func:`cxdash.views.touchpoints.touchpoints_view`).
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
    "stage_code", "stage_name", "touchpoint_code", "touchpoint_name", "n", "n_pairs", "mean_p", "mean_e", "gap",
    "ci_low", "ci_high", "gap_points", "ci_low_points", "ci_high_points", "scale", "p_value", "q_value",
    "wilcoxon_p", "share_disappointed", "importance", "importance_source", "low_sample", "significant",
]


def register(sub: Any, reports: Any) -> None:
    """Add ``report tiers`` and ``report touchpoints``."""
    tiers = reports.add_parser("tiers", help="satisfaction tier shares with 95 %% intervals (overall, by unit or by "
                                              "period)")
    add_filter_options(tiers)
    tiers.add_argument("--by", choices=TIER_BY, default=None, help="grouping (default: one overall row)")
    tiers.add_argument("--view", choices=["shares", "value"], default="shares",
                       help="shares per tier, or NPS/CSAT/revisit/churn per tier")
    tiers.set_defaults(handler=run_tiers)
    tps = reports.add_parser("touchpoints", aliases=["gaps"],
                             help="the touchpoint gap table with CI, q-value, n and importance")
    add_filter_options(tps)
    tps.add_argument("--no-importance", action="store_true", help="skip importance (faster)")
    tps.set_defaults(handler=run_touchpoints)


def tier_rows(args: argparse.Namespace) -> list[dict[str, Any]]:
    """The rows ``report tiers`` prints."""
    # why: loaded when the command runs, so every other command (and --help) starts without it
    from cxdash.domain.tiers import TIER_NAMES as TIERS
    from cxdash.metrics.experience.tier_value import VALUE_COLUMNS
    from cxdash.views.tiers import tiers_view

    engine, filters, lang = engine_from_args(args), filters_from_args(args), normalise_language(args.lang)
    by_period = args.by in ("month", "week")
    view = tiers_view(engine, filters, lang, period=args.by if by_period else "month",
                      by="site" if by_period or not args.by else args.by)
    if args.view == "value":
        return frame_rows(view.value, VALUE_COLUMNS)
    if by_period:
        return frame_rows(view.trend_intervals, ["period", "tier", "n", "total", "share", "share_ci_low",
                                                 "share_ci_high"])
    if args.by:
        columns = [c for x in TIERS for c in (f"share_{x}", f"share_{x}_ci_low", f"share_{x}_ci_high")]
        return frame_rows(view.breakdown, ["key", "name", *TIERS, "n", *columns, "low_sample"])
    shares = view.overall
    rows = []
    for x in TIERS:
        share = shares.proportion(x)  # the overview's tier cards: the same Wilson interval
        rows.append({"tier": x, "n": share.k, "share": share.rate, "share_ci_low": share.ci_low,
                     "share_ci_high": share.ci_high})
    return rows


def gap_rows(args: argparse.Namespace) -> list[dict[str, Any]]:
    """The rows ``report touchpoints`` prints."""
    # why: loaded when the command runs, so every other command (and --help) starts without it
    from cxdash.views.touchpoints import touchpoints_view

    engine, filters, lang = engine_from_args(args), filters_from_args(args), normalise_language(args.lang)
    view = touchpoints_view(engine, filters, lang, with_importance=not args.no_importance)
    return frame_rows(view.table, GAP_REPORT_COLUMNS)


def run_tiers(args: argparse.Namespace) -> int:
    """Print the tier report."""
    print_rows(tier_rows(args), args.format)
    return 0


def run_touchpoints(args: argparse.Namespace) -> int:
    """Print the gap table."""
    print_rows(gap_rows(args), args.format)
    return 0
