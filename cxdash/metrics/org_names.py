"""Display names of organisation units (and the plain values of channels and segments) for tables and charts."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from cxdash.i18n import name_column
from cxdash.schema import person, region, site, team

_TABLES = {"region": region, "site": site, "team": team, "person": person}


def org_names(conn: Connection, by: str, keys: Sequence[Any], lang: str = "en") -> dict[Any, str]:
    """Map ids of ``by`` ("region", "site", "team", "person") to names; channels and segments map to themselves.

    Sites, teams and people carry one name; regions have names in three languages (English where missing).
    Teams are shown with their site ("Site one / Team two") since team names repeat across sites.
    """
    if by not in _TABLES:
        return {k: str(k) for k in keys}
    ids = [int(k) for k in keys if k is not None]
    if not ids:
        return {}
    out: dict[Any, str] = {}
    for start in range(0, len(ids), 900):  # stay under SQLite's bound-parameter limit
        chunk = ids[start : start + 900]
        if by == "region":
            stmt = select(region.c.id, func.coalesce(region.c[name_column(lang)], region.c.name_en))
        elif by == "team":
            stmt = select(team.c.id, site.c.name + " / " + team.c.name).select_from(
                team.join(site, site.c.id == team.c.site_id)
            )
        else:
            table = _TABLES[by]
            stmt = select(table.c.id, table.c.name)
        out.update(dict(conn.execute(stmt.where(_TABLES[by].c.id.in_(chunk))).all()))
    return out
