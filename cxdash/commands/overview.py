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
    p.add_argument("--churn-mode", choices=["flag", "inactivity"], default=None,
                   help="churn rule for the churn card and trend (default: the rule in force); the rule used is "
                        "named on stderr")
    p.set_defaults(handler=run)


def card_records(engine: Any, filters: Any, lang: str, as_of: date | None = None,
                 churn_mode: str | None = None, notes: list[str] | None = None) -> list[dict[str, Any]]:
    """The overview's cards as report rows (:data:`CARD_COLUMNS`), titles and verdicts in ``lang``; the churn
    card's notes are appended to ``notes`` when given."""
    from cxdash.metrics.overview import overview

    rows = []
    ov = overview(engine, filters, as_of, churn_mode)
    if notes is not None and ov.churn_note is not None:
        notes += ov.churn_note.lines(lang)
    for rec in ov.records():
        rec["title"] = t(f"overview.kpi.{rec['key']}.title", lang)
        rec["verdict_label"] = t(f"overview.verdict.{rec['verdict']}", lang)
        rows.append({c: plain_value(rec.get(c)) for c in CARD_COLUMNS})
    return rows


def run(args: argparse.Namespace) -> int:
    """Print the selected view of the overview for the filters given as options."""
    from cxdash.commands.loyalty import print_notes
    from cxdash.metrics.churn_definition import load_rule
    from cxdash.metrics.churn_notes import churn_note, trend_lines
    from cxdash.metrics.overview import overview_trends, worst_touchpoints

    engine = engine_from_args(args)
    f, lang = filters_from_args(args), normalise_language(args.lang)
    notes: list[str] = []
    if args.view == "trend":
        rows = frame_rows(overview_trends(engine, f, args.as_of, args.churn_mode))
        notes += churn_note(engine, f, args.as_of, args.churn_mode).lines(lang)[:1]
        d = load_rule(engine, args.churn_mode).definition
        notes += trend_lines(engine, f, lang, d.mode, d.window_days)
    elif args.view == "touchpoints":
        rows = frame_rows(worst_touchpoints(engine, f, lang))
    else:
        rows = card_records(engine, f, lang, args.as_of, args.churn_mode, notes)
    print_rows(rows, args.format)
    print_notes(notes)
    return 0
