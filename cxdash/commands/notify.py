"""``python -m cxdash notify run|digest|test``: deliver the notice outbox, queue digests, send a test notice.

``notify run`` sends every due notice once (``--watch SECONDS`` repeats until interrupted); ``notify digest daily``
and ``notify digest weekly`` queue the digests (idempotent: run them from cron, then ``notify run``); ``notify test
--channel N`` or ``--user EMAIL`` sends a test notice at once. SMTP settings come from the environment
(:mod:`cxdash.notify.mail`).
"""

from __future__ import annotations

import argparse
import getpass
import sys
import time
from typing import Any

from sqlalchemy.exc import DBAPIError

from cxdash.commands.common import engine_from_args, print_json, strip_controls
from cxdash.notify.deliver import deliver_due, send_test
from cxdash.notify.outbox import outbox_counts
from cxdash.views.digests import queue_daily_digests, queue_weekly_digests


def register(sub: Any, reports: Any) -> None:
    """Add ``notify run|digest|test``."""
    nt = sub.add_parser("notify", help="deliver notices by e-mail and webhooks, queue digests, send a test")
    nsub = nt.add_subparsers(dest="notify_command", required=True)
    run = nsub.add_parser("run", help="send every due notice once (retries with backoff)")
    run.add_argument("--watch", type=float, default=None, metavar="SECONDS",
                     help="keep running, checking the outbox every SECONDS (stop with Ctrl+C)")
    run.add_argument("--limit", type=int, default=200, help="at most this many notices per round")
    run.set_defaults(handler=run_run)
    dg = nsub.add_parser("digest", help="queue the daily digests or the weekly executive summaries")
    dg.add_argument("which", choices=["daily", "weekly"])
    dg.set_defaults(handler=run_digest)
    ts = nsub.add_parser("test", help="send a test notice to a channel or a stored user now")
    target = ts.add_mutually_exclusive_group(required=True)
    target.add_argument("--channel", type=int, default=None, metavar="N", help="the channel's id")
    target.add_argument("--user", default=None, metavar="EMAIL", help="a stored user's e-mail address")
    ts.set_defaults(handler=run_test)


def run_run(args: argparse.Namespace) -> int:
    """Deliver due notices (once, or every ``--watch`` seconds); print what each round did."""
    if args.watch is not None and args.watch <= 0:
        raise ValueError("--watch needs a positive number of seconds")
    engine = engine_from_args(args)
    try:
        while True:
            try:
                result = deliver_due(engine, limit=args.limit)
                print_json({**result.as_dict(), "outbox": outbox_counts(engine)})
            except DBAPIError as exc:
                if args.watch is None:
                    raise
                # A watching service outlives a database that is briefly away (restart, lock, network).
                print(f"error: {strip_controls(str(exc.orig))[:300]}", file=sys.stderr)
            if args.watch is None:
                return 0
            time.sleep(args.watch)
    except KeyboardInterrupt:
        return 0
    finally:
        engine.dispose()


def run_digest(args: argparse.Namespace) -> int:
    """Queue the daily or weekly digests; print how many were queued."""
    engine = engine_from_args(args)
    try:
        n = queue_daily_digests(engine) if args.which == "daily" else queue_weekly_digests(engine)
    finally:
        engine.dispose()
    print_json({"queued": n, "which": args.which})
    return 0


def run_test(args: argparse.Namespace) -> int:
    """Send a test notice now; print its outcome; exit 1 when it was not delivered."""
    engine = engine_from_args(args)
    try:
        result = send_test(engine, channel_id=args.channel, email=args.user, actor=f"cli:{getpass.getuser()}")
    finally:
        engine.dispose()
    print_json(result)
    return 0 if result["status"] == "sent" else 1
