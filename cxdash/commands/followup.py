"""``python -m cxdash report cases``: the follow-up case measures and lists, from the case page's own view
(:func:`cxdash.views.cases.cases_view`).

``--view measures`` (default) prints one row per measure (cases opened, open, overdue, contacted within target,
median hours to first contact, recovery rate, NPS and CSAT at the next answer after recovered and not recovered
cases) with its 95 % interval and n; ``--view cases`` the case list (overdue first), narrowed by ``--status``,
``--severity``, ``--rule`` and ``--touchpoint``; ``--view units`` open and overdue by site and team; ``--view
causes`` and ``--view touchpoints`` the most frequent ones; ``--view after`` NPS and CSAT at the next answer.
``--as-user`` limits every view to a team lead's scope, as on the page.
"""

from __future__ import annotations

import argparse
from datetime import datetime
from typing import Any

from cxdash.commands.common import (
    add_filter_options,
    engine_from_args,
    filters_from_args,
    frame_rows,
    print_rows,
)
from cxdash.i18n import normalise_language

VIEWS = ("measures", "cases", "units", "causes", "touchpoints", "after")
CASE_LIMIT = 1_000_000  # the page shows the most urgent page of cases; the report prints every one


def register(sub: Any, reports: Any) -> None:
    """Add ``report cases``."""
    p = reports.add_parser("cases", help="follow-up case measures, the case list, or open and overdue by unit")
    add_filter_options(p)
    p.add_argument("--view", choices=VIEWS, default="measures")
    p.add_argument("--status", action="append", default=[], help="case status (repeatable; --view cases)")
    p.add_argument("--severity", action="append", default=[], help="severity (repeatable; --view cases)")
    p.add_argument("--rule", type=int, action="append", default=[], help="alert rule id (repeatable)")
    p.add_argument("--touchpoint", type=int, action="append", default=[], help="touchpoint id (repeatable)")
    p.add_argument("--now", type=datetime.fromisoformat, default=None,
                   help="UTC time overdue cases are judged at (default: now)")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Print the chosen part of the case view for the filters given as options."""
    # why: loaded when the command runs, so every other command (and --help) starts without it
    from cxdash.views.cases import cases_view

    f, lang = filters_from_args(args), normalise_language(args.lang)
    view = cases_view(engine_from_args(args), f, lang, statuses=args.status, severities=args.severity,
                      rule_ids=args.rule, touchpoint_ids=args.touchpoint, now=args.now,
                      limit=CASE_LIMIT if args.view == "cases" else 1)
    m = view.measures
    frames = {"measures": view.table, "cases": view.page.rows, "units": m.by_unit, "causes": m.root_causes,
              "touchpoints": m.touchpoints, "after": m.after}
    print_rows(frame_rows(frames[args.view]), args.format)
    return 0
