"""Inspection results: record a site visit's scores, list them, and summarise them as a heat map and trends.

An inspection form is one site visit: a date, an inspector, and a 0-10 score (with an optional note) for
several checklist items. Each score is one ``inspection`` row. The global filters apply through the inspected
site (region, site, the sites of the chosen teams, the user's scope) and the inspection date.

Recording takes the acting :class:`~cxdash.auth.User`: executives are refused, and a team lead may record
visits only of their own sites and the sites of their teams (:class:`cxdash.improve.errors.AccessError`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import date

import pandas as pd
from sqlalchemy import Engine, and_, func, or_, select, true
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

from cxdash.audit import record_audit
from cxdash.auth import User
from cxdash.db import bump_data_version
from cxdash.domain.improve import SCORE_MAX, SCORE_MIN
from cxdash.domain.periods import day_conditions
from cxdash.filters import Filters
from cxdash.i18n import localized, name_column
from cxdash.improve.errors import InputError
from cxdash.improve.plan_access import RECORD_INSPECTION, require_role, require_site_scope
from cxdash.schema import checklist_item, inspection, site, stage, team, touchpoint
from cxdash.sqlfuncs import month_bucket
from cxdash.unit_names import display_expr, distinct_labels


def site_filter(f: Filters, site_col: ColumnElement[int]) -> list[ColumnElement[bool]]:
    """Conditions on a site id column from the organisation part of the filters and the user's scope."""
    conds: list[ColumnElement[bool]] = []
    if f.region_ids:
        conds.append(site_col.in_(select(site.c.id).where(site.c.region_id.in_(f.region_ids))))
    if f.site_ids:
        conds.append(site_col.in_(f.site_ids))
    if f.team_ids:
        conds.append(site_col.in_(select(team.c.site_id).where(team.c.id.in_(f.team_ids))))
    if f.scope_sites is not None or f.scope_teams is not None:
        # Inspections belong to a site, so a team lead sees the sites of their teams.
        parts = [site_col.in_(f.scope_sites or ())]
        if f.scope_teams:
            parts.append(site_col.in_(select(team.c.site_id).where(team.c.id.in_(f.scope_teams))))
        conds.append(or_(*parts))
    return conds


def inspection_where(f: Filters) -> ColumnElement[bool]:
    """WHERE clause selecting the inspection rows of ``f`` (dates on the inspection date)."""
    conds = site_filter(f, inspection.c.site_id) + day_conditions(inspection.c.inspected_on, f.date_from, f.date_to)
    return and_(true(), *conds)


def _check_score(item_id: int, score: object) -> float:
    try:
        value = float(score)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise InputError("improve.err.score_range", item=item_id, value=score) from None
    if math.isnan(value) or not SCORE_MIN <= value <= SCORE_MAX:
        raise InputError("improve.err.score_range", item=item_id, value=score)
    return value


def record_inspection(
    conn: Connection,
    *,
    site_id: int,
    inspected_on: date,
    scores: Mapping[int, float | None],
    inspector: str,
    notes: Mapping[int, str] | None = None,
    note: str | None = None,
    user: User,
    today: date | None = None,
) -> list[int]:
    """Record one site visit as ``user``: a score 0-10 per checklist item (None = not inspected); return the row ids.

    ``notes`` holds per-item notes; ``note`` is the visit's note, kept on every item without its own.

    Refused (:class:`AccessError`) when the user's role may not record inspections or the site is outside a team
    lead's scope; refused (:class:`InputError`) without an inspector, for an unknown site, a date in the future,
    no score at all, a score outside 0-10, or an unknown or retired checklist item.
    """
    require_role(user, RECORD_INSPECTION)
    require_site_scope(conn, user, site_id)
    if not (inspector or "").strip():
        raise InputError("improve.err.inspector_required")
    if conn.execute(select(site.c.id).where(site.c.id == site_id)).first() is None:
        raise InputError("improve.err.unknown_site", site=site_id)
    if inspected_on > (today or date.today()):
        raise InputError("improve.err.future_date", day=inspected_on)
    given = {int(k): v for k, v in scores.items() if v is not None and not (isinstance(v, float) and math.isnan(v))}
    if not given:
        raise InputError("improve.err.no_scores")
    active = set(
        conn.execute(
            select(checklist_item.c.id).where(checklist_item.c.id.in_(list(given)), checklist_item.c.active.is_(True))
        ).scalars()
    )
    rows = []
    for item_id, score in given.items():
        if item_id not in active:
            raise InputError("improve.err.unknown_item", item=item_id)
        text = ((notes or {}).get(item_id) or note or "").strip() or None
        rows.append({"item_id": item_id, "site_id": site_id, "inspected_on": inspected_on,
                     "score": _check_score(item_id, score), "inspector": inspector.strip(), "note": text})
    ids = [int(conn.execute(inspection.insert().values(**r)).inserted_primary_key[0]) for r in rows]  # type: ignore[index]
    record_audit(conn, user.email, "create", "inspection", site_id,
                 {"site_id": site_id, "inspected_on": inspected_on, "inspector": inspector, "ids": ids})
    bump_data_version(conn, responses_unchanged=True)
    return ids


def _tp_name(lang: str) -> ColumnElement[str]:
    return func.coalesce(touchpoint.c[name_column(lang)], touchpoint.c.name_en)


