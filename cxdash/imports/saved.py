"""Saved mappings: a mapping stored under a name, reused on the next upload of the same source and by the CLI."""

from __future__ import annotations

from sqlalchemy import Engine, select
from sqlalchemy.engine import Connection

from cxdash.db import upsert
from cxdash.imports.errors import UploadError
from cxdash.imports.loading import now
from cxdash.imports.mapping_types import Mapping
from cxdash.schema import saved_mapping


def save_mapping(engine: Engine, name: str, mapping: Mapping, actor: str | None = None) -> None:
    """Store ``mapping`` under ``name`` (replacing a mapping of the same kind and name).

    Raises:
        ValueError: an empty name.
    """
    name = name.strip()
    if not name:
        raise ValueError("a saved mapping needs a name")
    with engine.begin() as conn:
        insert = upsert(conn)
        stmt = insert(saved_mapping).values(
            name=name[:200], kind=mapping.kind, mapping=mapping.to_dict(), created_by=actor, created_at=now()
        )
        conn.execute(stmt.on_conflict_do_update(
            index_elements=["kind", "name"],
            set_={"mapping": stmt.excluded.mapping, "created_by": stmt.excluded.created_by,
                  "created_at": stmt.excluded.created_at},
        ))


def get_mapping(bind: Engine | Connection, kind: str, name: str) -> Mapping:
    """The saved mapping of ``kind`` called ``name``.

    Raises:
        UploadError: no such mapping.
    """
    stmt = select(saved_mapping.c.mapping).where(saved_mapping.c.kind == kind, saved_mapping.c.name == name.strip())
    if isinstance(bind, Engine):
        with bind.connect() as conn:
            data = conn.execute(stmt).scalar()
    else:
        data = bind.execute(stmt).scalar()
    if data is None:
        raise UploadError("imports.error.no_mapping", name=name, kind=kind)
    return Mapping.from_dict(data)


def list_mappings(engine: Engine, kind: str) -> list[str]:
    """Names of the saved mappings of ``kind``, alphabetically."""
    with engine.connect() as conn:
        return list(conn.execute(
            select(saved_mapping.c.name).where(saved_mapping.c.kind == kind).order_by(saved_mapping.c.name)
        ).scalars())


def delete_mapping(engine: Engine, kind: str, name: str) -> bool:
    """Delete a saved mapping; True when one was deleted."""
    with engine.begin() as conn:
        result = conn.execute(
            saved_mapping.delete().where(saved_mapping.c.kind == kind, saved_mapping.c.name == name)
        )
    return bool(result.rowcount)
