"""Editing the names of organisation units (the Organisation names page and the ``org`` CLI).

A unit is named ``kind:CODE``: ``region:NORTH``, ``site:S01``, ``team:S01/T1`` (team codes repeat across sites),
``person:P00012``. Changes are audited and bump the data version, so no page shows a stale name. Sites and
teams can also be created here (:func:`create_unit`), after the user confirmed any near-duplicate.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from sqlalchemy import Engine, Table, literal, select, update
from sqlalchemy.engine import Connection

from cxdash.audit import record_audit
from cxdash.db import bump_data_version
from cxdash.i18n import LANGUAGES
from cxdash.schema import person, region, site, team
from cxdash.unit_names import LANG_COLUMNS, NAME_COLUMNS, Unit, near_units, norm_key, unit_label

TABLES: dict[str, Table] = {"region": region, "site": site, "team": team, "person": person}
MAX_NAME = 200


def find_unit(conn: Connection, ref: str) -> tuple[str, int]:
    """``(kind, id)`` of a ``kind:CODE`` reference (codes compared as :func:`norm_key` does).

    Raises:
        ValueError: a malformed reference or no such unit.
    """
    kind, _, code = ref.partition(":")
    kind = kind.strip().lower()
    if kind not in TABLES or not code.strip():
        raise ValueError(f"name a unit as region:CODE, site:CODE, team:SITE/TEAM or person:CODE, not {ref!r}")
    if kind == "team":
        site_code, slash, team_code = code.rpartition("/")
        if not slash:
            raise ValueError(f"team codes repeat across sites: write team:SITE/TEAM, not {ref!r}")
        rows = conn.execute(select(team.c.id, site.c.code, team.c.code).join(site, site.c.id == team.c.site_id)).all()
        ids = [i for i, s, t in rows if norm_key(s) == norm_key(site_code) and norm_key(t) == norm_key(team_code)]
    else:
        table = TABLES[kind]
        ids = [i for i, c in conn.execute(select(table.c.id, table.c.code)) if norm_key(c) == norm_key(code)]
    if not ids:
        raise ValueError(f"no {kind} {code.strip()!r}")
    return kind, int(ids[0])


def unit_names(conn: Connection, kind: str, unit_id: int) -> dict[str, Any]:
    """The code and names of one unit (``name`` only where the table has the old single name)."""
    table = TABLES[kind]
    cols = [table.c.code, *(table.c[c] for c in NAME_COLUMNS)] + ([table.c.name] if "name" in table.c else [])
    row = conn.execute(select(*cols).where(table.c.id == unit_id)).mappings().one()
    return dict(row)


def _clashes(conn: Connection, kind: str, unit_id: int, name: str) -> list[str]:
    """Codes of other units of the same kind (teams: at the same site) that a file could mean by ``name``."""
    table = TABLES[kind]
    cols = [table.c.id, table.c.code, *(table.c[c] for c in NAME_COLUMNS)]
    if "name" in table.c:
        cols.append(table.c.name)
    stmt = select(*cols).where(table.c.id != unit_id)
    if kind == "team":
        site_id = conn.execute(select(team.c.site_id).where(team.c.id == unit_id)).scalar_one()
        stmt = stmt.where(team.c.site_id == site_id)
    k = norm_key(name)
    return sorted(str(code) for _i, code, *names in conn.execute(stmt)
                  if any(n is not None and norm_key(n) == k for n in (code, *names)))


def set_unit_name(conn: Connection, actor: str | None, ref: str, lang: str, name: str | None) -> dict[str, Any]:
    """Set (or, with an empty ``name``, clear) the name of unit ``ref`` in ``lang``; return its names after.

    Raises:
        ValueError: unknown unit or language, a name longer than 200 characters, clearing a region's English
            name (required), or a name another unit of the same kind already answers to (it would make file
            references ambiguous).
    """
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}; use one of {', '.join(LANGUAGES)}")
    kind, unit_id = find_unit(conn, ref)
    text = " ".join((name or "").split())
    if len(text) > MAX_NAME:
        raise ValueError(f"the name is longer than {MAX_NAME} characters")
    column = LANG_COLUMNS[lang]
    if not text and kind == "region" and column == "name_en":
        raise ValueError("a region's English name is required")
    clashes = _clashes(conn, kind, unit_id, text) if text else []
    if clashes:
        raise ValueError(f"{text!r} already names {kind} {', '.join(clashes)}")
    before = unit_names(conn, kind, unit_id)
    conn.execute(update(TABLES[kind]).where(TABLES[kind].c.id == unit_id).values({column: text or None}))
    record_audit(conn, actor, "org.set_name", kind, unit_id,
                 {"ref": ref, "lang": lang, "before": before.get(column), "after": text or None})
    bump_data_version(conn)
    return unit_names(conn, kind, unit_id)


def unit_name_rows(engine: Engine, kind: str) -> pd.DataFrame:
    """Every unit of ``kind`` with its reference (``kind:CODE``, teams ``team:SITE/TEAM``), code, names in the
    three languages and the old single name (empty for regions), sorted by reference: the names editor's table.

    Raises:
        ValueError: unknown kind.
    """
    if kind not in TABLES:
        raise ValueError(f"unknown kind {kind!r}")
    table = TABLES[kind]
    old = table.c.name if "name" in table.c else literal(None).label("name")
    if kind == "team":
        ref = literal("team:") + site.c.code + "/" + team.c.code
        stmt = select(ref.label("ref"), team.c.code, *(team.c[c] for c in NAME_COLUMNS), old).join(
            site, site.c.id == team.c.site_id)
    else:
        ref = literal(f"{kind}:") + table.c.code
        stmt = select(ref.label("ref"), table.c.code, *(table.c[c] for c in NAME_COLUMNS), old)
    with engine.connect() as conn:
        frame = pd.DataFrame(conn.execute(stmt.order_by("ref")).all(), columns=["ref", "code", *NAME_COLUMNS, "name"])
    return frame


def save_unit_names(engine: Engine, actor: str | None, before: pd.DataFrame, after: pd.DataFrame) -> int:
    """Apply the names changed between two copies of :func:`unit_name_rows` (same rows, same order) in one
    transaction; return how many names changed.

    Raises:
        ValueError: as :func:`set_unit_name` (nothing is saved then), or the rows differ.
    """
    if list(before["ref"]) != list(after["ref"]):
        raise ValueError("the table's rows changed; reload the page")
    changes = []
    for (_, b), (_, a) in zip(before.iterrows(), after.iterrows(), strict=True):
        for lang, column in LANG_COLUMNS.items():
            old, new = _text(b[column]), _text(a[column])
            if old != new:
                changes.append((str(a["ref"]), lang, new))
    if changes:
        with engine.begin() as conn:
            for ref, lang, name in changes:
                set_unit_name(conn, actor, ref, lang, name)
    return len(changes)


def _text(value: object) -> str:
    return "" if value is None or (not isinstance(value, str) and pd.isna(value)) else " ".join(str(value).split())


CREATABLE = ("site", "team")


def _unit_pool(conn: Connection, kind: str, site_id: int | None) -> list[Unit]:
    """The existing sites (or teams of ``site_id``) as :class:`~cxdash.unit_names.Unit` s."""
    table = TABLES[kind]
    cols = [table.c.id, table.c.code, *(table.c[c] for c in NAME_COLUMNS), table.c.name]
    stmt = select(*cols)
    if kind == "team":
        stmt = stmt.where(team.c.site_id == site_id)
    return [Unit(int(i), str(code), tuple(n for n in names if n), unit_label(code, names))
            for i, code, *names in conn.execute(stmt)]


def near_duplicates(engine: Engine, kind: str, names: dict[str, str], site_id: int | None = None) -> list[str]:
    """Existing units (``CODE name``; teams: of the same site) that a new unit's names nearly match (the same
    letters once spaces, punctuation and character forms are ignored, or one name inside the other): what the
    user confirms before a likely duplicate is created."""
    with engine.connect() as conn:
        pool = _unit_pool(conn, kind, site_id)
    found: dict[str, None] = {}
    for name in names.values():
        if _text(name):
            for unit, _reason in near_units(_text(name), pool):
                found.setdefault(unit.label)
    return list(found)


def create_unit(engine: Engine, actor: str | None, kind: str, code: str, names: dict[str, str],
                site_id: int | None = None) -> int:
    """Create a site (or a team of site ``site_id``) with its code and names by language (``LANG_COLUMNS`` keys;
    at least one); audited, bumps the data version; return its id.

    Near-duplicates are the caller's to confirm (:func:`near_duplicates`); an exact clash is refused here.

    Raises:
        ValueError: unknown kind, no code or no name, a code or name longer than allowed, a team without an
            existing site, or a code or name another unit (teams: of the same site) already answers to.
    """
    if kind not in CREATABLE:
        raise ValueError(f"only {' and '.join(CREATABLE)} can be created here, not {kind!r}")
    code = _text(code)
    if not code:
        raise ValueError("a code is required")
    if len(code) > 64:
        raise ValueError("the code is longer than 64 characters")
    given = {LANG_COLUMNS[lang]: _text(n) for lang, n in names.items() if lang in LANG_COLUMNS and _text(n)}
    if not given:
        raise ValueError("give the unit a name in at least one language")
    if any(len(n) > MAX_NAME for n in given.values()):
        raise ValueError(f"a name is longer than {MAX_NAME} characters")
    table = TABLES[kind]
    with engine.begin() as conn:
        if kind == "team" and (site_id is None or conn.execute(
                select(site.c.id).where(site.c.id == site_id)).first() is None):
            raise ValueError("a team belongs to an existing site")
        for unit in _unit_pool(conn, kind, site_id):
            keys = {norm_key(unit.code), *(norm_key(n) for n in unit.names)}
            clash = [v for v in (code, *given.values()) if norm_key(v) in keys]
            if clash:
                raise ValueError(f"{clash[0]!r} already names {kind} {unit.label}")
        first = next(given[c] for c in NAME_COLUMNS if c in given)
        values: dict[str, Any] = {"code": code, "name": first, **given}
        if kind == "team":
            values["site_id"] = site_id
        result = conn.execute(table.insert().values(values))
        pk = result.inserted_primary_key
        assert pk is not None
        unit_id = int(pk[0])
        record_audit(conn, actor, "org.create", kind, unit_id, {"code": code, **given, "site_id": site_id})
        bump_data_version(conn)
    return unit_id
