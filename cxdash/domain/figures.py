"""The survey figures as labelled SQL aggregates over ``survey_response``: NPS, CSAT, CES, tiers, effort facts.

Each group is a list of labelled expressions (``*_columns``) counting or summing the responses; the metric modules
turn a row of them into a result (:mod:`cxdash.metrics.nps`, :mod:`cxdash.metrics.satisfaction`,
:mod:`cxdash.metrics.experience.tiers`), and the summaries store the very same aggregates per day or month
(``figure_summary``), so the overview's cards read the same numbers from either. The thresholds of each score
(promoter, top-2 box, "easy") live here once.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, case, func, true
from sqlalchemy.sql.elements import ColumnElement

from cxdash.domain.tiers import tier_columns
from cxdash.schema import survey_response

sr = survey_response.c
PROMOTER_MIN, DETRACTOR_MAX = 9, 6  # NPS: 9-10 promote, 0-6 detract (0-10 answers)
CSAT_TOP2_MIN = 4  # CSAT: 4-5 of 1-5
CES_EASY_MIN = 5  # CES: 5-7 of 1-7 is "easy"
FLOAT_MEASURES = ("ces_sum", "ces_sumsq")  # sums of answers; every other measure is a count


def _count_if(cond: ColumnElement[bool]) -> ColumnElement[Any]:
    return func.sum(case((cond, 1), else_=0))


def nps_columns(ltr: ColumnElement[Any] = sr.ltr) -> list[ColumnElement[Any]]:
    """Labelled aggregates ``nps_n``, ``nps_promoters``, ``nps_detractors`` over ``survey_response`` (or over the
    likelihood-to-recommend column ``ltr`` of another selection)."""
    valid = and_(ltr >= 0, ltr <= 10)
    return [
        func.sum(case((valid, 1), else_=0)).label("nps_n"),
        func.sum(case((and_(valid, ltr >= PROMOTER_MIN), 1), else_=0)).label("nps_promoters"),
        func.sum(case((and_(valid, ltr <= DETRACTOR_MAX), 1), else_=0)).label("nps_detractors"),
    ]


def csat_columns(csat: ColumnElement[Any] = sr.csat) -> list[ColumnElement[Any]]:
    """Labelled aggregates ``csat_n`` (answers 1-5) and ``csat_k`` (answers 4-5) over ``survey_response`` (or over
    the CSAT column ``csat`` of another selection)."""
    valid = and_(csat >= 1, csat <= 5)
    return [_count_if(valid).label("csat_n"), _count_if(and_(valid, csat >= CSAT_TOP2_MIN)).label("csat_k")]


def ces_columns() -> list[ColumnElement[Any]]:
    """Labelled aggregates ``ces_n``, ``ces_sum``, ``ces_sumsq`` and ``ces_easy`` (answers 5-7) over 1-7 answers."""
    valid = and_(sr.ces >= 1, sr.ces <= 7)
    value = case((valid, sr.ces), else_=None)
    return [
        _count_if(valid).label("ces_n"),
        func.sum(value).label("ces_sum"),
        func.sum(value * value).label("ces_sumsq"),
        _count_if(and_(valid, sr.ces >= CES_EASY_MIN)).label("ces_easy"),
    ]


def effort_columns() -> list[ColumnElement[Any]]:
    """Labelled aggregates: answered and affirmative counts for contacts (> 1), transfers (> 0), repeated story."""
    repeated = sr.repeated_story
    return [
        _count_if(sr.contacts_needed.is_not(None)).label("contacts_n"),
        _count_if(sr.contacts_needed > 1).label("contacts_k"),
        _count_if(sr.transfers.is_not(None)).label("transfers_n"),
        _count_if(sr.transfers > 0).label("transfers_k"),
        _count_if(repeated.is_not(None)).label("repeated_n"),
        _count_if(repeated.is_(true())).label("repeated_k"),
    ]


def response_columns() -> list[ColumnElement[Any]]:
    """Every survey aggregate the overview needs, labelled (NPS, CSAT, CES, tiers, effort facts)."""
    return [*nps_columns(), *csat_columns(), *ces_columns(), *tier_columns(), *effort_columns()]