def inspection_results(
    engine: Engine,
    filters: Filters,
    lang: str = "en",
    site_ids: Sequence[int] = (),
    touchpoint_ids: Sequence[int] = (),
    limit: int = 2000,
) -> pd.DataFrame:
    """Inspection rows of the selection, newest first, with site, touchpoint and item (pain point) in ``lang``."""
    i = inspection.c
    stmt = (
        select(
            i.id, i.inspected_on, i.site_id, display_expr(site, lang).label("site_name"), i.item_id,
            checklist_item.c.code.label("item_code"), touchpoint.c.code.label("touchpoint_code"),
            _tp_name(lang).label("touchpoint_name"), checklist_item.c.pain_point, i.score, i.inspector, i.note,
        )
        .join(site, site.c.id == i.site_id)
        .join(checklist_item, checklist_item.c.id == i.item_id)
        .join(touchpoint, touchpoint.c.id == checklist_item.c.touchpoint_id)
        .where(inspection_where(filters))
        .order_by(i.inspected_on.desc(), i.id.desc())
        .limit(limit)
    )
    if site_ids:
        stmt = stmt.where(i.site_id.in_(tuple(site_ids)))
    if touchpoint_ids:
        stmt = stmt.where(checklist_item.c.touchpoint_id.in_(tuple(touchpoint_ids)))
    with engine.connect() as conn:
        rows = [dict(r) for r in conn.execute(stmt).mappings()]
    for r in rows:
        r["pain_point"] = localized(r["pain_point"], lang)
    return pd.DataFrame(rows, columns=[c.name for c in stmt.selected_columns])


def latest_scores(filters: Filters):  # noqa: ANN201 - a SQL subquery
    """Subquery of the latest score of every (site, item) in the selection: site_id, item_id, day, score."""
    i = inspection.c
    last = (
        select(i.site_id, i.item_id, func.max(i.inspected_on).label("day"))
        .where(inspection_where(filters))
        .group_by(i.site_id, i.item_id)
        .subquery("last")
    )
    return (
        select(i.site_id, i.item_id, last.c.day, func.avg(i.score).label("score"))
        .join(last, and_(last.c.site_id == i.site_id, last.c.item_id == i.item_id, last.c.day == i.inspected_on))
        .group_by(i.site_id, i.item_id, last.c.day)
        .subquery("latest")
    )


def heatmap(engine: Engine, filters: Filters, lang: str = "en") -> pd.DataFrame:
    """Sites x touchpoints: the mean of each item's latest score, the date of the latest visit, items scored."""
    latest = latest_scores(filters)
    site_name = display_expr(site, lang)
    stmt = (
        select(
            latest.c.site_id, site_name.label("site_name"), touchpoint.c.id.label("touchpoint_id"),
            touchpoint.c.code.label("touchpoint_code"), _tp_name(lang).label("touchpoint_name"),
            func.avg(latest.c.score).label("score"), func.max(latest.c.day).label("last_inspected"),
            func.count().label("items"),
        )
        .join(site, site.c.id == latest.c.site_id)
        .join(checklist_item, checklist_item.c.id == latest.c.item_id)
        .join(touchpoint, touchpoint.c.id == checklist_item.c.touchpoint_id)
        .join(stage, stage.c.id == touchpoint.c.stage_id)
        .group_by(latest.c.site_id, site_name, touchpoint.c.id, touchpoint.c.code, _tp_name(lang),
                  stage.c.sort_order, touchpoint.c.sort_order)
        .order_by(site_name, stage.c.sort_order, touchpoint.c.sort_order)
    )
    with engine.connect() as conn:
        return pd.DataFrame(conn.execute(stmt).all(), columns=[c.name for c in stmt.selected_columns])


def score_trend(engine: Engine, filters: Filters, touchpoint_id: int | None = None) -> pd.DataFrame:
    """Mean inspection score and number of scores per month (optionally of one touchpoint's items)."""
    month = month_bucket(inspection.c.inspected_on, engine.dialect.name).label("month")
    stmt = (
        select(month, func.avg(inspection.c.score).label("mean_score"), func.count().label("n"))
        .where(inspection_where(filters))
        .group_by(month)
        .order_by(month)
    )
    if touchpoint_id is not None:
        stmt = stmt.join(checklist_item, checklist_item.c.id == inspection.c.item_id).where(
            checklist_item.c.touchpoint_id == touchpoint_id
        )
    with engine.connect() as conn:
        return pd.DataFrame(conn.execute(stmt).all(), columns=["month", "mean_score", "n"])


def site_options(engine: Engine, filters: Filters, lang: str = "en") -> pd.DataFrame:
    """Sites the user may inspect (id, code, name in ``lang`` with fallbacks), for the inspection form."""
    name = display_expr(site, lang)
    stmt = select(site.c.id, site.c.code, name).where(and_(true(), *site_filter(filters, site.c.id)))
    with engine.connect() as conn:
        rows = conn.execute(stmt.order_by(name, site.c.code)).all()
    labels = distinct_labels([(int(i), str(n), str(c)) for i, c, n in rows])
    return pd.DataFrame([(i, c, labels[int(i)]) for i, c, _ in rows], columns=["id", "code", "name"])
