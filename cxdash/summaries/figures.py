"""The survey-figure summary: every aggregate behind the overview's survey cards, per day or month, site and team.

``figure_summary`` holds, under the labels of :func:`cxdash.domain.figures.response_columns`, the very
same SQL aggregates (NPS, CSAT and CES counts and sums, tier counts, effort facts) grouped at the grains of the
other summaries. They are counts and sums, so a selection's figures are the sum of its parts exactly as the
raw query computes them; at a million responses the overview's cards and monthly trend read a few thousand
summary rows instead of the responses.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
from sqlalchemy import select
from sqlalchemy.engine import Connection

from cxdash.domain.figures import response_columns
from cxdash.domain.frames import rows_frame
from cxdash.filters import Filters, response_where
from cxdash.schema import figure_summary, survey_response
from cxdash.summaries.read import additive_sums, group_column


def figure_measures() -> list[str]:
    """The measure columns: the labels of the overview's survey aggregates, in their order."""
    return [c.name for c in response_columns()]


def raw_figure_sums(conn: Connection, filters: Filters, group_by: Sequence[str] = ()) -> pd.DataFrame:
    """The figure measures by ``group_by`` computed from the responses themselves."""
    keys = [group_column(survey_response, g, conn.dialect.name) for g in group_by]
    stmt = select(*keys, *response_columns()).where(response_where(filters))
    if keys:
        stmt = stmt.group_by(*keys)
    return rows_frame(conn.execute(stmt), [*group_by, *figure_measures()])


def figure_sums(conn: Connection, filters: Filters, group_by: Sequence[str] = ()) -> pd.DataFrame:
    """The figure measures of the filters' responses by ``group_by`` (e.g. ``["month"]``), summaries first.

    One row per group (one row without ``group_by``); measures are floats, NULL sums count as 0.
    """
    return additive_sums(conn, filters, figure_summary, figure_measures(), group_by,
                         lambda f: raw_figure_sums(conn, f, group_by), by_day="week" in group_by)
