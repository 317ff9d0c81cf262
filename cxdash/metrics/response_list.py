"""The responses behind a number: a paginated, searchable list for the last level of the drill-down.

One page is one indexed query with LIMIT/OFFSET plus a count, whatever the size of the database. The search
matches the comment case-insensitively as plain text: the user's words are a bound parameter with ``%``, ``_``
and the escape character escaped, so they can never act as a pattern or as SQL. Comments are returned as text;
the pages show them as text, never as HTML.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import Engine, and_, func, select, true
from sqlalchemy.sql.elements import ColumnElement

from cxdash.domain.tiers import tier_name
from cxdash.filters import Filters, response_where
from cxdash.i18n import t
from cxdash.metrics.experience.drilldown import DrillState, drill_filters
from cxdash.schema import person, site, survey_response, touchpoint_score
from cxdash.unit_names import display_expr

PAGE_SIZE = 50
EXPORT_LIMIT = 50_000
MAX_SEARCH = 200
LIST_COLUMNS = ["response_id", "visit_date", "site", "person", "p", "e", "scale", "tier", "ltr", "nps_group",
                "comment"]


@dataclass(frozen=True)
class ResponsePage:
    """One page of the response list: its rows, the total matching rows, the page number and page count."""

    rows: pd.DataFrame
    total: int
    page: int
    pages: int


def escape_like(text: str, escape: str = "\\") -> str:
    """Escape ``%``, ``_`` and the escape character so ``text`` matches literally inside a LIKE pattern."""
    return text.replace(escape, escape * 2).replace("%", escape + "%").replace("_", escape + "_")


def search_condition(search: str) -> ColumnElement[bool]:
    """Comment contains ``search`` (case-insensitive, literal); everything when the search is blank."""
    words = (search or "").strip()[:MAX_SEARCH]
    if not words:
        return true()
    return survey_response.c.comment.ilike(f"%{escape_like(words)}%", escape="\\")


def _base(filters: Filters, state: DrillState, search: str):  # noqa: ANN202 - a FROM clause and a WHERE
    sr, ts = survey_response.c, touchpoint_score.c
    source = survey_response.outerjoin(site, site.c.id == sr.site_id).outerjoin(person, person.c.id == sr.person_id)
    where = [response_where(drill_filters(filters, state)), search_condition(search)]
    if state.touchpoint is not None:
        source = source.join(touchpoint_score, and_(ts.response_id == sr.id, ts.touchpoint_id == state.touchpoint))
    return source, and_(*where)


def _select(filters: Filters, state: DrillState, search: str, lang: str = "en"):  # noqa: ANN202 - a Select
    sr, ts = survey_response.c, touchpoint_score.c
    source, where = _base(filters, state, search)
    with_tp = state.touchpoint is not None
    cols = [
        sr.id, sr.visit_date, display_expr(site, lang), display_expr(person, lang),
        ts.p if with_tp else sr.overall_p, ts.e if with_tp else sr.overall_e,
        func.coalesce(sr.tp_scale_min, sr.overall_scale_min) if with_tp else sr.overall_scale_min,
        func.coalesce(sr.tp_scale_max, sr.overall_scale_max) if with_tp else sr.overall_scale_max,
        sr.tier, sr.ltr, sr.comment,
    ]
    return select(*cols).select_from(source).where(where).order_by(sr.visit_date.desc(), sr.id.desc())


def _nps_group(ltr: Any, lang: str) -> str:
    """Promoter (9-10), passive (7-8) or detractor (0-6) by the NPS rule; blank without an answer."""
    if ltr is None or (isinstance(ltr, float) and math.isnan(ltr)):
        return ""
    group = "promoter" if ltr >= 9 else "passive" if ltr >= 7 else "detractor"
    return t(f"experience.nps_group.{group}", lang)


def _frame(rows: Sequence[Any], lang: str) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=["response_id", "visit_date", "site", "person", "p", "e", "lo", "hi", "tier",
                                     "ltr", "comment"])
    df["scale"] = [f"{lo:g}-{hi:g}" if lo is not None and hi is not None and not (math.isnan(lo) or math.isnan(hi))
                   else "" for lo, hi in zip(df["lo"], df["hi"], strict=True)]
    df["tier"] = [t(f"common.tier.{tier_name(v)}", lang) for v in df["tier"]]
    df["nps_group"] = [_nps_group(v, lang) for v in df["ltr"]]
    df["comment"] = df["comment"].astype(object).where(df["comment"].notna(), "")
    return df[LIST_COLUMNS]


def response_list(engine: Engine, filters: Filters, state: DrillState, search: str = "", page: int = 1,
                  page_size: int = PAGE_SIZE, lang: str = "en") -> ResponsePage:
    """One page of the responses of the drill-down state, newest first.

    Columns ``LIST_COLUMNS``: id, visit date, site, person, P and E at the chosen touchpoint (overall P and E
    without one) on their own scale, the scale, the tier (translated), likelihood to recommend and its NPS group
    (translated), the comment.
    ``page`` is clamped to the pages there are.
    """
    page_size = max(1, min(int(page_size), 500))
    source, where = _base(filters, state, search)
    with engine.connect() as conn:
        total = int(conn.execute(select(func.count()).select_from(source).where(where)).scalar_one())
        pages = max(1, math.ceil(total / page_size))
        page = min(max(1, int(page)), pages)
        stmt = _select(filters, state, search, lang).limit(page_size).offset((page - 1) * page_size)
        rows = conn.execute(stmt).all()
    return ResponsePage(_frame(rows, lang), total, page, pages)


def response_export(engine: Engine, filters: Filters, state: DrillState, search: str = "", lang: str = "en",
                    limit: int = EXPORT_LIMIT) -> pd.DataFrame:
    """Every response of the drill-down state for download (newest first, at most ``limit`` rows)."""
    with engine.connect() as conn:
        rows = conn.execute(_select(filters, state, search, lang).limit(limit)).all()
    return _frame(rows, lang)
