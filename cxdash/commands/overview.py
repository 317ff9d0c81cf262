"""``python -m cxdash report overview``: the executive overview's figures, from the page's own view
(:func:`cxdash.views.overview.overview_view`).

``--view cards`` (default) prints one row per KPI card: value, n, 95 % interval, previous-period value, the change
with its threshold and verdict, target and whether it is met. ``--view trend`` prints the tidy monthly trend
(month, kpi, value, n, interval); ``--view touchpoints`` the touchpoints furthest below expectations. Titles and
verdict labels follow ``--lang``.
"""

from __future__ import annotations

import argparse
from datetime import date
from typing import TYPE_CHECKING, Any

from cxdash.commands.common import (
    add_filter_options,
    engine_from_args,
    filters_from_args,
    frame_rows,
    plain_value,
    print_rows,
)
from cxdash.i18n import normalise_language, t

if TYPE_CHECKING:  # the CLI starts without loading the metrics
    from cxdash.metrics.overview.cards import Overview

CARD_COLUMNS = ["key", "title", "group", "unit", "value", "n", "ci_low", "ci_high", "previous", "delta",
                "threshold", "verdict", "verdict_label", "test", "target", "target_met"]


def register(sub: Any, reports: Any) -> None:
    """Add ``report overview``."""
    p = reports.add_parser("overview", help="the executive overview's KPI cards, monthly trend or worst touchpoints")
    add_filter_options(p)
    p.add_argument("--view", choices=["cards", "trend", "touchpoints"], default="cards")
    p.add_argument("--as-of", type=date.fromisoformat, default=None,
                   help="day churn, SLA breaches and overdue plans are judged on (default: end of range / today)")
    p.add_argument("--churn-mode", choices=["flag", "inactivity"], default=None,
                   help="churn rule for the churn card and trend (default: the rule in force); the rule used is "
                        "named on stderr")
    p.set_defaults(handler=run)


def card_records(ov: Overview, lang: str) -> list[dict[str, Any]]:
    """The cards of ``ov`` as report rows (:data:`CARD_COLUMNS`),
    titles and verdicts in ``lang``."""
    rows = []
    for rec in ov.records():
        rec["title"] = t(f"overview.kpi.{rec['key']}.title", lang)
        rec["verdict_label"] = t(f"overview.verdict.{rec['verdict']}", lang)
        rows.append({c: plain_value(rec.get(c)) for c in CARD_COLUMNS})
    return rows


def run(args: argparse.Namespace) -> int:
    """Print the selected part of the overview's view for the filters given as options."""
    # why: loaded when the command runs, so every other command (and --help) starts without it
    from cxdash.commands.loyalty import print_notes
    from cxdash.views.overview import overview_view

    f, lang = filters_from_args(args), normalise_language(args.lang)
    # the trend over the selection itself: the page's default twelve months would ignore --from
    view = overview_view(engine_from_args(args), f, lang, window="range", as_of=args.as_of,
                         churn_mode=args.churn_mode)
    note = view.overview.churn_note
    notes: list[str] = []
    if args.view == "trend":
        rows = frame_rows(view.trend)
        notes += [] if note is None else note.lines(lang)[:1]
        notes += view.trend_notes
    elif args.view == "touchpoints":
        rows = frame_rows(view.worst)
    else:
        rows = card_records(view.overview, lang)
        notes += [] if note is None else note.lines(lang)
    print_rows(rows, args.format)
    print_notes(notes)
    return 0
