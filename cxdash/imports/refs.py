"""Reference data an upload points at: regions, sites, teams, people, touchpoints and checklist items.

Files name them by code or by name (in any case; touchpoints and regions also by their Chinese names). The
lookups are small tables read once per upload; :func:`ensure_*` create the missing ones inside the upload's
transaction when the user agreed to.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from cxdash.imports.mapping import CatalogEntry, norm
from cxdash.schema import checklist_item, person, region, site, stage, team, touchpoint


def inserted_id(result: Any) -> int:
    """The primary key of a single-row insert."""
    pk = result.inserted_primary_key
    assert pk is not None
    return int(pk[0])


def key(text: object) -> str:
    """Lookup key of a code or name: trimmed and case-folded."""
    return str(text).strip().casefold()


@dataclass
class Refs:
    """Lookups from a code or name (see :func:`key`) to ids."""

    regions: dict[str, int] = field(default_factory=dict)
    sites: dict[str, int] = field(default_factory=dict)
    site_region: dict[int, int | None] = field(default_factory=dict)
    teams: dict[tuple[int, str], int] = field(default_factory=dict)
    teams_any: dict[str, int | None] = field(default_factory=dict)  # None when a name is used by two sites
    team_site: dict[int, int] = field(default_factory=dict)
    people: dict[str, int] = field(default_factory=dict)
    touchpoints: dict[str, int] = field(default_factory=dict)  # code (upper) -> id
    touchpoint_names: dict[str, str] = field(default_factory=dict)  # normalised name -> code
    catalog: list[CatalogEntry] = field(default_factory=list)
    items: dict[str, int] = field(default_factory=dict)

    def touchpoint_id(self, text: object) -> int | None:
        """Touchpoint id by code or by name in any language."""
        code = str(text).strip().upper()
        if code in self.touchpoints:
            return self.touchpoints[code]
        by_name = self.touchpoint_names.get(norm(str(text)))
        return self.touchpoints.get(by_name) if by_name else None


def _add(lookup: dict, keys: Iterable[object], value: int) -> None:
    for k in keys:
        if k is not None and str(k).strip():
            lookup.setdefault(key(k), value)


def load_refs(conn: Connection) -> Refs:
    """Read every lookup from the database."""
    refs = Refs()
    for rid, code, *names in conn.execute(
        select(region.c.id, region.c.code, region.c.name_en, region.c.name_zh_hans, region.c.name_zh_hant)
    ):
        _add(refs.regions, [code, *names], rid)
    for sid, code, name, rid in conn.execute(select(site.c.id, site.c.code, site.c.name, site.c.region_id)):
        _add(refs.sites, [code, name], sid)
        refs.site_region[sid] = rid
    for tid, sid, code, name in conn.execute(select(team.c.id, team.c.site_id, team.c.code, team.c.name)):
        for k in (code, name):
            refs.teams.setdefault((sid, key(k)), tid)
            refs.teams_any[key(k)] = None if key(k) in refs.teams_any and refs.teams_any[key(k)] != tid else tid
        refs.team_site[tid] = sid
    for pid, code, name in conn.execute(select(person.c.id, person.c.code, person.c.name)):
        _add(refs.people, [code, name], pid)
    rows = conn.execute(
        select(touchpoint.c.id, touchpoint.c.code, touchpoint.c.name_en, touchpoint.c.name_zh_hans,
               touchpoint.c.name_zh_hant)
    ).all()
    for tp_id, code, *names in rows:
        refs.touchpoints[code.upper()] = tp_id
        for n in names:
            if n:
                refs.touchpoint_names.setdefault(norm(n), code.upper())
        refs.catalog.append(CatalogEntry(code.upper(), tuple(n for n in names if n)))
    for iid, code in conn.execute(select(checklist_item.c.id, checklist_item.c.code)):
        refs.items[key(code)] = iid
    return refs


def lookup(values: pd.Series, table: dict[str, int]) -> pd.Series:
    """Map codes or names to ids (NA where unknown or empty)."""
    return values.str.strip().str.casefold().map(table).astype("Int64")


def ensure_regions(conn: Connection, refs: Refs, names: Iterable[str]) -> None:
    """Create the regions named (code = name as written) that do not exist yet."""
    for name in sorted({n for n in names if key(n) not in refs.regions}):
        rid = inserted_id(conn.execute(region.insert().values(code=name[:64], name_en=name[:200])))
        refs.regions[key(name)] = rid


def ensure_sites(conn: Connection, refs: Refs, pairs: Iterable[tuple[str, str | None]]) -> list[int]:
    """Create the sites named (with their region, when given) that do not exist yet; return new ids."""
    created = []
    for name, region_name in sorted({p for p in pairs if key(p[0]) not in refs.sites}, key=lambda p: p[0]):
        if key(name) in refs.sites:
            continue
        rid = refs.regions.get(key(region_name)) if region_name else None
        sid = inserted_id(conn.execute(site.insert().values(code=name[:64], name=name[:200], region_id=rid)))
        refs.sites[key(name)] = sid
        refs.site_region[sid] = rid
        created.append(sid)
    return created


def ensure_teams(conn: Connection, refs: Refs, pairs: Iterable[tuple[int, str]]) -> list[int]:
    """Create the teams (site id, name) that do not exist yet; return new ids."""
    created = []
    for sid, name in sorted(set(pairs)):
        if (sid, key(name)) in refs.teams:
            continue
        tid = inserted_id(conn.execute(team.insert().values(site_id=sid, code=name[:64], name=name[:200])))
        refs.teams[(sid, key(name))] = tid
        refs.team_site[tid] = sid
        created.append(tid)
    return created


def ensure_people(conn: Connection, refs: Refs, pairs: Iterable[tuple[str, int | None]], role: str) -> list[int]:
    """Create the people (name, team id) that do not exist yet; return new ids."""
    created = []
    for name, tid in sorted(set(pairs), key=lambda p: p[0]):
        if key(name) in refs.people:
            continue
        pid = inserted_id(conn.execute(
            person.insert().values(code=name[:64], name=name[:200], team_id=tid, role=role)
        ))
        refs.people[key(name)] = pid
        created.append(pid)
    return created


def next_sort_order(conn: Connection, stage_id: int) -> int:
    """The sort order after the last touchpoint of a stage."""
    return int(conn.execute(
        select(func.coalesce(func.max(touchpoint.c.sort_order), 0)).where(touchpoint.c.stage_id == stage_id)
    ).scalar_one()) + 1


def stage_id(conn: Connection, code_or_name: str) -> int | None:
    """A stage by code or by name in any language."""
    k = key(code_or_name)
    for sid, *texts in conn.execute(
        select(stage.c.id, stage.c.code, stage.c.name_en, stage.c.name_zh_hans, stage.c.name_zh_hant)
    ):
        if any(t and key(t) == k for t in texts):
            return int(sid)
    return None
