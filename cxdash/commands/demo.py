"""``python -m cxdash demo``: load the seeded demo data set (see :mod:`cxdash.demo`)."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from typing import Any

from cxdash.commands.common import engine_from_args
from cxdash.db import is_empty
from cxdash.demo import build_demo


def register(sub: Any, reports: Any) -> None:
    """Add the ``demo`` command."""
    p = sub.add_parser("demo", help="load the seeded demo data set (two years of responses and tickets)")
    p.add_argument("--responses", type=int, default=20000, help="survey responses to generate (default 20000)")
    p.add_argument("--tickets", type=int, default=30000, help="tickets to generate (default 30000)")
    p.add_argument("--seed", type=int, default=7, help="random seed (default 7); same seed, same data")
    p.add_argument("--end-date", type=date.fromisoformat, default=None,
                   help="last day of the two years of data, YYYY-MM-DD (default today)")
    p.add_argument("--if-empty", action="store_true",
                   help="load only when the database holds no responses and no tickets yet")
    p.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    p.set_defaults(handler=run)


def _progress(fraction: float, message: str) -> None:
    print(f"[{fraction:4.0%}] {message}", file=sys.stderr, flush=True)


def run(args: argparse.Namespace) -> int:
    """Build the demo data and print what was loaded, one ``name: value`` line each (with ``seconds`` and the
    seconds per step as a JSON object)."""
    if args.responses < 0 or args.tickets < 0:
        raise ValueError("--responses and --tickets must not be negative")
    engine = engine_from_args(args)
    if args.if_empty and not is_empty(engine):
        print("database already holds data; demo not loaded")
        return 0
    summary = build_demo(engine, responses=args.responses, tickets=args.tickets, seed=args.seed,
                         end_date=args.end_date, progress=None if args.quiet else _progress)
    for key, value in summary.as_dict().items():
        print(f"{key}: {json.dumps(value) if isinstance(value, dict) else value}")
    return 0
