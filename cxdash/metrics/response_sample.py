"""A bounded, evenly spread sample of a selection's responses that says whether it is one.

Figures with no summary table behind them (CES, effort levels, service failures) read at most ``size``
responses: every k-th response id, k = selection size / size, found by key lookups when few ids are needed
(:func:`cxdash.metrics.sampling.spread_sample`) or by ``id % k`` otherwise. The selection size
comes from the summaries (:func:`cxdash.metrics.sampling.selection_size`), so deciding costs no scan. Selections
up to ``size`` are read whole: small sites and teams always get exact figures.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement
from sqlalchemy.engine import Connection

from cxdash.filters import Filters
from cxdash.metrics.sampling import Sample, spread_sample

__all__ = ["DEFAULT_SIZE", "Sample", "response_sample"]

DEFAULT_SIZE = 20_000


def response_sample(conn: Connection, filters: Filters, size: int = DEFAULT_SIZE,
                    extra: Sequence[ColumnElement[bool]] = ()) -> Sample:
    """About ``size`` evenly spread responses of the selection (all when fewer) that also meet ``extra``
    (:func:`cxdash.metrics.sampling.spread_sample`)."""
    return spread_sample(conn, filters, size, extra)
