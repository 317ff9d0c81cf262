"""A bounded, evenly spread sample of a selection's responses that says whether it is one.

Figures with no summary table behind them (CES, effort levels, service failures) read at most ``size``
responses: every k-th response id, k = selection size / size, found by key lookups when few ids are needed
(as :func:`cxdash.metrics.sampling.spread_condition` does) or by ``id % k`` otherwise. The selection size
comes from the summaries (:func:`cxdash.metrics.sampling.selection_size`), so deciding costs no scan. Selections
up to ``size`` are read whole: small sites and teams always get exact figures.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.engine import Connection

from cxdash.filters import Filters, response_where
from cxdash.metrics.sampling import MAX_CANDIDATES, selection_size
from cxdash.schema import survey_response

DEFAULT_SIZE = 20_000


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


def response_sample(conn: Connection, filters: Filters, size: int = DEFAULT_SIZE,
                    extra: Sequence[ColumnElement[bool]] = ()) -> Sample:
    """About ``size`` evenly spread responses of the selection (all when fewer) that also meet ``extra``."""
    where = and_(response_where(filters), *extra)
    total = selection_size(conn, filters)
    step = max(1, math.ceil(total / max(size, 1)))
    if step == 1:
        return Sample(where, total, 1)
    # Two queries: SQLite answers a lone min() or max() of the key from the b-tree, but both in one scan all rows.
    lo = conn.execute(select(func.min(survey_response.c.id))).scalar()
    hi = conn.execute(select(func.max(survey_response.c.id))).scalar()
    if lo is None or hi is None:
        return Sample(where, total, 1)
    if (int(hi) - int(lo)) // step + 1 <= MAX_CANDIDATES:
        ids = np.arange(int(lo), int(hi) + 1, step, dtype=np.int64).tolist()
        return Sample(and_(where, survey_response.c.id.in_(ids)), total, step)
    return Sample(and_(where, survey_response.c.id % step == 0), total, step)
