"""``python -m cxdash alerts run|list|dry-run``: the alert rules from the command line (docs/alerts.md).

``alerts run`` runs every active ticket rule and KPI rule in one transaction (cron-friendly: running it again opens
nothing new; response rules run inside each import); ``alerts list`` prints the rules; ``alerts dry-run --rule N``
prints how many cases rule N would have opened over the last 90 days, and at which sites, writing nothing.
"""

from __future__ import annotations

import argparse
from datetime import datetime
from typing import Any

from cxdash.alerts import run_alerts
from cxdash.commands.common import engine_from_args, frame_rows, print_json, print_rows, strip_controls
from cxdash.domain.service_sql import utcnow
from cxdash.followup.rules import get_rule
from cxdash.views.alert_rules import (
    BY_SITE_COLUMNS,
    DRY_RUN_DAYS,
    RULE_COLUMNS,
    alert_rules_view,
    dry_run_view,
)


def register(sub: Any, reports: Any) -> None:
    """Add ``alerts run``, ``alerts list`` and ``alerts dry-run``."""
    al = sub.add_parser("alerts", help="run the ticket and KPI alert rules, list the rules, dry-run one")
    asub = al.add_subparsers(dest="alerts_command", required=True)
    run = asub.add_parser("run", help="run every active ticket and KPI rule once (idempotent, for cron)")
    run.add_argument("--now", type=datetime.fromisoformat, default=None,
                     help="the moment to judge as (UTC, default: now); KPI rules look at the month before it")
    run.add_argument("--format", choices=["text", "json"], default="text")
    run.set_defaults(handler=run_run)
    ls = asub.add_parser("list", help="every alert rule with its kind, parameters, scope and state")
    ls.add_argument("--active", action="store_true", help="only the rules switched on")
    ls.add_argument("--lang", default="en", help="language of unit names: en, zh-Hans, zh-Hant")
    ls.add_argument("--format", choices=["csv", "json"], default="json")
    ls.set_defaults(handler=run_list)
    dr = asub.add_parser("dry-run", help="how many cases a rule would have opened over the last days (writes nothing)")
    dr.add_argument("--rule", type=int, required=True, help="the rule's id (see alerts list)")
    dr.add_argument("--days", type=int, default=DRY_RUN_DAYS, help=f"days to look back (default {DRY_RUN_DAYS})")
    dr.add_argument("--now", type=datetime.fromisoformat, default=None, help="count back from this moment (UTC)")
    dr.add_argument("--lang", default="en", help="language of site names: en, zh-Hans, zh-Hant")
    dr.add_argument("--format", choices=["text", "json"], default="text")
    dr.set_defaults(handler=run_dry_run)


def run_run(args: argparse.Namespace) -> int:
    """Run the ticket and KPI rules; print how many cases each opened."""
    result = run_alerts(engine_from_args(args), args.now)
    summary = {"at": result.at.isoformat(sep=" "), "opened": result.opened, "ticket_cases": len(result.ticket_cases),
               "kpi_cases": len(result.kpi_cases), "kpi_rules": result.kpi_rules,
               "skipped_rules": list(result.skipped),
               "case_ids": [*result.ticket_cases, *result.kpi_cases]}
    if args.format == "json":
        print_json(summary)
    else:
        print(f"alerts run at {summary['at']} UTC: {result.opened} new case(s) "
              f"({len(result.ticket_cases)} from ticket rules, {len(result.kpi_cases)} from "
              f"{result.kpi_rules} KPI rule(s))")
        if result.skipped:
            print("skipped KPI rule(s) that watch no monthly KPI per unit: "
                  + ", ".join(str(i) for i in result.skipped))
    return 0


def run_list(args: argparse.Namespace) -> int:
    """Print the rules."""
    view = alert_rules_view(engine_from_args(args), args.lang)
    table = view.table[view.table["active"]] if args.active else view.table
    rows = frame_rows(table, RULE_COLUMNS)
    if args.format == "csv":  # a CSV cell holds the parameters as compact text
        rows = [{**r, "params": ", ".join(f"{k}={v}" for k, v in (r["params"] or {}).items())} for r in rows]
        if not rows:
            print(",".join(RULE_COLUMNS))
            return 0
    print_rows(rows, args.format)
    return 0


def run_dry_run(args: argparse.Namespace) -> int:
    """Print rule N's dry run: cases, triggers, customers, and cases by site."""
    if args.days < 1:
        raise ValueError("--days must be 1 or more")
    engine = engine_from_args(args)
    rule = get_rule(engine, args.rule)
    view = dry_run_view(engine, rule, args.now or utcnow(), args.lang, args.days)
    r = view.result
    sites = frame_rows(view.by_site, BY_SITE_COLUMNS)
    summary: dict[str, Any] = {"rule": rule.id, "name": rule.name, "kind": rule.kind, "from": view.start.isoformat(sep=" "),
               "to": view.end.isoformat(sep=" "), "days": r.days, "cases": r.cases, "triggers": r.triggers,
               "customers": r.customers, "by_site": sites}
    if args.format == "json":
        print_json(summary)
        return 0
    print(f"rule {rule.id} ({rule.kind}) from {summary['from']} to {summary['to']} UTC: {r.cases} case(s), "
          f"{r.triggers} trigger(s), {r.customers} customer(s)")
    for row in sites:
        print(f"  {strip_controls(str(row['site'] or '-'))}: {row['cases']}")  # names come from uploads
    return 0
