"""Command line: ``cxdash`` (or ``python -m cxdash``) ``init|demo|import|report|serve ...``.

Each area of the app contributes its commands from a module in ``cxdash/commands/`` that defines
``register(subparsers, reports)``: ``subparsers`` takes top-level commands, ``reports`` takes
``report <name>`` subcommands. A command handler receives the parsed arguments and returns an exit code;
library errors become a one-line message on stderr and exit code 2.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from collections.abc import Sequence

import cxdash.commands
from cxdash.commands.common import strip_controls


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser with every command module's commands."""
    parser = argparse.ArgumentParser(prog="python -m cxdash", description="cxdash customer-experience dashboard")
    parser.add_argument("--database-url", help="database URL (default: CXDASH_DATABASE_URL or data/cxdash.db)")
    sub = parser.add_subparsers(dest="command", required=True)
    report = sub.add_parser("report", help="print a page's figures as CSV or JSON")
    reports = report.add_subparsers(dest="report", required=True)
    for info in sorted(pkgutil.iter_modules(cxdash.commands.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"cxdash.commands.{info.name}")
        module.register(sub, reports)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the process exit code."""
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra and not getattr(args, "passes_options_on", False):  # only ``serve`` hands options to another tool
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    if extra:
        args.passed_on = extra
    try:
        return int(args.handler(args) or 0)
    except (ValueError, LookupError, OSError) as exc:
        print(f"error: {strip_controls(str(exc))}", file=sys.stderr)
        return 2
