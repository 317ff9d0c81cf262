"""``python -m cxdash org set-name|show``: the names of sites, teams, regions and people in three languages."""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from typing import Any

from cxdash.commands.common import engine_from_args
from cxdash.org_admin import find_unit, set_unit_name, unit_names


def register(sub: Any, reports: Any) -> None:
    """Add the ``org`` command with ``set-name`` and ``show``."""
    p = sub.add_parser("org", help="names of organisation units (regions, sites, teams, people)")
    org = p.add_subparsers(dest="org_command", required=True)
    s = org.add_parser("set-name", help="set a unit's name in one language (an empty NAME clears it)")
    s.add_argument("unit", help="region:CODE, site:CODE, team:SITE/TEAM or person:CODE")
    s.add_argument("name", help="the name (quote it when it holds spaces)")
    s.add_argument("--lang", required=True, choices=["en", "zh-Hans", "zh-Hant"])
    s.add_argument("--actor", help="who makes the change (audit log; default: the OS user)")
    s.set_defaults(handler=run_set_name)
    show = org.add_parser("show", help="print a unit's code and names as JSON")
    show.add_argument("unit", help="region:CODE, site:CODE, team:SITE/TEAM or person:CODE")
    show.set_defaults(handler=run_show)


def run_set_name(args: argparse.Namespace) -> int:
    """Set the name and print the unit's names after the change."""
    engine = engine_from_args(args)
    with engine.begin() as conn:
        names = set_unit_name(conn, args.actor or getpass.getuser(), args.unit, args.lang, args.name)
    json.dump(names, sys.stdout, ensure_ascii=False, indent=2)
    print()
    return 0


def run_show(args: argparse.Namespace) -> int:
    """Print one unit's code and names."""
    engine = engine_from_args(args)
    with engine.connect() as conn:
        kind, unit_id = find_unit(conn, args.unit)
        json.dump(unit_names(conn, kind, unit_id), sys.stdout, ensure_ascii=False, indent=2)
    print()
    return 0
