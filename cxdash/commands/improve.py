"""``python -m cxdash report plans|inspections``: action plans with their measured effect, and weak items.

``report plans`` prints every plan of the selection with its PDCA stage, status, overdue flag and its effect
(before/after gap, difference, 95 % CI, p-value, verdict). ``report inspections`` prints the weak items
(``--view weak``, the default), the heat map of latest scores (``--view heatmap``) or the results
(``--view results``).
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
    print_rows,
)
from cxdash.i18n import normalise_language


def register(sub: Any, reports: Any) -> None:
    """Add ``report plans`` and ``report inspections``."""
    plans = reports.add_parser("plans", help="action plans with their measured effect")
    add_filter_options(plans)
    plans.add_argument("--as-of", type=date.fromisoformat, default=None, help="today for overdue and effect")
    plans.set_defaults(handler=run_plans)
    insp = reports.add_parser("inspections", help="weak inspection items, heat map or results")
    add_filter_options(insp)
    insp.add_argument("--view", choices=["weak", "heatmap", "results"], default="weak")
    insp.set_defaults(handler=run_inspections)


PLAN_COLUMNS = [
    "id", "title", "touchpoint_code", "touchpoint_name", "site_name", "team_name", "source_kind", "root_cause",
    "action", "metric", "baseline", "target", "owner", "department", "start_date", "due_date", "pdca_stage",
    "status", "closed_on", "overdue", "days_overdue", "verdict", "before_n", "before_mean", "after_n",
    "after_mean", "delta", "ci_low", "ci_high", "p_value",
]
RESULTS_LIMIT = 1_000_000  # the page shows the newest rows; the report prints every one


def run_plans(args: argparse.Namespace) -> int:
    """Print the plans of the selection (every status) with their effect: the board of the action-plan view."""
    # start-up: pandas and metrics only for this command
    from cxdash.views.action_plans import action_plans_view

    engine = engine_from_args(args)
    view = action_plans_view(engine, filters_from_args(args), normalise_language(args.lang), statuses=(),
                             today=args.as_of)
    print_rows(frame_rows(view.board[PLAN_COLUMNS]), args.format)
    return 0


def run_inspections(args: argparse.Namespace) -> int:
    """Print weak items, the heat map or the inspection results of the selection."""
    # start-up: pandas and metrics only for this command
    from cxdash.views.inspections import heatmap_view, inspections_view, results_view

    engine = engine_from_args(args)
    f, lang = filters_from_args(args), normalise_language(args.lang)
    if args.view == "heatmap":
        df = heatmap_view(engine, f, lang).heatmap
    elif args.view == "results":
        df = results_view(engine, f, lang, limit=RESULTS_LIMIT).results
    else:
        df = inspections_view(engine, f, lang).weak
    print_rows(frame_rows(df), args.format)
    return 0
