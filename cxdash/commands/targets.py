"""``python -m cxdash targets list|set|end|history``: KPI targets from the command line (see :mod:`cxdash.targets`).

``targets set KPI SCOPE VALUE [--from DAY] [--to DAY] [--note TEXT]`` sets a target (shares in percent; scope
``all``, ``region:CODE``, ``site:CODE`` or ``team:SITE/TEAM``); ``targets end KPI SCOPE [--on DAY]`` makes DAY the
last day of the target valid then; ``targets list`` and ``targets history`` print them as JSON or CSV. Changes are
recorded with ``--actor`` (default: the OS user) in the target history and the audit log.
"""

from __future__ import annotations

import argparse
import getpass
from datetime import date
from typing import Any

from cxdash.audit import now_utc
from cxdash.commands.common import engine_from_args, frame_rows, print_rows
from cxdash.targets import (
    HISTORY_COLUMNS,
    LIST_COLUMNS,
    check_value,
    end_target_on,
    format_entry,
    list_targets,
    parse_scope,
    set_target,
    target_history,
)


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--format", choices=["csv", "json"], default="json")


def register(sub: Any, reports: Any) -> None:
    """Add ``targets list|set|end|history``."""
    tg = sub.add_parser("targets", help="list, set and end KPI targets, and show their history")
    tsub = tg.add_subparsers(dest="targets_command", required=True)
    ls = tsub.add_parser("list", help="every target (or one KPI's or scope's, or those valid on a day)")
    ls.add_argument("--kpi", default=None)
    ls.add_argument("--scope", default=None, help="all, region:CODE, site:CODE or team:SITE/TEAM")
    ls.add_argument("--on", type=date.fromisoformat, default=None, help="only targets valid on this day")
    _common(ls)
    ls.set_defaults(handler=run_list)
    st = tsub.add_parser("set", help="set a KPI's target for a scope (shares in percent)")
    st.add_argument("kpi")
    st.add_argument("scope", help="all, region:CODE, site:CODE or team:SITE/TEAM")
    st.add_argument("value", help="NPS -100..100, CES 1..7, shares in percent 0..100, counts 0 or more")
    st.add_argument("--from", dest="valid_from", type=date.fromisoformat, default=None,
                    help="first day (default: from the beginning)")
    st.add_argument("--to", dest="valid_to", type=date.fromisoformat, default=None,
                    help="last day (default: until changed)")
    st.add_argument("--note", default=None, help="why (kept in the history)")
    st.add_argument("--actor", default=None, help="who sets it (default: the OS user)")
    st.set_defaults(handler=run_set)
    en = tsub.add_parser("end", help="end the target valid on a day, with that day as its last")
    en.add_argument("kpi")
    en.add_argument("scope")
    en.add_argument("--on", type=date.fromisoformat, default=None, help="its last day (default: today, UTC)")
    en.add_argument("--note", default=None)
    en.add_argument("--actor", default=None)
    en.set_defaults(handler=run_end)
    hi = tsub.add_parser("history", help="every change of the targets, newest first")
    hi.add_argument("--kpi", default=None)
    hi.add_argument("--scope", default=None)
    hi.add_argument("--limit", type=int, default=1000)
    _common(hi)
    hi.set_defaults(handler=run_history)


def _scope(engine: Any, text: str | None) -> Any:
    if text is None:
        return None
    with engine.connect() as conn:
        return parse_scope(conn, text)


def _print(rows: list[dict[str, Any]], columns: list[str], fmt: str) -> None:
    if not rows and fmt == "csv":
        print(",".join(columns))
        return
    print_rows(rows, fmt)


def run_list(args: argparse.Namespace) -> int:
    """Print the targets (values in entry units: shares in percent)."""
    engine = engine_from_args(args)
    frame = list_targets(engine, args.kpi, _scope(engine, args.scope), args.on)
    _print(frame_rows(frame, LIST_COLUMNS), LIST_COLUMNS, args.format)
    return 0


def run_history(args: argparse.Namespace) -> int:
    """Print the changes of the targets, newest first."""
    engine = engine_from_args(args)
    frame = target_history(engine, args.kpi, _scope(engine, args.scope), args.limit)
    _print(frame_rows(frame, HISTORY_COLUMNS), HISTORY_COLUMNS, args.format)
    return 0


def run_set(args: argparse.Namespace) -> int:
    """Set a target in one transaction; print what was stored."""
    engine = engine_from_args(args)
    raw = str(args.value).strip().removesuffix("%").strip()  # "85%" and "85" are the same share
    with engine.begin() as conn:
        scope = parse_scope(conn, args.scope)
        target_id = set_target(conn, args.actor or getpass.getuser(), args.kpi, scope, raw, args.valid_from,
                               args.valid_to, args.note)
    shown = format_entry(args.kpi, check_value(args.kpi, raw))
    print(f"target {target_id}: {args.kpi} for {scope.text} = {shown}, valid {args.valid_from or '…'} "
          f"to {args.valid_to or '…'}")
    return 0


def run_end(args: argparse.Namespace) -> int:
    """End the target valid on ``--on`` (default today) with that day as its last."""
    engine = engine_from_args(args)
    day = args.on or now_utc().date()
    with engine.begin() as conn:
        scope = parse_scope(conn, args.scope)
        target_id = end_target_on(conn, args.actor or getpass.getuser(), args.kpi, scope, day, args.note)
    print(f"target {target_id}: {args.kpi} for {scope.text} ends on {day.isoformat()}")
    return 0
