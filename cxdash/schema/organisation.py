"""Organisation (regions, sites, teams, people) and the touchpoint catalog (stages, touchpoints)."""

from __future__ import annotations

from sqlalchemy import (
    Column,
    Float,
    ForeignKey,
    Integer,
    String,
    Table,
    UniqueConstraint,
)

from cxdash.schema.base import code_column, id_column, metadata, name_columns

# --- Organisation ------------------------------------------------------------------------------------------


def unit_name_columns() -> list[Column]:
    """Names of a site, team or person in the three UI languages, each optional (cxdash.unit_names); the old
    single ``name`` stays beside them as an alias and the last fallback."""
    return [Column("name_en", String(200)), Column("name_zh_hans", String(200)), Column("name_zh_hant", String(200))]


region = Table(
    "region",
    metadata,
    id_column(),
    code_column(),
    *name_columns(),
)

site = Table(
    "site",
    metadata,
    id_column(),
    code_column(),
    Column("name", String(200), nullable=False),
    *unit_name_columns(),
    Column("region_id", Integer, ForeignKey("region.id"), nullable=True, index=True),
    Column("city", String(100)),
)

team = Table(
    "team",
    metadata,
    id_column(),
    Column("site_id", Integer, ForeignKey("site.id"), nullable=False, index=True),
    Column("code", String(64), nullable=False),
    Column("name", String(200), nullable=False),
    *unit_name_columns(),
    UniqueConstraint("site_id", "code"),
)

person = Table(
    "person",
    metadata,
    id_column(),
    Column("team_id", Integer, ForeignKey("team.id"), nullable=True, index=True),
    code_column(),
    Column("name", String(200), nullable=False),
    *unit_name_columns(),
    Column("role", String(64)),
)

# --- Touchpoint catalog ------------------------------------------------------------------------------------
stage = Table(
    "stage",
    metadata,
    id_column(),
    code_column(),
    Column("sort_order", Integer, nullable=False, default=0),
    *name_columns(),
)

touchpoint = Table(
    "touchpoint",
    metadata,
    id_column(),
    Column("stage_id", Integer, ForeignKey("stage.id"), nullable=False, index=True),
    code_column(),
    Column("sort_order", Integer, nullable=False, default=0),
    *name_columns(),
    Column("stated_importance", Float),
)
