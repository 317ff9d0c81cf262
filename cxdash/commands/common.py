"""Options and output shared by every report command: the global filters and CSV/JSON printing.

Text printed to a terminal comes from users and files (names, titles, comments, file names): terminal control
sequences in it could recolour the screen, move the cursor, rewrite earlier lines, set the window title or, on
some terminals, write to the clipboard. Every print helper here strips them (:func:`strip_controls`).
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import re
import sys
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

import pandas as pd
from sqlalchemy import Engine

from cxdash.auth import apply_scope, resolve_user
from cxdash.code_label_store import stored_labels
from cxdash.code_labels import use_labels
from cxdash.db import make_engine
from cxdash.filters import Filters
from cxdash.formatting import export_frame
from cxdash.summaries.rebuild import open_summaries


def register(sub: Any, reports: Any) -> None:
    """This module only holds shared helpers; it adds no command."""


def add_filter_options(parser: argparse.ArgumentParser) -> None:
    """Add the global filter options (the same as the app's sidebar) to a report command."""
    parser.add_argument("--from", dest="date_from", type=date.fromisoformat, help="first day (YYYY-MM-DD)")
    parser.add_argument("--to", dest="date_to", type=date.fromisoformat, help="last day (YYYY-MM-DD)")
    parser.add_argument("--region", type=int, action="append", default=[], help="region id (repeatable)")
    parser.add_argument("--site", type=int, action="append", default=[], help="site id (repeatable)")
    parser.add_argument("--team", type=int, action="append", default=[], help="team id (repeatable)")
    parser.add_argument("--channel", action="append", default=[], help="channel (repeatable)")
    parser.add_argument("--segment", action="append", default=[], help="customer segment (repeatable)")
    parser.add_argument("--format", choices=["csv", "json"], default="json")
    parser.add_argument("--lang", default="en", help="language of labels: en, zh-Hans, zh-Hant")
    parser.add_argument("--as-user", metavar="EMAIL", default=None,
                        help="run on behalf of a stored user: a team lead's report is limited to their scope")


def filters_from_args(args: argparse.Namespace) -> Filters:
    """Build :class:`Filters` from the parsed global filter options (scoped to ``--as-user``'s scope if given).

    Raises:
        SystemExit: ``--as-user`` names nobody with a role.
    """
    filters = _filters(args)
    email = getattr(args, "as_user", None)
    if not email:
        return filters

    engine = engine_from_args(args)
    try:
        user = resolve_user(engine, email)
    finally:
        engine.dispose()
    if user.role is None:
        raise SystemExit(f"error: {email!r} has no role in this database (see the Users and roles page)")
    return apply_scope(filters, user)


def _filters(args: argparse.Namespace) -> Filters:
    return Filters(
        date_from=args.date_from,
        date_to=args.date_to,
        region_ids=tuple(args.region),
        site_ids=tuple(args.site),
        team_ids=tuple(args.team),
        channels=tuple(args.channel),
        segments=tuple(args.segment),
    )


def engine_from_args(args: argparse.Namespace) -> Engine:
    """Open (and migrate) the database named by ``--database-url`` or the environment; load its code names."""
    engine = make_engine(getattr(args, "database_url", None))
    open_summaries(engine)  # a migration's rebuild request is served before the first report reads
    use_labels(stored_labels(engine))  # reports name a deployment's own codes as its pages do
    return engine


def plain_value(value: Any) -> Any:
    """A report cell as a plain Python value: NaN, NaT and NA as None (valid JSON, empty CSV cells), numpy
    scalars as Python numbers."""
    if value is None or value is pd.NaT or value is pd.NA:
        return None
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def frame_rows(df: pd.DataFrame, columns: list[str] | None = None, **extra: Any) -> list[dict[str, Any]]:
    """Rows of ``df`` as dicts of plain values, with exactly ``columns`` when given (missing ones empty) and the
    ``extra`` columns added to every row."""
    if columns is not None:
        df = df.reindex(columns=columns)
    df = export_frame(df)  # counts as integers ("2733", not "2733.0"), midnight timestamps as dates
    names = [str(c) for c in df.columns]
    return [{**{c: plain_value(v) for c, v in zip(names, row, strict=True)}, **extra}
            for row in df.itertuples(index=False, name=None)]


def _plain(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    return value


def escape_formula(value: Any) -> Any:
    """Prefix text that a spreadsheet would run as a formula (=, +, -, @, tab, CR) with a quote."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


# ANSI escape sequences (CSI, OSC up to BEL or ST, other two-character escapes), then any C0/C1 control except
# tab and newline, DEL, and the Unicode bidirectional overrides (which reorder what a terminal shows).
_ESCAPES = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-Z\\-_]|\x9b[0-?]*[ -/]*[@-~]")
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def strip_controls(text: str) -> str:
    """``text`` without terminal control sequences and control characters (newline and tab are kept)."""
    return _CONTROLS.sub("", _ESCAPES.sub("", text))


def clean_output(value: Any) -> Any:
    """``value`` with :func:`strip_controls` applied to every string in it (dict keys and nested lists too)."""
    if isinstance(value, str):
        return strip_controls(value)
    if isinstance(value, Mapping):
        return {clean_output(k): clean_output(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [clean_output(v) for v in value]
    return value


def print_json(value: Any, out: Any = None) -> None:
    """Print ``value`` as indented JSON (non-ASCII as is), its text stripped of terminal controls."""
    out = out or sys.stdout
    json.dump(clean_output(value), out, ensure_ascii=False, default=lambda v: strip_controls(str(_plain(v))),
              indent=2)
    out.write("\n")


def print_rows(rows: Iterable[Mapping[str, Any]], fmt: str, out: Any = None) -> None:
    """Print rows as JSON (a list of objects) or CSV (header + rows, formula-escaped); terminal controls are
    stripped from their text."""
    out = out or sys.stdout
    rows = [clean_output(dict(r)) for r in rows]
    if fmt == "json":
        print_json(rows, out)
        return
    if not rows:
        return
    writer = csv.DictWriter(out, fieldnames=list(rows[0].keys()))
    writer.writeheader()
    for r in rows:
        writer.writerow({k: escape_formula(clean_output(_plain(v))) for k, v in r.items()})
