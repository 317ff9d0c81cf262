"""Users from a CSV file (the Users page's bulk upload): each row saved through :func:`cxdash.auth.save_user`.

It lives with the imports because it resolves sites and teams by the uploads' own reference rules
(:mod:`cxdash.imports.refs`): a code or any name, ``SITE/TEAM``, and an ambiguous reference refused with its
candidates.
"""

from __future__ import annotations

import csv
import io

from sqlalchemy.engine import Connection

from cxdash.auth import save_user
from cxdash.imports.refs import Refs, load_refs
from cxdash.unit_names import norm_key


def import_users_csv(conn: Connection, actor: str, content: bytes) -> int:
    """Bulk-create or update users from CSV with columns ``email, role[, name][, sites][, teams]``.

    ``sites`` and ``teams`` hold references separated by ``;``: a site by code or any of its names; a team as
    ``SITE/TEAM`` (site code or name, team code or name) or by a code or name only one team has. A reference
    that several units share (team ``T1`` at forty sites) is refused with the candidates listed, never resolved
    to an arbitrary one. The whole file is refused on the first bad row.

    Raises:
        ValueError: a missing column, an unknown or ambiguous site or team, or an invalid row (with its row number).
    """
    text = content.decode("utf-8-sig")
    reader = csv.DictReader(io.StringIO(text))
    fields = {f.strip().lower() for f in reader.fieldnames or []}
    if not {"email", "role"} <= fields:
        raise ValueError("the CSV needs the columns email and role")
    refs = load_refs(conn)
    count = 0
    for n, raw in enumerate(reader, start=2):
        row = {k.strip().lower(): (v or "").strip() for k, v in raw.items() if k}
        try:
            sites = _references(row.get("sites", ""), refs, "site")
            teams = _references(row.get("teams", ""), refs, "team")
            save_user(conn, actor, row["email"], row["role"], row.get("name") or None, sites, teams)
        except ValueError as exc:
            raise ValueError(f"row {n}: {exc}") from exc
        count += 1
    return count


def _references(value: str, refs: Refs, what: str) -> list[int]:
    """Ids of the ``;``-separated site or team references of one cell (see :func:`import_users_csv`)."""
    out = []
    for ref in filter(None, (c.strip() for c in value.split(";"))):
        found = refs.sites.get(norm_key(ref)) if what == "site" else refs.team_id(ref)
        if found is None:
            listed = refs.site_candidate_text(ref) if what == "site" else refs.team_candidate_text(ref)
            if listed:
                hint = "" if what == "site" else "; write SITE/TEAM"
                raise ValueError(f"ambiguous {what} {ref!r}: it may mean {listed}{hint}")
            raise ValueError(f"unknown {what} {ref!r}")
        out.append(int(found))
    return out
