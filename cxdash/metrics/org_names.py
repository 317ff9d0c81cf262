"""Display names of organisation units (and of channel and segment codes) for tables and charts."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from cxdash.code_labels import PREFIXES, code_label
from cxdash.schema import person, region, site, team
from cxdash.unit_names import display_expr, distinct_labels

_TABLES = {"region": region, "site": site, "team": team, "person": person}


def org_names(conn: Connection, by: str, keys: Sequence[Any], lang: str = "en") -> dict[Any, str]:
    """Map ids of ``by`` ("region", "site", "team", "person") to names; channels and segments to their display
    names (:func:`cxdash.code_labels.code_label`: a code the catalogs know in ``lang``, else as uploaded).

    Names are in ``lang`` with the fallbacks of :func:`cxdash.unit_names.display_expr`. Teams are shown with
    their site ("Site one / Team two") since team names repeat across sites; two units whose names would read
    alike get their codes added (:func:`cxdash.unit_names.distinct_labels`).
    """
    if by not in _TABLES:  # uploaded codes: a known code's name in ``lang``, else the code as uploaded
        return {k: code_label(by, k, lang) if by in PREFIXES else str(k) for k in keys}
    ids = [int(k) for k in keys if k is not None]
    if not ids:
        return {}
    rows: list[tuple[int, str, str]] = []
    for start in range(0, len(ids), 900):  # stay under SQLite's bound-parameter limit
        chunk = ids[start : start + 900]
        if by == "team":
            stmt = select(team.c.id, display_expr(site, lang) + " / " + display_expr(team, lang),
                          site.c.code + "/" + team.c.code).select_from(team.join(site, site.c.id == team.c.site_id))
        else:
            table = _TABLES[by]
            stmt = select(table.c.id, display_expr(table, lang), table.c.code)
        rows.extend((int(i), str(n), str(c)) for i, n, c in conn.execute(stmt.where(_TABLES[by].c.id.in_(chunk))))
    return dict(distinct_labels(rows))
