"""The one ``MetaData`` of every cxdash table, its naming convention and shared column kinds."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Integer, MetaData, String

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
metadata = MetaData(naming_convention=NAMING)

# SQLite wants INTEGER PRIMARY KEY for rowid aliasing; PostgreSQL wants BIGINT for tables that reach millions.
BigId = BigInteger().with_variant(Integer(), "sqlite")


def name_columns() -> list[Column]:
    """Name columns in the three UI languages (English required, Chinese optional)."""
    return [
        Column("name_en", String(200), nullable=False),
        Column("name_zh_hans", String(200)),
        Column("name_zh_hant", String(200)),
    ]
