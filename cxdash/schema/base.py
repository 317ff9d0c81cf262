"""The one ``MetaData`` of every cxdash table, its naming convention and shared column kinds."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, DateTime, ForeignKey, Integer, MetaData, String

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


def id_column() -> Column:
    """The integer primary key ``id`` of a small table (catalog, organisation, users, plans)."""
    return Column("id", Integer, primary_key=True)


def code_column() -> Column:
    """A table's unique business code (``code``), as files and URLs name its rows."""
    return Column("code", String(64), nullable=False, unique=True)


def created_columns() -> list[Column]:
    """Who created a row (free text, as signed in) and when."""
    return [Column("created_by", String(200)), Column("created_at", DateTime, nullable=False)]


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
