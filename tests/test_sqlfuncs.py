"""Dialect-aware SQL helpers give the same answer on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import Engine, func, insert, select

from cxdash.schema import region
from cxdash.sqlfuncs import in_ids


def test_in_ids_binds_any_number_of_ids_as_one_parameter(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(insert(region), [{"id": i, "code": f"R{i}", "name_en": f"R{i}"} for i in range(1, 6)])
        # more ids than SQLite allows placeholders (32,766), most of them absent
        wanted = [2, 4, *range(100, 40_100)]
        n = conn.execute(select(func.count()).select_from(region).where(
            in_ids(region.c.id, wanted, conn.dialect.name))).scalar_one()
        none = conn.execute(select(func.count()).select_from(region).where(
            in_ids(region.c.id, [], conn.dialect.name))).scalar_one()
    assert (n, none) == (2, 0)
