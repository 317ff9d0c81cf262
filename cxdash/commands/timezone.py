"""``python -m cxdash timezone show|set|clear``: the deployment's local time zone (see :mod:`cxdash.imports.timezones`).

The zone reads date-times written without an offset in uploads and names the local day of stored UTC times (the
sidebar's data span). ``show`` prints the zone in force and why (setting, SLA calendar or UTC); ``set ZONE``
stores an IANA name; ``clear`` goes back to the default SLA calendar's zone, else UTC. Changes are audited.
"""

from __future__ import annotations

import argparse
import getpass
from typing import Any

from cxdash.commands.common import engine_from_args, print_json
from cxdash.imports.timezones import default_zone_reason, set_default_zone


def register(sub: Any, reports: Any) -> None:
    """Add ``timezone show|set|clear``."""
    tz = sub.add_parser("timezone", help="show or set the deployment's local time zone (uploads, data span)")
    tsub = tz.add_subparsers(dest="timezone_command", required=True)
    tsub.add_parser("show", help="the zone in force and why").set_defaults(handler=run_show)
    st = tsub.add_parser("set", help="set the zone (an IANA name, e.g. Asia/Shanghai, Europe/Berlin or UTC)")
    st.add_argument("zone")
    st.add_argument("--actor", default=None, help="who sets it (default: the OS user)")
    st.set_defaults(handler=run_set)
    cl = tsub.add_parser("clear", help="forget the setting: the default SLA calendar's zone, else UTC")
    cl.add_argument("--actor", default=None)
    cl.set_defaults(handler=run_clear)


def run_show(args: argparse.Namespace) -> int:
    """Print ``{"timezone": ..., "reason": ...}``."""
    zone, reason = default_zone_reason(engine_from_args(args))
    print_json({"timezone": zone, "reason": reason})
    return 0


def run_set(args: argparse.Namespace) -> int:
    """Store the zone, then show it."""
    set_default_zone(engine_from_args(args), args.zone, args.actor or getpass.getuser())
    return run_show(args)


def run_clear(args: argparse.Namespace) -> int:
    """Forget the setting, then show the zone in force."""
    set_default_zone(engine_from_args(args), None, args.actor or getpass.getuser())
    return run_show(args)
