"""Reference data an upload points at: regions, sites, teams, people, touchpoints and checklist items.

Files name them by code or by name in any language (compared by :func:`cxdash.unit_names.norm_key`: case,
full-width forms and extra spaces do not matter). A team is named at the row's site, by a code or name only one
team has, or as ``SITE/TEAM``; a name several units share is ambiguous and rejected with the candidates. The
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

from cxdash.imports.mapping_types import CatalogEntry, norm
from cxdash.schema import checklist_item, person, region, site, stage, team, touchpoint
from cxdash.unit_names import Candidate, Unit, names_from_text, near_units, norm_key, unit_label


def inserted_id(result: Any) -> int:
    """The primary key of a single-row insert."""
    pk = result.inserted_primary_key
    assert pk is not None
    return int(pk[0])


def key(text: object) -> str:
    """Lookup key of a code or name: NFKC (full-width = half-width), case-folded, spaces trimmed and collapsed."""
    return norm_key(text)


@dataclass
class Refs:
    """Lookups from a code or name (see :func:`key`) to ids.

    ``sites``, ``people`` and ``teams_any`` hold only keys that mean one unit; a key shared by several (two sites
    with the same Chinese name, team "T1" at forty sites) is in ``*_candidates`` instead, so a row naming it is
    rejected with the candidates listed rather than given an arbitrary one.
    """

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
    site_candidates: dict[str, list[int]] = field(default_factory=dict)
    team_candidates: dict[str, list[int]] = field(default_factory=dict)
    people_candidates: dict[str, list[int]] = field(default_factory=dict)
    site_units: dict[int, Unit] = field(default_factory=dict)
    team_units: dict[int, Unit] = field(default_factory=dict)
    region_units: dict[int, Unit] = field(default_factory=dict)

    def touchpoint_id(self, text: object) -> int | None:
        """Touchpoint id by code or by name in any language."""
        code = str(text).strip().upper()
        if code in self.touchpoints:
            return self.touchpoints[code]
        by_name = self.touchpoint_names.get(norm(str(text)))
        return self.touchpoints.get(by_name) if by_name else None

    def team_id(self, text: object, site_id: int | None = None) -> int | None:
        """The team a reference means: by code or name at ``site_id`` when the row has a site, else a unique code
        or name, else ``SITE/TEAM`` (site code or name, a slash, team code or name); None when unknown or
        ambiguous."""
        k = key(text)
        if site_id is not None:
            return self.teams.get((int(site_id), k)) or self._compound(k, int(site_id))
        found = self.teams_any.get(k)
        return found if found is not None else self._compound(k, None)

    def _compound(self, k: str, site_id: int | None) -> int | None:
        for pos in [i for i, c in enumerate(k) if c == "/"]:
            sid = self.sites.get(k[:pos].strip())
            if sid is not None and (site_id is None or sid == site_id):
                tid = self.teams.get((sid, k[pos + 1:].strip()))
                if tid is not None:
                    return tid
        return None

    def team_ref(self, tid: int) -> str:
        """How a file names team ``tid`` without ambiguity: ``SITE/TEAM`` codes."""
        site_unit = self.site_units.get(self.team_site.get(tid, -1))
        team_unit = self.team_units.get(tid)
        return f"{site_unit.code if site_unit else '?'}/{team_unit.code if team_unit else tid}"

    def site_candidate_text(self, text: object, limit: int = 8) -> str:
        """The sites an ambiguous site reference may mean, for the row error."""
        ids = self.site_candidates.get(key(text), [])
        return _listed([self.site_units[i].label for i in ids if i in self.site_units], limit)

    def person_candidate_text(self, text: object, limit: int = 8) -> str:
        """The codes of the people an ambiguous person reference may mean, for the row error."""
        return _listed(sorted(str(i) for i in self.people_candidates.get(key(text), [])), limit)

    def team_candidate_text(self, text: object, limit: int = 8) -> str:
        """The teams (as ``SITE/TEAM``) an ambiguous team reference may mean, for the row error."""
        ids = self.team_candidates.get(key(text), [])
        return _listed([self.team_ref(i) for i in ids], limit)


@dataclass(frozen=True)
class NearMatch:
    """A name a file would create that nearly matches existing units: created only when the user confirms it
    (its :attr:`key` in ``ImportOptions.confirmed_new``)."""

    kind: str  # region | site | team
    name: str  # as written in the file
    site: str | None  # the row's site as written (teams only)
    candidates: tuple[Candidate, ...]

    @property
    def key(self) -> str:
        """What confirms this creation (see :func:`near_key`)."""
        return near_key(self.kind, self.name, self.site)

    def candidate_text(self) -> str:
        """The candidates as one line for the row error: ``ref (name)``."""
        return ", ".join(c.label if c.label.startswith(c.ref) else f"{c.ref} ({c.label})" for c in self.candidates)


def near_key(kind: str, name: object, site_name: object = None) -> str:
    """``kind:name`` (``team:site/name``) in :func:`key` form: how a confirmed near-duplicate is named."""
    where = f"{key(site_name)}/" if isinstance(site_name, str) else ""
    return f"{kind}:{where}{key(name)}"


def confirm_key(text: str) -> str:
    """A confirmation as typed (``site:Beijing Chaoyang``, ``team:SH01 / Express Desk 2``) in :func:`near_key` form."""
    kind, _, rest = text.partition(":")
    where, slash, name = rest.partition("/") if kind.strip().lower() == "team" else ("", "", rest)
    return near_key(kind.strip().lower(), name, where if slash else None)


def near_match(refs: Refs, kind: str, name: str, site_name: str | None = None) -> NearMatch | None:
    """The existing units a new ``name`` nearly matches (teams: at the row's site), or None."""
    if kind == "team":
        sid = refs.sites.get(key(site_name)) if isinstance(site_name, str) else None
        if sid is None:
            return None  # a new site's first teams have nothing to duplicate
        units = [u for tid, u in refs.team_units.items() if refs.team_site.get(tid) == sid]
        hits = [Candidate(u.id, refs.team_ref(u.id), u.names[0] if u.names else u.code, reason)
                for u, reason in near_units(name, units)]
    else:
        pool = refs.site_units if kind == "site" else refs.region_units
        hits = [Candidate(u.id, u.code, u.label, reason) for u, reason in near_units(name, pool.values())]
    return NearMatch(kind, name, site_name if kind == "team" else None, tuple(hits)) if hits else None


def near_matches(found: dict[str, NearMatch | None], confirmed: Iterable[str] = ()) -> list[NearMatch]:
    """The near-duplicates found, sorted, with those already confirmed left out."""
    done = set(confirmed)
    return sorted((m for m in found.values() if m is not None and m.key not in done), key=lambda m: m.key)


def _listed(items: list[str], limit: int) -> str:
    shown = ", ".join(sorted(items)[:limit])
    return shown + (f", … (+{len(items) - limit})" if len(items) > limit else "")


def _add(lookup: dict, keys: Iterable[object], value: int) -> None:
    for k in keys:
        if k is not None and str(k).strip():
            lookup.setdefault(key(k), value)


def _add_unique(lookup: dict[str, int], candidates: dict[str, list[int]], codes: dict[str, int],
                names: Iterable[object], value: int) -> None:
    """Add a unit's names; a name two units share moves to ``candidates`` (codes, unique, always win)."""
    for n in names:
        if n is None or not str(n).strip():
            continue
        k = key(n)
        if k in codes:
            continue
        if k in candidates:
            if value not in candidates[k]:
                candidates[k].append(value)
        elif k in lookup and lookup[k] != value:
            candidates[k] = [lookup.pop(k), value]
        else:
            lookup[k] = value


_NAMES = ("name_en", "name_zh_hans", "name_zh_hant", "name")


def load_refs(conn: Connection) -> Refs:
    """Read every lookup from the database."""
    refs = Refs()
    for rid, code, *names in conn.execute(
        select(region.c.id, region.c.code, region.c.name_en, region.c.name_zh_hans, region.c.name_zh_hant)
    ):
        _add(refs.regions, [code, *names], rid)
        refs.region_units[rid] = Unit(rid, code, tuple(n for n in names if n), unit_label(code, names))
    site_rows = conn.execute(select(site.c.id, site.c.code, site.c.region_id, *(site.c[n] for n in _NAMES))).all()
    site_codes = {key(code): sid for sid, code, *_ in site_rows}
    for sid, code, rid, *names in site_rows:
        refs.sites[key(code)] = sid
        refs.site_region[sid] = rid
        refs.site_units[sid] = Unit(sid, code, tuple(n for n in names if n), unit_label(code, names))
    for sid, _code, _rid, *names in site_rows:
        _add_unique(refs.sites, refs.site_candidates, site_codes, names, sid)
    team_rows = conn.execute(select(team.c.id, team.c.site_id, team.c.code, *(team.c[n] for n in _NAMES))).all()
    for tid, sid, code, *names in team_rows:
        for k in {key(x) for x in (code, *names) if x is not None and str(x).strip()}:
            refs.teams.setdefault((sid, k), tid)
            if k in refs.team_candidates:
                refs.team_candidates[k].append(tid)
            elif k in refs.teams_any and refs.teams_any[k] != tid:
                refs.team_candidates[k] = [t for t in (refs.teams_any[k], tid) if t is not None]
                refs.teams_any[k] = None
            else:
                refs.teams_any[k] = tid
        refs.team_site[tid] = sid
        refs.team_units[tid] = Unit(tid, code, tuple(n for n in names if n), unit_label(code, names))
    people_rows = conn.execute(select(person.c.id, person.c.code, *(person.c[n] for n in _NAMES))).all()
    people_codes = {key(code): pid for pid, code, *_ in people_rows}
    refs.people.update(people_codes)
    for pid, _code, *names in people_rows:
        _add_unique(refs.people, refs.people_candidates, people_codes, names, pid)
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
    """Map codes or names to ids (NA where unknown, ambiguous or empty); each distinct text is keyed once."""
    distinct = values.dropna().unique()
    ids = {v: table.get(key(v)) for v in distinct}
    return values.map(ids).astype("Int64")


def ensure_regions(conn: Connection, refs: Refs, names: Iterable[str]) -> None:
    """Create the regions named (code = name as written) that do not exist yet."""
    for name in sorted({n for n in names if key(n) not in refs.regions}):
        if key(name) in refs.regions:  # the same region written twice, differently (full-width, case)
            continue
        langs = names_from_text(name)
        rid = inserted_id(conn.execute(region.insert().values(
            code=name[:64], name_en=(langs["name_en"] or name)[:200], name_zh_hans=langs["name_zh_hans"],
            name_zh_hant=langs["name_zh_hant"])))
        refs.regions[key(name)] = rid


def ensure_sites(conn: Connection, refs: Refs, pairs: Iterable[tuple[str, str | None]]) -> list[int]:
    """Create the sites named (with their region, when given) that do not exist yet; return new ids.

    The name as written becomes the code and the name in its language (a combined "English 中文" name in both).
    Ambiguous names are never created (validation rejected their rows).
    """
    created = []
    for name, region_name in sorted({p for p in pairs if key(p[0]) not in refs.sites}, key=lambda p: p[0]):
        if key(name) in refs.sites or key(name) in refs.site_candidates:
            continue
        rid = refs.regions.get(key(region_name)) if region_name else None
        sid = inserted_id(conn.execute(site.insert().values(
            code=name[:64], name=name[:200], region_id=rid, **names_from_text(name))))
        refs.sites[key(name)] = sid
        refs.site_region[sid] = rid
        refs.site_units[sid] = Unit(sid, name[:64], (name[:200],), name[:64])
        created.append(sid)
    return created


def ensure_teams(conn: Connection, refs: Refs, pairs: Iterable[tuple[int, str]]) -> list[int]:
    """Create the teams (site id, name) that do not exist yet; return new ids."""
    created = []
    for sid, name in sorted(set(pairs)):
        if refs.team_id(name, sid) is not None:
            continue
        tid = inserted_id(conn.execute(team.insert().values(
            site_id=sid, code=name[:64], name=name[:200], **names_from_text(name))))
        refs.teams[(sid, key(name))] = tid
        refs.team_site[tid] = sid
        refs.team_units[tid] = Unit(tid, name[:64], (name[:200],), name[:64])
        created.append(tid)
    return created


def ensure_people(conn: Connection, refs: Refs, pairs: Iterable[tuple[str, int | None]], role: str) -> list[int]:
    """Create the people (name, team id) that do not exist yet; return new ids."""
    created = []
    for name, tid in sorted(set(pairs), key=lambda p: p[0]):
        if key(name) in refs.people or key(name) in refs.people_candidates:
            continue
        pid = inserted_id(conn.execute(
            person.insert().values(code=name[:64], name=name[:200], team_id=tid, role=role, **names_from_text(name))
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
