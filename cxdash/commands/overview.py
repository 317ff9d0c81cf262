"""``python -m cxdash report overview``: the executive overview's figures, from the functions the page uses.

``--view cards`` (default) prints one row per KPI card: value, n, 95 % interval, previous-period value, the change
with its threshold and verdict, target and whether it is met. ``--view trend`` prints the tidy monthly trend
(month, kpi, value, n, interval); ``--view touchpoints`` the touchpoints furthest below expectations. Titles and
verdict labels follow ``--lang``.
"""

from __future__ import annotations

import argparse
from datetime import date
from typing import Any

from cxdash.commands.common import (
    add_filter_options,
    engine_from_args,
    filters_from_args,
    frame_rows,
    plain_value,
    print_rows,
)
from cxdash.i18n import normalise_language, t

CARD_COLUMNS = ["key", "title", "group", "unit", "value", "n", "ci_low", "ci_high", "previous", "delta",
                "threshold", "verdict", "verdict_label", "test", "target", "target_met"]


def register(sub: Any, reports: Any) -> None:
    """Add ``report overview``."""
    p = reports.add_parser("overview", help="the executive overview's KPI cards, monthly trend or worst touchpoints")
    add_filter_options(p)
    p.add_argument("--view", choices=["cards", "trend", "touchpoints"], default="cards")
    p.add_argument("--as-of", type=date.fromisoformat, default=None,
                   help="day churn, SLA breaches and overdue plans are judged on (default: end of range / today)")
    p.set_defaults(handler=run)


def card_records(engine: Any, filters: Any, lang: str, as_of: date | None = None) -> list[dict[str, Any]]:
    """The overview's cards as report rows (:data:`CARD_COLUMNS`), titles and verdicts in ``lang``."""
    from cxdash.metrics.overview import overview

    rows = []
    for rec in overview(engine, filters, as_of).records():
        rec["title"] = t(f"overview.kpi.{rec['key']}.title", lang)
        rec["verdict_label"] = t(f"overview.verdict.{rec['verdict']}", lang)
        rows.append({c: plain_value(rec.get(c)) for c in CARD_COLUMNS})
    return rows


def run(args: argparse.Namespace) -> int:
    """Print the selected view of the overview for the filters given as options."""
    from cxdash.metrics.overview import overview_trends, worst_touchpoints

    engine = engine_from_args(args)
    f, lang = filters_from_args(args), normalise_language(args.lang)
    if args.view == "trend":
        rows = frame_rows(overview_trends(engine, f, args.as_of))
    elif args.view == "touchpoints":
        rows = frame_rows(worst_touchpoints(engine, f, lang))
    else:
        rows = card_records(engine, f, lang, args.as_of)
    print_rows(rows, args.format)
    return 0
