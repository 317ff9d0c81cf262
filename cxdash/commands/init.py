"""``python -m cxdash init``: create or upgrade the database and the default touchpoint catalog."""

from __future__ import annotations

import argparse
from typing import Any

from cxdash.catalog import ensure_default_catalog
from cxdash.commands.common import engine_from_args


def register(sub: Any, reports: Any) -> None:
    """Add the ``init`` command."""
    p = sub.add_parser("init", help="create or upgrade the database")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Migrate the database to the newest schema and make sure a touchpoint catalog exists."""
    engine = engine_from_args(args)
    with engine.begin() as conn:
        ensure_default_catalog(conn)
    print(f"database ready: {engine.url.render_as_string(hide_password=True)}")
    return 0
