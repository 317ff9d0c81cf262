"""Shared definitions of the survey summary tables: their grains, measures, key columns, the freshness record."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    ColumnElement,
    Date,
    Float,
    Insert,
    Integer,
    MetaData,
    String,
    Table,
    case,
    func,
    insert,
    literal,
    select,
)
from sqlalchemy.engine import Connection

from cxdash.domain.periods import month_start
from cxdash.schema import figure_summary, response_summary, survey_response, touchpoint_summary
from cxdash.summaries.grains import Grain, grain

# The survey summaries (touchpoint, response and figure sums) hold the same grains, told apart by id.
SURVEY_TABLES = (touchpoint_summary, response_summary, figure_summary)
GRAIN_DAY = grain(0, SURVEY_TABLES, True, "team")
GRAIN_MONTH = grain(1, SURVEY_TABLES, False, "team")
GRAIN_MONTH_CS = grain(2, SURVEY_TABLES, False, "team", "channel", "segment")
# The same three without sites and teams (one row per region): a brand-wide selection over a thousand sites reads
# a few thousand of these instead of millions of site-and-team rows.
REGION_DAY = grain(3, SURVEY_TABLES, True, "region")
REGION_MONTH = grain(4, SURVEY_TABLES, False, "region")
REGION_MONTH_CS = grain(5, SURVEY_TABLES, False, "region", "channel", "segment")
SURVEY_GRAINS = (GRAIN_DAY, GRAIN_MONTH, GRAIN_MONTH_CS, REGION_DAY, REGION_MONTH, REGION_MONTH_CS)
BUILT_GRAINS = (GRAIN_MONTH_CS, GRAIN_DAY, REGION_MONTH_CS, REGION_DAY)  # the grains summed from the rows
MONTH_GRAINS = {GRAIN_MONTH: GRAIN_MONTH_CS, REGION_MONTH: REGION_MONTH_CS}  # month grain -> the grain it sums
STATE_KEY = "summary_state"
SUMMARY_FORMAT = 2  # bump when the stored measures or grains change, so old summaries count as stale
ORG = ("region_id", "site_id", "team_id")
TP_MEASURES = ("n", "s_d", "ss_d", "s_p", "s_e", "n_dis", "n_p", "s_p_all", "n_imp", "s_imp")
TP_COUNTS = ("n", "n_dis", "n_p", "n_imp")  # integer measures; the others are sums that stay NULL over no values
RESPONSE_MEASURES = ("n", "n_ltr", "promoters", "detractors", "n_csat", "csat_top2")


def tp_measure_sums(x: Mapping[str, Any], scores: Any) -> list[ColumnElement[Any]]:
    """The aggregates behind ``TP_MEASURES``, in its order, over touchpoint score columns ``scores`` with the pair
    expressions ``x`` (``paired``, ``d``, ``p``, ``e``, ``disappointed`` of
    :func:`cxdash.domain.pairs.pair_expressions`): the one definition the raw join and the summary build share."""
    paired = x["paired"]

    def when(cond: Any, value: Any) -> Any:
        return case((cond, value), else_=None)

    return [
        func.sum(case((paired, 1), else_=0)),
        func.sum(when(paired, x["d"])),
        func.sum(when(paired, x["d"] * x["d"])),
        func.sum(when(paired, x["p"])),
        func.sum(when(paired, x["e"])),
        func.sum(case((x["disappointed"], 1), else_=0)),
        func.count(scores.p),
        func.sum(x["p"]),
        func.count(scores.importance),
        func.sum(scores.importance),
    ]


def state(conn: Connection) -> dict[str, Any]:
    """What the summaries were built from: the response count and highest id (and the format version)."""
    row = conn.execute(select(func.count(), func.max(survey_response.c.id))).one()
    return {"responses": int(row[0]), "max_id": int(row[1] or 0), "format": SUMMARY_FORMAT}


def summary_keys(grain: Grain, dialect: str, source: Table = survey_response) -> list[ColumnElement[Any]]:
    """The key columns of a summary row of ``grain`` over ``source`` (``survey_response``, or a table with its key
    columns' names), labelled (grain literal first)."""
    sr = source.c
    day = sr.visit_date if grain.day else month_start(sr.visit_date, dialect)
    by_cs = "channel" in grain.dims
    by_team = "team" in grain.dims
    return [
        literal(grain.id).label("grain"),
        day.label("visit_date"),
        sr.region_id,
        (sr.site_id if by_team else literal(None, sr.site_id.type)).label("site_id"),
        (sr.team_id if by_team else literal(None, sr.team_id.type)).label("team_id"),
        (sr.channel if by_cs else literal(None)).label("channel"),
        (sr.segment if by_cs else literal(None)).label("segment"),
    ]


def fine_keys(extra: str) -> tuple[str, ...]:
    """The key columns of a :func:`fine_table`: day, organisation, channel, segment and ``extra``."""
    return ("visit_date", *ORG, "channel", "segment", extra)


def fine_table(name: str, extra: str, measures: Sequence[str], floats: Sequence[str]) -> Table:
    """A temporary table of ``measures`` (``floats`` as floats, the others as counts) per :func:`fine_keys`: the
    finest grouping a summary write computes once, every grain then summed from it (:func:`insert_grain`)."""
    return Table(
        name, MetaData(),
        Column("visit_date", Date), *[Column(k, Integer) for k in ORG], Column("channel", String(64)),
        Column("segment", String(64)), Column(extra, Integer),
        *[Column(m, Float if m in floats else BigInteger) for m in measures],
        prefixes=["TEMPORARY"],
    )


def insert_grain(target: Table, fine: Table, grain: Grain, dialect: str, extra: Sequence[str],
                 measures: Sequence[str]) -> Insert:
    """An INSERT of ``target``'s rows of ``grain`` (keys, ``extra``, ``measures``) summed from a :func:`fine_table`.

    In date order: a hash aggregate writes its groups in no order, which spread one day's rows of a grain over
    the whole table (on PostgreSQL at 1,000 sites a month's day rows lay in 78,000 blocks, 0.8 s to read).
    """
    keys = [*summary_keys(grain, dialect, fine), *[fine.c[e] for e in extra]]
    sel = select(*keys, *[func.sum(fine.c[m]) for m in measures]).group_by(*keys[1:]).order_by(keys[1])
    cols = ["grain", "visit_date", *ORG, "channel", "segment", *extra, *measures]
    return insert(target).from_select(cols, sel)


def rollup_month(table: Table, extra: Sequence[str], measures: Sequence[str], where: ColumnElement[bool]) -> Any:
    """An INSERT of grain 1 from grain 2 and of its region grain from theirs: the channel x segment rows of each
    month and organisation unit (and ``extra``) summed."""
    t = table.c
    keys = [t.grain, t.visit_date, *[t[k] for k in ORG], *[t[k] for k in extra]]
    sel = (
        # every month grain is one below the channel x segment grain it sums (MONTH_GRAINS)
        select(t.grain - 1, *keys[1:], literal(None), literal(None), *[func.sum(t[m]) for m in measures])
        .where(t.grain.in_(tuple(g.id for g in MONTH_GRAINS.values())), where)
        .group_by(*keys)
        .order_by(t.grain, t.visit_date)  # rows of a day together (SQLite groups in this order anyway)
    )
    cols = ["grain", "visit_date", *ORG, *extra, "channel", "segment", *measures]
    return insert(table).from_select(cols, sel)


# The freshness record a migration leaves when the summaries it found must be rebuilt whole (a new table or grain):
# readers see stale summaries and read the raw rows, and the next refresh rebuilds every month.
REBUILD_RECORD = {"rebuild": True}


def rebuild_requested(saved: Any) -> bool:
    """True when a stored freshness record is a migration's request to rebuild every month (:data:`REBUILD_RECORD`)."""
    return isinstance(saved, dict) and bool(saved.get("rebuild"))


_COUNTED: dict[tuple[Any, ...], bool] = {}


def record_holds(conn: Connection, saved: dict[str, Any], current: Callable[[Connection], dict[str, Any]]) -> bool:
    """True when ``current(conn)`` (counts and highest id now) equals what ``saved`` recorded at the refresh."""
    return all(saved.get(k) == v for k, v in current(conn).items())


def counts_match(conn: Connection, version: int, saved: dict[str, Any],
                 current: Callable[[Connection], dict[str, Any]]) -> bool:
    """True when ``current(conn)`` (counts and highest id now) equals what ``saved`` recorded at the refresh.

    Every writer bumps the data version, so the count (tens of milliseconds at a million rows, asked by every
    summary read) is taken once per engine, data version and record in a process. The saved record is part of
    the key: a database emptied and refilled under the same URL (tests) starts its versions again, but not with
    the same record.
    """
    key = (id(conn.engine), str(conn.engine.url), version, getattr(current, "__qualname__", ""),
           repr(sorted(saved.items())))
    if key not in _COUNTED:
        if len(_COUNTED) > 64:
            _COUNTED.clear()
        _COUNTED[key] = record_holds(conn, saved, current)
    return _COUNTED[key]
