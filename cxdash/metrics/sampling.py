"""Bounded, deterministic samples of a selection's responses, for models that need row-level data.

Every k-th response id (k = selection size / sample size) keeps the sample the same between a cached page and a
report, and spreads it over the whole id range (the load order, usually time) instead of favouring the newest
rows. Big selections take the candidate ids by arithmetic and look them up by primary key (milliseconds); small
ones, where most candidates would miss, scan the selection through its index. Callers report the n they got, so
a page can state that a figure rests on a sample.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sqlalchemy import ColumnElement, and_
from sqlalchemy.engine import Connection

from cxdash.filters import Filters, response_where
from cxdash.metrics.experience.tier_analysis import response_sums
from cxdash.schema import survey_response
from cxdash.sqlfuncs import min_max

MAX_CANDIDATES = 20_000  # ids looked up by key at most; beyond that a scan of the selection is cheaper


def selection_size(conn: Connection, filters: Filters) -> int:
    """Number of responses in the selection (from the summaries where they cover it)."""
    sums = response_sums(conn, filters)
    return int(sums["n"].sum()) if not sums.empty else 0


@dataclass(frozen=True)
class Sample:
    """The WHERE clause of a sample, the selection's size and the step (1: the whole selection)."""

    where: ColumnElement[bool]
    total: int
    step: int

    @property
    def sampled(self) -> bool:
        """True when only every k-th response is read."""
        return self.step > 1


def spread_sample(conn: Connection, filters: Filters, size: int,
                  extra: Sequence[ColumnElement[bool]] = ()) -> Sample:
    """About ``size`` evenly spread responses of the selection (all of them when fewer) that also meet ``extra``."""
    where = and_(response_where(filters), *extra)
    total = selection_size(conn, filters)
    step = max(1, math.ceil(total / max(size, 1)))
    if step == 1:
        return Sample(where, total, 1)
    lo, hi = min_max(conn, survey_response.c.id)
    if lo is None:
        return Sample(where, total, 1)
    # An evenly spread selection meets every step-th id of the whole range about ``size`` times; that takes
    # range / step key lookups, cheap while few, else the scan of the selection is the cheaper way.
    if (int(hi) - int(lo)) // step + 1 <= MAX_CANDIDATES:
        ids = np.arange(int(lo), int(hi) + 1, step, dtype=np.int64).tolist()
        return Sample(and_(where, survey_response.c.id.in_(ids)), total, step)
    return Sample(and_(where, survey_response.c.id % step == 0), total, step)


def spread_condition(
    conn: Connection, filters: Filters, size: int, extra: Sequence[ColumnElement[bool]] = ()
) -> ColumnElement[bool]:
    """WHERE clause for about ``size`` evenly spread responses of the selection (all when fewer)."""
    return spread_sample(conn, filters, size, extra).where
