"""The touchpoint sums of a selection: count, sum and sum of squares of the normalised gaps per touchpoint.

Summaries first (:mod:`cxdash.summaries`: whole months at month grain, the ends at day grain), the raw join of
scores and responses where no summary answers. The gap table (:mod:`cxdash.metrics.experience.gaps`), the importance
(:mod:`cxdash.metrics.experience.importance`) and a plan's effect all start from these sums.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from cxdash.domain.frames import rows_frame
from cxdash.domain.pairs import pair_expressions
from cxdash.filters import Filters, response_where
from cxdash.schema import survey_response, touchpoint_score, touchpoint_summary
from cxdash.summaries import TP_MEASURES, additive_sums, group_column, part_filters, plan_parts, summary_where
from cxdash.summaries.common import tp_measure_sums


def raw_touchpoint_sums(
    conn: Connection, filters: Filters, tolerance: float, group_by: Sequence[str] = ("touchpoint_id",),
    touchpoint_ids: Sequence[int] = (),
) -> pd.DataFrame:
    """``TP_MEASURES`` by ``group_by`` from the touchpoint scores of the selected responses (the raw join), of
    ``touchpoint_ids`` only when given.

    Group keys: ``touchpoint_id``, any survey_response column (``site_id``, ``person_id``, ...), ``month``,
    ``week``.
    """
    x = pair_expressions(tolerance)
    ts = touchpoint_score.c
    keys = [
        ts.touchpoint_id if g == "touchpoint_id" else group_column(survey_response, g, conn.dialect.name)
        for g in group_by
    ]
    stmt = (
        select(*keys, *tp_measure_sums(x, ts))
        .select_from(touchpoint_score.join(survey_response, survey_response.c.id == ts.response_id))
        .where(response_where(filters), x["valid"])
    )
    if touchpoint_ids:
        stmt = stmt.where(ts.touchpoint_id.in_(list(touchpoint_ids)))
    if keys:
        stmt = stmt.group_by(*keys)
    return rows_frame(conn.execute(stmt), [*group_by, *TP_MEASURES])


def touchpoint_sums(
    conn: Connection,
    filters: Filters,
    tolerance: float,
    group_by: Sequence[str] = ("touchpoint_id",),
    by_day: bool = False,
    touchpoint_ids: Sequence[int] = (),
    measures: Sequence[str] = TP_MEASURES,
) -> pd.DataFrame:
    """``measures`` (of ``TP_MEASURES``) by ``group_by`` over the selection (of ``touchpoint_ids`` only, when
    given): from the summaries where they can answer, else raw.

    ``person_id`` as a key needs the raw rows (the summaries stop at teams); so does ``week`` under a channel or
    segment filter. Fewer measures read faster: at 1,000 sites a year of site sums takes SQLite about a third of
    the time with two measures instead of ten.
    """
    columns = [*group_by, *measures]
    if "person_id" in group_by:
        return raw_touchpoint_sums(conn, filters, tolerance, group_by, touchpoint_ids)[columns]
    ids = list(touchpoint_ids)
    return additive_sums(
        conn,
        filters,
        touchpoint_summary,
        measures,
        group_by,
        lambda f: raw_touchpoint_sums(conn, f, tolerance, group_by, ids)[columns],
        by_day=by_day or "week" in group_by,
        tolerance=tolerance,
        where=touchpoint_summary.c.touchpoint_id.in_(ids) if ids else None,
    )


def one_touchpoint_sums(conn: Connection, filters: Filters, tolerance: float, touchpoint_id: int) -> tuple[int, float, float]:
    """``(n, s_d, ss_d)`` of one touchpoint over the selection, as :func:`touchpoint_sums` gives them.

    Summed in SQL part by part (raw rows only for a part the summaries cannot answer): a plan's effect reads two
    of these per plan, and a DataFrame of every touchpoint per read cost the overview about 10 ms each.
    """
    n, s, ss = 0, 0.0, 0.0
    ts = touchpoint_summary.c
    for part in plan_parts(conn, filters, tolerance=tolerance):
        if part.grain is None:
            raw = raw_touchpoint_sums(conn, part_filters(filters, part), tolerance)
            row = raw[raw["touchpoint_id"] == touchpoint_id]
            got = (0, 0.0, 0.0) if row.empty else (row["n"].iloc[0], row["s_d"].iloc[0], row["ss_d"].iloc[0])
        else:
            got = conn.execute(
                select(func.sum(ts.n), func.sum(ts.s_d), func.sum(ts.ss_d)).where(
                    summary_where(touchpoint_summary, filters, part), ts.touchpoint_id == touchpoint_id)
            ).one()
        n += int(got[0] or 0)
        s += float(got[1] or 0.0)
        ss += float(got[2] or 0.0)
    return n, s, ss
