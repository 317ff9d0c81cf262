"""What the global filters can choose from: regions, sites, teams, channels, segments and the data's date span.

Small, Streamlit-free queries; the sidebar calls them through :func:`cxdash.ui.cache.cached`, so each runs once
per database and data version. Options are ``(id, name)`` pairs (codes for channels and segments) so that the
URL and the CLI carry language-independent ids while the widgets show names in the chosen language.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import Engine, func, select, union

from cxdash.i18n import name_column
from cxdash.schema import region, site, survey_response, team, ticket
from cxdash.sqlfuncs import min_max


def region_options(engine: Engine, lang: str = "en") -> list[tuple[int, str]]:
    """Regions as ``(id, name in lang)`` sorted by code; English where the translation is missing."""
    name = func.coalesce(region.c[name_column(lang)], region.c.name_en, region.c.code)
    stmt = select(region.c.id, name).order_by(region.c.code)
    with engine.connect() as conn:
        return [(int(i), str(n)) for i, n in conn.execute(stmt)]


def site_options(engine: Engine, region_ids: Sequence[int] = ()) -> list[tuple[int, str]]:
    """Sites as ``(id, name)`` sorted by code, only those of ``region_ids`` when any are given."""
    stmt = select(site.c.id, site.c.name).order_by(site.c.code)
    if region_ids:
        stmt = stmt.where(site.c.region_id.in_(tuple(region_ids)))
    with engine.connect() as conn:
        return [(int(i), str(n)) for i, n in conn.execute(stmt)]


def team_options(engine: Engine, site_ids: Sequence[int] = (), region_ids: Sequence[int] = ()) -> list[tuple[int, str]]:
    """Teams as ``(id, "site / team")`` (team names repeat across sites), narrowed to the chosen sites, else to
    the sites of the chosen regions."""
    label = site.c.name + " / " + team.c.name
    stmt = select(team.c.id, label).select_from(team.join(site, site.c.id == team.c.site_id))
    if site_ids:
        stmt = stmt.where(team.c.site_id.in_(tuple(site_ids)))
    elif region_ids:
        stmt = stmt.where(site.c.region_id.in_(tuple(region_ids)))
    with engine.connect() as conn:
        return [(int(i), str(n)) for i, n in conn.execute(stmt.order_by(site.c.code, team.c.code))]


def _distinct(engine: Engine, column: str) -> list[str]:
    stmt = union(
        select(survey_response.c[column]).where(survey_response.c[column].is_not(None)).distinct(),
        select(ticket.c[column]).where(ticket.c[column].is_not(None)).distinct(),
    )
    with engine.connect() as conn:
        return sorted({str(v) for (v,) in conn.execute(stmt)})


def channel_options(engine: Engine) -> list[str]:
    """Every channel found on survey responses or tickets, sorted."""
    return _distinct(engine, "channel")


def segment_options(engine: Engine) -> list[str]:
    """Every customer segment found on survey responses or tickets, sorted."""
    return _distinct(engine, "segment")


def _as_date(value: date | datetime | str | None) -> date | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])  # SQLite may hand back text for aggregates of dates


def data_span(engine: Engine) -> tuple[date | None, date | None]:
    """The first and the latest day holding a survey visit or a ticket (``(None, None)`` on an empty database).

    Each end is read at one end of an index (:func:`cxdash.sqlfuncs.min_max`), so this stays instant at any size.
    """
    with engine.connect() as conn:
        r_min, r_max = min_max(conn, survey_response.c.visit_date)
        t_min, t_max = min_max(conn, ticket.c.created_at)
    firsts = [d for d in (_as_date(r_min), _as_date(t_min)) if d is not None]
    lasts = [d for d in (_as_date(r_max), _as_date(t_max)) if d is not None]
    return (min(firsts) if firsts else None, max(lasts) if lasts else None)
