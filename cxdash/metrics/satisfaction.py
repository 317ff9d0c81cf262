"""CSAT, CES and the effort facts of a selection of survey responses (docs/metrics.md).

- CSAT: share of 4-5 answers among the 1-5 answers (top-2 box), with its Wilson 95 % interval.
- CES (1-7, 7 = very easy): mean with its t-interval, and the share answering 5-7 ("easy").
- Effort facts: share needing more than one contact, share transferred at least once, share who had to repeat
  their story, each over the responses that answered that question.

Each group's aggregates are labelled SQL expressions (``*_columns``, :mod:`cxdash.domain.figures`) with a
matching ``*_from_row`` builder here, so the overview asks for all of them in one pass over the responses and the
trend groups them by month.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from scipy import stats as sps
from sqlalchemy import Engine, select
from sqlalchemy.sql.elements import ColumnElement

from cxdash.domain.figures import ces_columns, csat_columns, effort_columns
from cxdash.filters import Filters, response_where
from cxdash.metrics.significance import Proportion, proportion, wilson

__all__ = ["CesResult", "EffortFacts", "Proportion", "ces", "csat", "effort_facts", "wilson"]



@dataclass(frozen=True)
class CesResult:
    """CES of a selection: n, mean (1-7), share 5-7, their counts and the mean's t-interval (None when n = 0)."""

    n: int
    mean: float | None
    share_easy: float | None
    easy: int = 0
    sd: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None


@dataclass(frozen=True)
class EffortFacts:
    """Shares of responses that needed more than one contact, were transferred, or repeated their story."""

    multiple_contacts: Proportion
    transferred: Proportion
    repeated_story: Proportion


def csat_from_row(row: Mapping[Any, Any]) -> Proportion:
    """CSAT from a row holding the :func:`csat_columns` aggregates."""
    return proportion(row["csat_k"], row["csat_n"])


def ces_from_sums(n: int, total: float, total_sq: float, easy: int) -> CesResult:
    """CES from the count, sum, sum of squares and count of 5-7 answers (t-interval of the mean)."""
    if n == 0:
        return CesResult(0, None, None)
    mean = total / n
    if n < 2:
        return CesResult(n, mean, easy / n, easy)
    # Integer answers make sum and sum of squares exact, so the centred sum only needs a guard against -0.
    sd = math.sqrt(max(0.0, (total_sq - total * total / n) / (n - 1)))
    half = float(sps.t.ppf(0.975, n - 1)) * sd / math.sqrt(n)
    return CesResult(n, mean, easy / n, easy, sd, mean - half, mean + half)


def ces_from_row(row: Mapping[Any, Any]) -> CesResult:
    """CES from a row holding the :func:`ces_columns` aggregates."""
    return ces_from_sums(int(row["ces_n"] or 0), float(row["ces_sum"] or 0), float(row["ces_sumsq"] or 0),
                         int(row["ces_easy"] or 0))


def effort_from_row(row: Mapping[Any, Any]) -> EffortFacts:
    """Effort facts from a row holding the :func:`effort_columns` aggregates."""
    return EffortFacts(
        multiple_contacts=proportion(row["contacts_k"], row["contacts_n"]),
        transferred=proportion(row["transfers_k"], row["transfers_n"]),
        repeated_story=proportion(row["repeated_k"], row["repeated_n"]),
    )


def _one_row(engine: Engine, filters: Filters, columns: list[ColumnElement[Any]]) -> Mapping[Any, Any]:
    with engine.connect() as conn:
        return conn.execute(select(*columns).where(response_where(filters))).one()._mapping


def csat(engine: Engine, filters: Filters) -> Proportion:
    """CSAT (top-2 box of 1-5) of the filters' responses with its Wilson 95 % interval."""
    return csat_from_row(_one_row(engine, filters, csat_columns()))


def ces(engine: Engine, filters: Filters) -> CesResult:
    """CES (1-7, 7 = very easy) of the filters' responses: mean, t-interval and share 5-7."""
    return ces_from_row(_one_row(engine, filters, ces_columns()))


def effort_facts(engine: Engine, filters: Filters) -> EffortFacts:
    """Effort facts of the filters' responses, each share over the responses that answered the question."""
    return effort_from_row(_one_row(engine, filters, effort_columns()))
