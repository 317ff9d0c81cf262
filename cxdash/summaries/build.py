"""Writing the summaries: rebuild the rows of whole months from the raw responses and touchpoint scores."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import ColumnElement, String, Table, cast, delete, func, insert, select
from sqlalchemy.engine import Connection

from cxdash.db import data_version, get_setting, put_setting
from cxdash.domain.frames import rows_frame
from cxdash.domain.pairs import pair_expressions
from cxdash.domain.periods import between, month_floor, next_month
from cxdash.domain.tiers import get_tolerance
from cxdash.schema import (
    figure_summary,
    response_summary,
    survey_response,
    touchpoint_score,
    touchpoint_summary,
)
from cxdash.summaries.common import (
    BUILT_GRAINS,
    MONTH_GRAINS,
    ORG,
    RESPONSE_MEASURES,
    STATE_KEY,
    SUMMARY_FORMAT,
    TP_COUNTS,
    TP_MEASURES,
    fine_keys,
    fine_table,
    insert_grain,
    rebuild_requested,
    rollup_month,
    state,
    tp_measure_sums,
)
from cxdash.summaries.figures import figure_measures
from cxdash.summaries.grains import Grain
from cxdash.summaries.pair_sums import chunk_pair_sums
from cxdash.summaries.response_sums import insert_response_sums
from cxdash.summaries.sample import add_sample, build_sample

RESPONSE_CHUNK = 50_000  # responses per pass when building touchpoint sums (about a million scores)
INSERT_SLICE = 100_000  # summary rows converted to Python tuples and inserted at a time
COMPACT_ROWS = 200_000  # summed rows gathered from chunks before they are folded into one frame (peak memory)


def _group_sum(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    # min_count=1 keeps a sum of nothing NULL, as SQL's SUM does, instead of 0
    return frame.groupby(keys, dropna=False, sort=False)[list(TP_MEASURES)].sum(min_count=1).reset_index()


def _chunk_frames(conn: Connection, where: ColumnElement[bool], a: int, b: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    sr, ts = survey_response.c, touchpoint_score.c
    text_date = cast(sr.visit_date, String)  # ISO text on both databases: no Python date per row
    resp_stmt = select(
        sr.id, text_date, sr.region_id, sr.site_id, sr.team_id, sr.channel, sr.segment,
        func.coalesce(sr.tp_scale_min, sr.overall_scale_min), func.coalesce(sr.tp_scale_max, sr.overall_scale_max),
    ).where(where, sr.id.between(a, b))
    resp_cols = ["response_id", "visit_date", *ORG, "channel", "segment", "lo", "hi"]
    resp = rows_frame(conn.execute(resp_stmt), resp_cols)
    # The driver's own cursor: SQLAlchemy's row objects would triple the cost of a million plain tuples.
    score_sql = (
        f"SELECT {ts.response_id.name}, {ts.touchpoint_id.name}, {ts.p.name}, {ts.e.name}, {ts.importance.name} "
        f"FROM {touchpoint_score.name} WHERE {ts.response_id.name} BETWEEN ? AND ?"
    )
    cur = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cur.execute(score_sql, (a, b))
        # one C-level conversion of the tuples into a float matrix (None becomes NaN); ids fit a float exactly
        matrix = np.array(cur.fetchall() or np.empty((0, 5)), dtype=float).reshape(-1, 5)
        scores = pd.DataFrame(matrix, columns=["response_id", "touchpoint_id", "p", "e", "importance"])
        scores = scores.astype({"response_id": np.int64, "touchpoint_id": np.int64})
    finally:
        cur.close()
    for col in ("lo", "hi"):
        resp[col] = pd.to_numeric(resp[col], errors="coerce").astype(float)
    resp["visit_date"] = resp["visit_date"].astype(str).str.slice(0, 10)
    return resp, scores


PairParts = dict[Grain, list[pd.DataFrame]]  # grain -> per-chunk sums from :func:`pair_sums`


def new_pair_parts() -> PairParts:
    """An empty collection of per-chunk touchpoint sums (grains 0 and 2 and their region grains)."""
    return {grain: [] for grain in BUILT_GRAINS}


def pair_sums(resp: pd.DataFrame, scores: pd.DataFrame, tolerance: float, parts: PairParts) -> None:
    """Add one chunk's touchpoint sums to ``parts``.

    ``resp``: ``response_id, visit_date`` (ISO text), the organisation ids, ``channel, segment, lo, hi`` (the
    touchpoint scale); ``scores``: ``response_id, touchpoint_id, p, e, importance``, one row per stored score.
    """
    if resp.empty or scores.empty:
        return
    for grain, frame in chunk_pair_sums(resp, scores, tolerance).items():
        frames = parts[grain]
        frames.append(frame)
        # Chunks of a few days' responses share few groups, so their sums are folded together now and then:
        # memory follows the number of groups, not of chunks.
        if len(frames) > 1 and sum(map(len, frames)) > max(COMPACT_ROWS, 2 * len(frames[0])):
            parts[grain] = [_group_sum(pd.concat(frames, ignore_index=True), _grain_keys(grain))]


def _build_touchpoint_sums(conn: Connection, where: ColumnElement[bool], tolerance: float,
                           with_month: bool = False, parts: PairParts | None = None) -> None:
    """Insert grain 0 and grain 2 touchpoint sums (and their region grains) for the responses matching ``where``
    (and grain 1 and its region grain straight from them with ``with_month``, for an addition that must not roll
    up the months' older grain 2 rows again).

    PostgreSQL aggregates in SQL (hash aggregation: seconds for millions of scores). SQLite can only sort to
    group, which costs minutes at 22 million scores, so there the scores are read in chunks of response ids
    through the driver and summed with numpy, about three times faster; the tests check both against the raw
    join on both databases. ``parts``, the sums an upload computed from its own chunks while loading them
    (:func:`pair_sums`), spare SQLite reading the scores it just wrote back.
    """
    if conn.dialect.name != "sqlite":
        _sql_touchpoint_sums(conn, where, tolerance, (*BUILT_GRAINS, *(MONTH_GRAINS if with_month else ())))
        return
    if parts is None:
        parts = _read_pair_sums(conn, where, tolerance)
    _insert_pair_sums(conn, parts, with_month)


def _read_pair_sums(conn: Connection, where: ColumnElement[bool], tolerance: float) -> PairParts:
    parts = new_pair_parts()
    ids = select(func.min(survey_response.c.id), func.max(survey_response.c.id)).where(where)
    lo_id, hi_id = conn.execute(ids).one()
    if lo_id is None:
        return parts
    for a in range(int(lo_id), int(hi_id) + 1, RESPONSE_CHUNK):
        resp, scores = _chunk_frames(conn, where, a, a + RESPONSE_CHUNK - 1)
        pair_sums(resp, scores, tolerance, parts)
    return parts


def _grain_keys(grain: Grain) -> list[str]:
    """The key columns of the sums of ``grain`` (a month grain summed from its channel x segment grain's frames
    drops channel and segment; region grains drop site and team)."""
    return ["visit_date", *grain.columns, "touchpoint_id"]


def _insert_pair_sums(conn: Connection, parts: PairParts, with_month: bool) -> None:
    grains: PairParts = dict(parts)
    if with_month:
        grains.update({month: parts[source] for month, source in MONTH_GRAINS.items()})
    for grain, frames in grains.items():
        if not frames:
            continue
        total = _group_sum(pd.concat(frames, ignore_index=True), _grain_keys(grain))  # groups may span chunks
        total.insert(0, "grain", grain.id)
        for col in ("site_id", "team_id", "channel", "segment"):
            if col not in total:
                total[col] = None
        # Date order makes every insert an append to the (grain, visit_date) index; random order made each one
        # touch a random index page, which grew slower than linearly once the index outgrew the page cache.
        total = total.sort_values("visit_date", kind="stable")
        cols = ["grain", "visit_date", *ORG, "channel", "segment", "touchpoint_id", *TP_MEASURES]
        # In slices: a million summary rows as Python tuples at once held about a gigabyte.
        for lo in range(0, len(total), INSERT_SLICE):
            _sqlite_insert(conn, touchpoint_summary, cols, _plain_rows(total[cols].iloc[lo:lo + INSERT_SLICE]))

INT_COLUMNS = ("grain", *ORG, "touchpoint_id", *TP_COUNTS)


def _plain_column(values: pd.Series, integer: bool) -> list[Any]:
    """One column as a list of plain Python values (int, float, str, None), converted whole, not per value."""
    if values.dtype == object:
        return values.astype(object).where(values.notna(), None).tolist()
    arr = values.to_numpy()
    missing = pd.isna(arr)
    if integer:
        arr = np.where(missing, 0, arr).astype(np.int64)
    if not missing.any():
        return arr.tolist()
    out = arr.astype(object)
    out[missing] = None
    return out.tolist()


def _plain_rows(frame: pd.DataFrame) -> list[tuple[Any, ...]]:
    """Rows of plain Python values for the driver.

    Whole-column conversion: per-value conversion in Python (as :func:`cxdash.bulk.bulk_insert` does for any
    caller) cost more than the insert itself at a million summary rows.
    """
    columns = [_plain_column(frame[c], c in INT_COLUMNS) for c in frame.columns]
    return list(zip(*columns, strict=True))


def _sqlite_insert(conn: Connection, table: Table, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
    """``executemany`` on the raw SQLite cursor for rows already in the driver's types (see :func:`_plain_rows`)."""
    quote = conn.dialect.identifier_preparer.quote
    sql = (f"INSERT INTO {quote(table.name)} ({', '.join(quote(c) for c in columns)}) "
           f"VALUES ({', '.join('?' * len(columns))})")
    cur = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cur.executemany(sql, rows)
    finally:
        cur.close()


def _fine_select(tolerance: float, where: ColumnElement[bool]) -> Any:
    """``TP_MEASURES`` of the scores of the responses matching ``where``, per ``fine_keys("touchpoint_id")``."""
    x = pair_expressions(tolerance)
    ts, sr = touchpoint_score.c, survey_response.c
    keys = [sr.visit_date, *[sr[k] for k in ORG], sr.channel, sr.segment, ts.touchpoint_id]
    return (
        select(*keys, *tp_measure_sums(x, ts))
        .select_from(survey_response.join(touchpoint_score, ts.response_id == survey_response.c.id))
        .where(where, x["valid"])
        .group_by(*keys)
    )


def _sql_touchpoint_sums(conn: Connection, where: ColumnElement[bool], tolerance: float,
                         grains: Sequence[Grain]) -> None:
    """Insert the touchpoint sums of the responses matching ``where`` at each of ``grains``, in SQL.

    The scores are joined and summed once per day, organisation, channel, segment and touchpoint into a temporary
    table, and every grain is summed from that: one join of the scores instead of one per grain (six per upload:
    5 s of an upload of 10,000 responses on PostgreSQL at 1M, 2.0-3.3 s as one). Sums of sums are the sums.
    """
    floats = [m for m in TP_MEASURES if m not in TP_COUNTS]
    fine = fine_table("sum_tp_fine", "touchpoint_id", TP_MEASURES, floats)
    fine.drop(conn, checkfirst=True)
    fine.create(conn)
    try:
        conn.execute(insert(fine).from_select([*fine_keys("touchpoint_id"), *TP_MEASURES],
                                              _fine_select(tolerance, where)))
        for grain in grains:
            conn.execute(insert_grain(touchpoint_summary, fine, grain, conn.dialect.name, ["touchpoint_id"],
                                      TP_MEASURES))
    finally:
        fine.drop(conn, checkfirst=True)


def refresh_summaries(
    conn: Connection, date_from: date | None = None, date_to: date | None = None, tolerance: float | None = None,
    parts: PairParts | None = None,
) -> None:
    """Rebuild the summary rows of the months touching ``[date_from, date_to]`` (all months without dates).

    Call it inside the transaction that changed the responses (or their touchpoint scores), with the visit-date
    range of the rows written or deleted. ``tolerance`` defaults to the stored tier tolerance setting. ``parts``:
    the touchpoint sums of every response in those months, when the caller has them (a first upload into an empty
    table computed them while loading); they must have been taken with the stored tolerance. Every month is rebuilt
    when a migration asked for it (:func:`cxdash.summaries.common.rebuild_requested`).
    """
    tol = get_tolerance(conn) if tolerance is None else tolerance
    if rebuild_requested(get_setting(conn, STATE_KEY, None)):
        date_from = date_to = parts = None  # a migration asked for every month: the others lack rows too
    lo = None if date_from is None else month_floor(date_from)
    hi = None if date_to is None else next_month(date_to) - timedelta(days=1)
    for table in (touchpoint_summary, response_summary, figure_summary):
        conn.execute(delete(table).where(between(table.c.visit_date, lo, hi)))
    where = between(survey_response.c.visit_date, lo, hi)
    _build_touchpoint_sums(conn, where, tol, parts=parts if tolerance is None else None)
    build_sample(conn, lo, hi)
    insert_response_sums(conn, where, BUILT_GRAINS)
    tw = between(touchpoint_summary.c.visit_date, lo, hi)
    conn.execute(rollup_month(touchpoint_summary, ["touchpoint_id"], TP_MEASURES, tw))
    rw = between(response_summary.c.visit_date, lo, hi)
    conn.execute(rollup_month(response_summary, ["tier"], RESPONSE_MEASURES, rw))
    fw = between(figure_summary.c.visit_date, lo, hi)
    conn.execute(rollup_month(figure_summary, [], figure_measures(), fw))
    # put_setting bumps the data version once: recording that next version lets readers skip the count
    put_setting(conn, STATE_KEY, {**state(conn), "tolerance": tol, "data_version": data_version(conn) + 1})


def add_to_summaries(conn: Connection, where: ColumnElement[bool], parts: PairParts | None = None) -> bool:
    """Add the sums of newly inserted responses matching ``where`` to the summaries, leaving other rows alone.

    Every stored measure is a sum, so new rows' sums can sit beside the old rows of the same day, site and team
    (readers add them up). An upload of 10,000 responses then costs its own sums, not the rebuild of every month
    it touches (which at a million responses means millions of touchpoint scores). Valid only when the
    summaries were fresh before these rows were written and the rows are all new: returns False without writing
    when that cannot be shown (the caller then rebuilds the months with :func:`refresh_summaries`). ``parts``:
    the new rows' touchpoint sums, when the caller computed them while loading (see :func:`pair_sums`).
    """
    saved = get_setting(conn, STATE_KEY, None)
    tol = get_tolerance(conn)
    if not isinstance(saved, dict) or saved.get("format") != SUMMARY_FORMAT:
        return False
    if abs(float(saved.get("tolerance", -1)) - tol) > 1e-12:
        return False  # the tier rule changed since the summaries were built
    sr = survey_response.c
    n_new, min_new = conn.execute(select(func.count(), func.min(sr.id)).where(where)).one()
    now = state(conn)
    # The readers' own freshness test (count and highest id), applied to the state before these rows
    if now["responses"] != saved.get("responses", -1) + n_new or (n_new and int(min_new) <= saved.get("max_id", 0)):
        return False  # not just these rows added since the last refresh
    if n_new:
        _build_touchpoint_sums(conn, where, tol, with_month=True, parts=parts)
        add_sample(conn, where)
        insert_response_sums(conn, where, (*BUILT_GRAINS, *MONTH_GRAINS))
    put_setting(conn, STATE_KEY, {**now, "tolerance": tol, "data_version": data_version(conn) + 1})
    return True
