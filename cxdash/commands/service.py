"""``python -m cxdash report sla`` (SLA figures by a grouping) and ``python -m cxdash sla recompute``.

``report sla --by priority|category|channel|site|team|agent|month|week`` prints compliance, median and p90
business minutes, first-time fix, reopen, repeat and chased rates per group (no ``--by``: one overall row);
``--view at-risk|breached`` prints the early-warning lists and ``--view pareto`` the category Pareto: fields of
the service page's views (:mod:`cxdash.views.service`), groups named in English.
"""

from __future__ import annotations

import argparse
from datetime import datetime
from typing import Any

import pandas as pd

from cxdash.commands.common import (
    add_filter_options,
    engine_from_args,
    filters_from_args,
    frame_rows,
    print_rows,
)

BY = ("priority", "category", "channel", "site", "team", "agent", "month", "week")
VIEWS = ("breakdown", "at-risk", "breached", "pareto")
SUMMARY_COLUMNS = [
    "group", "key", "name", "n", "first_response_rate", "frt_n", "resolution_rate", "res_n", "frt_median",
    "frt_p90", "res_median", "res_p90", "ftf_rate", "resolved", "reopen_rate", "repeat_rate", "chased_rate",
    "at_risk", "breached_open", "open", "merged",
]
LIST_COLUMNS = [
    "id", "external_id", "priority", "category", "channel", "site", "team", "agent", "status", "created_at",
    "age_hours", "target", "due_at", "minutes_left",
]


def register(sub: Any, reports: Any) -> None:
    """Add ``report sla`` and ``sla recompute``."""
    rep = reports.add_parser("sla", help="SLA compliance, times and first-time fix by a grouping")
    add_filter_options(rep)
    rep.add_argument("--by", choices=BY, default=None, help="grouping (default: one overall row)")
    rep.add_argument("--view", choices=VIEWS, default="breakdown")
    rep.add_argument("--measure", choices=["volume", "repeats"], default="volume", help="Pareto measure")
    rep.add_argument("--now", type=datetime.fromisoformat, default=None, help="the moment to judge open tickets (UTC)")
    rep.add_argument("--limit", type=int, default=1000, help="rows of the early-warning lists")
    rep.set_defaults(handler=run_report)
    sla = sub.add_parser("sla", help="SLA maintenance")
    sla_sub = sla.add_subparsers(dest="sla_command", required=True)
    rc = sla_sub.add_parser("recompute", help="recompute every ticket's stored SLA facts")
    rc.add_argument("--no-repeats", action="store_true", help="keep the repeat-contact flags (policy change only)")
    rc.set_defaults(handler=run_recompute)


def breakdown_rows(args: argparse.Namespace) -> list[dict[str, Any]]:
    """The rows ``report sla`` prints for ``--view breakdown``."""
    # why: loaded when the command runs, so every other command (and --help) starts without it
    from cxdash.views.service import periods_view, service_view

    engine, filters = engine_from_args(args), filters_from_args(args)
    if args.by in ("month", "week"):
        df = periods_view(engine, filters, "en", now=args.now, period=args.by).table
    elif args.by:
        df = service_view(engine, filters, "en", now=args.now, by=args.by).breakdown
    else:
        v = service_view(engine, filters, "en", now=args.now)
        s, pct = v.summary, v.times
        row = {
            "key": "all", "name": "all", "n": s.n, "first_response_rate": s.first_response.rate,
            "frt_n": s.first_response.n, "resolution_rate": s.resolution.rate, "res_n": s.resolution.n,
            "ftf_rate": s.ftf.rate, "resolved": s.ftf.n, "reopen_rate": s.reopen.rate, "repeat_rate": s.repeat.rate,
            "chased_rate": s.chased.rate, "at_risk": s.at_risk, "breached_open": s.breached_open, "open": s.open,
            "merged": s.merged,
        }
        if not pct.empty:
            row.update({c: pct.iloc[0][c] for c in ("frt_median", "frt_p90", "res_median", "res_p90")})
        df = pd.DataFrame([row])
    df.insert(0, "group", args.by or "all")
    return frame_rows(df, SUMMARY_COLUMNS)


def run_report(args: argparse.Namespace) -> int:
    """Print the SLA report for the filters."""
    columns = SUMMARY_COLUMNS
    if args.view == "breakdown":
        rows = breakdown_rows(args)
    elif args.view == "pareto":
        # why: loaded when the command runs, so every other command (and --help) starts without it
        from cxdash.views.service import recurring_view

        df = recurring_view(engine_from_args(args), filters_from_args(args), "en", measure=args.measure).pareto
        columns = ["category", "n", "repeats", "value", "share", "cum_share"]
        rows = frame_rows(df, columns)
    else:
        # why: loaded when the command runs, so every other command (and --help) starts without it
        from cxdash.views.service import warning_view

        warnings = warning_view(engine_from_args(args), filters_from_args(args), "en", now=args.now, limit=args.limit)
        page = warnings.at_risk if args.view == "at-risk" else warnings.breached
        columns = LIST_COLUMNS
        rows = frame_rows(page.rows, columns)
    if not rows and args.format == "csv":
        # An empty list is still a CSV with its header, so scripts reading it do not break on a quiet day.
        print(",".join(columns))
        return 0
    print_rows(rows, args.format)
    return 0


def run_recompute(args: argparse.Namespace) -> int:
    """Recompute the stored SLA facts of every ticket in one transaction."""
    # why: loaded when the command runs, so every other command (and --help) starts without it
    from cxdash.service.compute import recompute_tickets

    engine = engine_from_args(args)
    started = datetime.now()
    with engine.begin() as conn:
        n = recompute_tickets(conn, None, repeats=not args.no_repeats)
    print(f"recomputed {n} tickets in {(datetime.now() - started).total_seconds():.1f} s")
    return 0
