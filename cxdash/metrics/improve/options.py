"""Choices for the closed-loop forms: touchpoints in journey order, the teams of a site, and service problems."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Engine, and_, func, select, true

from cxdash.domain.service_sql import count_if, res_breached, utcnow
from cxdash.filters import Filters
from cxdash.i18n import name_column
from cxdash.improve.inspection_results import site_filter, site_options
from cxdash.metrics.service.sql import where_for
from cxdash.schema import stage, team, ticket, touchpoint
from cxdash.unit_names import display_expr

__all__ = ["touchpoint_options", "team_options", "site_options", "service_problems"]

SERVICE_COLUMNS = ["touchpoint_id", "touchpoint_code", "touchpoint_name", "tickets", "reopened", "repeats", "breached"]


def touchpoint_options(engine: Engine, lang: str = "en") -> pd.DataFrame:
    """Touchpoints (id, code, name in ``lang``) in stage and touchpoint order."""
    name = func.coalesce(touchpoint.c[name_column(lang)], touchpoint.c.name_en).label("name")
    stmt = (
        select(touchpoint.c.id, touchpoint.c.code, name)
        .join(stage, stage.c.id == touchpoint.c.stage_id)
        .order_by(stage.c.sort_order, touchpoint.c.sort_order)
    )
    with engine.connect() as conn:
        return pd.DataFrame(conn.execute(stmt).all(), columns=["id", "code", "name"])


def team_options(engine: Engine, filters: Filters, site_id: int | None = None, lang: str = "en") -> pd.DataFrame:
    """Teams (id, site_id, name in ``lang`` with fallbacks) the user may see, optionally of one site."""
    name = display_expr(team, lang)
    stmt = select(team.c.id, team.c.site_id, name).where(and_(true(), *site_filter(filters, team.c.site_id)))
    if site_id is not None:
        stmt = stmt.where(team.c.site_id == site_id)
    if filters.scope_teams is not None and not filters.scope_sites:
        stmt = stmt.where(team.c.id.in_(filters.scope_teams))  # a team lead scoped to teams sees only those
    with engine.connect() as conn:
        return pd.DataFrame(conn.execute(stmt.order_by(name, team.c.code)).all(), columns=["id", "site_id", "name"])


def service_problems(engine: Engine, filters: Filters, lang: str = "en") -> pd.DataFrame:
    """Touchpoints ranked by the service problems linked to them: the tickets of the selection that name the
    touchpoint, with how many were reopened, were repeat contacts (same customer and category within 7 days) or
    breached their resolution target. Touchpoints without tickets follow in journey order, so a plan can still
    answer a problem the ticket system does not tag. Columns: :data:`SERVICE_COLUMNS`.
    """
    t = ticket.c
    stmt = (
        select(
            t.touchpoint_id,
            func.count().label("tickets"),
            count_if(t.reopen_count > 0).label("reopened"),
            count_if(t.is_repeat_7d.is_(True)).label("repeats"),
            count_if(res_breached(utcnow())).label("breached"),
        )
        .where(where_for(engine, filters), t.touchpoint_id.is_not(None))
        .group_by(t.touchpoint_id)
    )
    with engine.connect() as conn:
        counts = pd.DataFrame(conn.execute(stmt).all(),
                              columns=["touchpoint_id", "tickets", "reopened", "repeats", "breached"])
    tps = touchpoint_options(engine, lang).rename(
        columns={"id": "touchpoint_id", "code": "touchpoint_code", "name": "touchpoint_name"})
    tps["order"] = range(len(tps))
    out = tps.merge(counts, on="touchpoint_id", how="left")
    out[["tickets", "reopened", "repeats", "breached"]] = (
        out[["tickets", "reopened", "repeats", "breached"]].fillna(0).astype(int))
    out = out.sort_values(["tickets", "breached", "order"], ascending=[False, False, True], kind="stable")
    return out[SERVICE_COLUMNS].reset_index(drop=True)
