"""The response and figure summaries' rows from one grouping of the responses.

Both summaries group the same responses by day or month, organisation, channel and segment (the response summary
by tier as well), each at two or three grains. On SQLite every grouping of a million responses is a sort of a
million rows (about 4 s each, 17 s for the four of a rebuild). Grouped once at the finest grain (day,
organisation, channel, segment, tier) into a temporary table, the responses are read and sorted once; every grain
of both summaries is then summed from that much smaller table. Every measure is a count or a sum, so the sums of
the finer groups are exactly the sums over the rows (a SUM of only NULLs stays NULL, as over the rows).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Table, case, func, insert, select
from sqlalchemy.engine import Connection

from cxdash.domain.figures import FLOAT_MEASURES, response_columns
from cxdash.schema import figure_summary, response_summary, survey_response
from cxdash.summaries.common import RESPONSE_MEASURES, fine_keys, fine_table, insert_grain
from cxdash.summaries.figures import figure_measures
from cxdash.summaries.grains import Grain

FINE_KEYS = fine_keys("tier")


def _response_measures() -> list[ColumnElement[Any]]:
    """The response summary's measures over ``survey_response``, labelled as its columns."""
    sr = survey_response.c

    def count_if(cond: Any) -> Any:
        return func.sum(case((cond, 1), else_=0))

    exprs = [func.count(), func.count(sr.ltr), count_if(sr.ltr >= 9), count_if(sr.ltr <= 6), func.count(sr.csat),
             count_if(sr.csat >= 4)]
    return [e.label(name) for e, name in zip(exprs, RESPONSE_MEASURES, strict=True)]


def _fine_sums(conn: Connection, where: ColumnElement[bool]) -> Table:
    """A temporary table of both summaries' measures of the responses matching ``where``, per ``FINE_KEYS``."""
    sr = survey_response.c
    measures = [*RESPONSE_MEASURES, *figure_measures()]
    fine = fine_table("sum_response_fine", "tier", measures, FLOAT_MEASURES)
    fine.drop(conn, checkfirst=True)
    fine.create(conn)
    keys = [sr[k] for k in FINE_KEYS]
    sel = select(*keys, *_response_measures(), *response_columns()).where(where).group_by(*keys)
    conn.execute(insert(fine).from_select([*FINE_KEYS, *measures], sel))
    return fine


def insert_response_sums(conn: Connection, where: ColumnElement[bool], grains: Sequence[Grain]) -> None:
    """Insert the response and figure summary rows of the responses matching ``where`` at each of ``grains``."""
    fine = _fine_sums(conn, where)
    try:
        for grain in grains:
            conn.execute(insert_grain(response_summary, fine, grain, conn.dialect.name, ["tier"], RESPONSE_MEASURES))
            conn.execute(insert_grain(figure_summary, fine, grain, conn.dialect.name, [], figure_measures()))
    finally:
        fine.drop(conn, checkfirst=True)
