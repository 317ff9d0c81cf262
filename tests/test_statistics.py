"""Planner statistics after bulk loads (#9): PostgreSQL gets ANALYZE (and VACUUM from an engine); SQLite nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, text

from cxdash.db import refresh_statistics


def _analyzed(engine: Engine, table: str) -> bool:
    """pg_class.reltuples is -1 until a table was first analyzed or vacuumed (PostgreSQL 14+), written at once."""
    with engine.connect() as conn:
        return conn.execute(text("SELECT reltuples FROM pg_class WHERE relname = :t"), {"t": table}).scalar_one() >= 0


def test_refresh_statistics(engine: Engine) -> None:
    refresh_statistics(engine, vacuum=True)
    with engine.begin() as conn:
        refresh_statistics(conn, ["survey_response", "ticket"])
        if engine.dialect.name == "postgresql":
            with pytest.raises(ValueError):
                refresh_statistics(conn, vacuum=True)
    if engine.dialect.name == "postgresql":
        assert _analyzed(engine, "survey_response") and _analyzed(engine, "touchpoint_score")


def test_each_kind_of_load_names_tables_that_exist() -> None:
    from cxdash.imports.kinds import ALL
    from cxdash.schema import metadata

    for kind in ALL:
        assert kind.written_tables and set(kind.written_tables) <= set(metadata.tables), kind.name
