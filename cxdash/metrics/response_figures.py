"""The survey figures of a selection (NPS, CSAT, CES, tier shares, effort facts) from one pass over the responses.

The labelled aggregate expressions are :mod:`cxdash.domain.figures` (one ``SELECT`` so the overview reads the
responses of a period once, and the monthly trend runs the same expressions grouped by month); each metric
module provides the builder of its figure from a result row, and this module puts them together.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine

from cxdash.domain.figures import FLOAT_MEASURES, response_columns
from cxdash.filters import Filters
from cxdash.metrics.experience.tiers import TierShares, tiers_from_row
from cxdash.metrics.nps import NpsResult, nps_from_row
from cxdash.metrics.satisfaction import CesResult, EffortFacts, ces_from_row, csat_from_row, effort_from_row
from cxdash.metrics.significance import Proportion
from cxdash.summaries.figures import figure_sums


@dataclass(frozen=True)
class ResponseFigures:
    """The survey figures of one period, from one aggregate query over the responses."""

    nps: NpsResult
    csat: Proportion
    ces: CesResult
    tiers: TierShares
    effort: EffortFacts


def figures_from_row(row: Mapping[Any, Any]) -> ResponseFigures:
    """Build :class:`ResponseFigures` from a row holding :func:`response_columns`."""
    return ResponseFigures(nps_from_row(row), csat_from_row(row), ces_from_row(row), tiers_from_row(row),
                           effort_from_row(row))




def plain_sums(row: Mapping[str, Any]) -> dict[str, Any]:
    """Summed measures as the row builders expect them: counts as int, the CES sums as float (NULL/NaN as 0)."""
    out: dict[str, Any] = {}
    for key, value in row.items():
        v = 0.0 if value is None or value != value else float(value)
        out[key] = v if key in FLOAT_MEASURES else int(round(v))
    return out


def response_figures(engine: Engine, filters: Filters) -> ResponseFigures:
    """NPS, CSAT, CES, tier shares and effort facts of the filters' responses.

    From the figure summary where it covers the selection (:mod:`cxdash.summaries.figures`), else from the
    responses in a single query; both sum the same aggregates, so the figures are identical.
    """
    with engine.connect() as conn:
        sums = figure_sums(conn, filters)
    if sums.empty:
        row: dict[str, Any] = {c.name: 0 for c in response_columns()}
    else:
        row = plain_sums(sums.iloc[0].to_dict())
    return figures_from_row(row)
