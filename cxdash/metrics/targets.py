"""KPI targets: the value each KPI card is held against, per scope and validity dates (``kpi_target``).

A target row has a KPI code, a scope (``all``, ``region``, ``site`` or ``team`` with its id) and optional
``valid_from`` / ``valid_to`` dates (inclusive, open when empty). For a selection the most specific scope wins:
the team when the filters pick exactly one team, else the site when they pick exactly one site (or the site of
the one team), else the region when they pick exactly one region (or the region of that site), else ``all``.
A team lead whose scope is exactly one team (or one site) counts as having picked it. The overview looks targets
up on the last day of the selected period. Among rows of the same scope valid on the day, the one that started latest wins.

Targets are edited through :mod:`cxdash.targets` (the Targets page, ``python -m cxdash targets``), which keeps
the periods of one KPI and scope from overlapping; rows written otherwise may overlap and are resolved as above.

KPI codes, their direction and whether a value meets its target: :mod:`cxdash.domain.kpis`.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Engine, and_, or_, select
from sqlalchemy.engine import Connection

from cxdash.filters import Filters
from cxdash.schema import kpi_target, site, team


def _scopes(conn: Connection, filters: Filters) -> list[tuple[str, int | None]]:
    """The scopes that apply to the filters, most specific first, ending with ``("all", None)``."""
    team_id = filters.team_ids[0] if len(filters.team_ids) == 1 else None
    site_id = filters.site_ids[0] if len(filters.site_ids) == 1 else None
    region_id = filters.region_ids[0] if len(filters.region_ids) == 1 else None
    if team_id is None and site_id is None and not filters.team_ids and not filters.site_ids:
        # A team lead sees only their scope: one team (or one site) of scope is as specific as picking it.
        teams, sites = filters.scope_teams or (), filters.scope_sites or ()
        if len(teams) == 1 and not sites:
            team_id = teams[0]
        elif len(sites) == 1 and not teams:
            site_id = sites[0]
    if site_id is None and team_id is not None and not filters.site_ids:
        site_id = conn.execute(select(team.c.site_id).where(team.c.id == team_id)).scalar()
    if region_id is None and site_id is not None and not filters.region_ids:
        region_id = conn.execute(select(site.c.region_id).where(site.c.id == site_id)).scalar()
    out: list[tuple[str, int | None]] = [("team", team_id), ("site", site_id), ("region", region_id)]
    return [s for s in out if s[1] is not None] + [("all", None)]


def targets_for(engine: Engine, filters: Filters, on: date) -> dict[str, float]:
    """Every KPI's target for the filters' scope valid on ``on`` (KPIs without a target are absent)."""
    c = kpi_target.c
    valid = and_(or_(c.valid_from.is_(None), c.valid_from <= on), or_(c.valid_to.is_(None), c.valid_to >= on))
    with engine.connect() as conn:
        scopes = _scopes(conn, filters)
        in_scope = or_(*[
            and_(c.scope_kind == kind, c.scope_id.is_(None) if sid is None else c.scope_id == sid)
            for kind, sid in scopes
        ])
        rows = conn.execute(select(c.kpi, c.scope_kind, c.valid_from, c.value).where(valid, in_scope)).all()
    rank = {kind: i for i, (kind, _) in enumerate(scopes)}
    best: dict[str, tuple[tuple[int, int], float]] = {}
    for kpi, kind, valid_from, value in rows:
        # Most specific scope first; within it the latest start (an open start counts as the earliest).
        key = (rank[kind], -(valid_from or date.min).toordinal())
        if kpi not in best or key < best[kpi][0]:
            best[kpi] = (key, float(value))
    return {kpi: value for kpi, (_, value) in best.items()}


def target_for(engine: Engine, kpi: str, filters: Filters, on: date) -> float | None:
    """The target of one KPI for the filters' scope valid on ``on``, or None when none is set."""
    return targets_for(engine, filters, on).get(kpi)
