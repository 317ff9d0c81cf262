"""What the global filters can choose from: regions, sites, teams, channels, segments and the data's date span.

Small, Streamlit-free queries; the sidebar calls them through :func:`cxdash.ui.cache.cached`, so each runs once
per database and data version. Options are ``(id, name)`` pairs (codes for channels and segments) so that the
URL and the CLI carry language-independent ids while the widgets show names in the chosen language.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, Select, select, union

from cxdash.imports.timezones import deployment_zone
from cxdash.schema import region, site, survey_response, team, ticket
from cxdash.sqlfuncs import min_max
from cxdash.unit_names import display_expr, distinct_labels


def _labelled(engine: Engine, stmt: Select) -> list[tuple[int, str]]:
    """``(id, label)`` in the statement's order from ``(id, label, code)`` rows, labels made distinct."""
    with engine.connect() as conn:
        rows = [(int(i), str(n), str(c)) for i, n, c in conn.execute(stmt)]
    labels = distinct_labels(rows)
    return [(i, labels[i]) for i, _, _ in rows]


def region_options(engine: Engine, lang: str = "en") -> list[tuple[int, str]]:
    """Regions as ``(id, name in lang)`` sorted by code; another language's name where the translation is missing."""
    return _labelled(engine, select(region.c.id, display_expr(region, lang), region.c.code).order_by(region.c.code))


def site_options(engine: Engine, region_ids: Sequence[int] = (), lang: str = "en") -> list[tuple[int, str]]:
    """Sites as ``(id, name in lang)`` sorted by code, only those of ``region_ids`` when any are given."""
    stmt = select(site.c.id, display_expr(site, lang), site.c.code).order_by(site.c.code)
    if region_ids:
        stmt = stmt.where(site.c.region_id.in_(tuple(region_ids)))
    return _labelled(engine, stmt)


def team_options(engine: Engine, site_ids: Sequence[int] = (), region_ids: Sequence[int] = (),
                 lang: str = "en") -> list[tuple[int, str]]:
    """Teams as ``(id, "site / team")`` in ``lang`` (team names repeat across sites), narrowed to the chosen sites,
    else to the sites of the chosen regions."""
    label = display_expr(site, lang) + " / " + display_expr(team, lang)
    stmt = select(team.c.id, label, site.c.code + "/" + team.c.code).select_from(
        team.join(site, site.c.id == team.c.site_id))
    if site_ids:
        stmt = stmt.where(team.c.site_id.in_(tuple(site_ids)))
    elif region_ids:
        stmt = stmt.where(site.c.region_id.in_(tuple(region_ids)))
    return _labelled(engine, stmt.order_by(site.c.code, team.c.code))


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


def _local_day(value: date | datetime | str | None, zone: str) -> date | None:
    """The day in ``zone`` of a stored naive-UTC time (SQLite may hand it back as text)."""
    if value is None:
        return None
    moment = datetime.fromisoformat(str(value)) if isinstance(value, str) else value
    if not isinstance(moment, datetime):
        return moment
    return moment.replace(tzinfo=UTC).astimezone(ZoneInfo(zone)).date()


def data_span(engine: Engine, zone: str | None = None) -> tuple[date | None, date | None]:
    """The first and the latest day holding a survey visit or a ticket (``(None, None)`` on an empty database).

    Visit dates are calendar dates already; tickets' times are stored in UTC and counted on their day in ``zone``
    (default: the deployment's zone, :func:`cxdash.imports.timezones.deployment_zone`), so a ticket created at
    00:30 on 1 January in Shanghai starts the span on 1 January, not on 31 December. Each end is read at one end
    of an index (:func:`cxdash.sqlfuncs.min_max`), so this stays instant at any size.
    """
    with engine.connect() as conn:
        r_min, r_max = min_max(conn, survey_response.c.visit_date)
        t_min, t_max = min_max(conn, ticket.c.created_at)
        local = zone or deployment_zone(conn)[0]
    firsts = [d for d in (_as_date(r_min), _local_day(t_min, local)) if d is not None]
    lasts = [d for d in (_as_date(r_max), _local_day(t_max, local)) if d is not None]
    return (min(firsts) if firsts else None, max(lasts) if lasts else None)
