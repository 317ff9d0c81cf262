"""The one ``MetaData`` of every cxdash table, its naming convention and shared column kinds."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, ForeignKey, Integer, MetaData, String

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


def imported_row_columns() -> list[Column]:
    """The columns survey responses and tickets start with: the id, where the row came from (source, external id
    and import batch), the customer and the organisation (region, site, team)."""
    return [
        Column("id", BigId, primary_key=True),
        Column("source", String(100), nullable=False, default="cxdash"),
        Column("external_id", String(128), nullable=False),
        Column("batch_id", Integer, ForeignKey("import_batch.id"), index=True),
        Column("customer_id", BigId, ForeignKey("customer.id")),
        Column("region_id", Integer, ForeignKey("region.id")),
        Column("site_id", Integer, ForeignKey("site.id")),
        Column("team_id", Integer, ForeignKey("team.id")),
    ]
