"""Roles, permissions and row-level scope (Streamlit-free).

Roles: ``admin`` (everything), ``executive`` (all pages and data, read-only), ``cx_lead`` (all data, uploads,
import history, targets, SLA policies, action plans) and ``team_lead`` (read and act on plans only within the
sites or teams of their scope). Roles and scopes live in ``app_user`` / ``user_scope``; the first admins come
from configuration (``CXDASH_ADMIN_EMAILS``, comma-separated). The scope is applied to :class:`Filters` here, in
one place, so every query of every page, download and report run for a team lead is limited to it.
"""

from __future__ import annotations

import csv
import io
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from sqlalchemy import Engine, delete, func, select, update
from sqlalchemy.engine import Connection

from cxdash.audit import now_utc, record_audit
from cxdash.db import bump_data_version, inserted_id
from cxdash.filters import Filters
from cxdash.schema import app_user, site, team, user_scope
from cxdash.unit_names import norm_key

if TYPE_CHECKING:
    from cxdash.imports.refs import Refs

ROLES = ("admin", "executive", "cx_lead", "team_lead")
# What identity providers send: no spaces, quotes, brackets or angle brackets, a dotted domain (Unicode allowed).
EMAIL = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)+")
LOCAL_USER = "local"

# What each role may do beyond reading the pages it is shown.
ACTIONS: dict[str, frozenset[str]] = {
    "admin": frozenset(
        {"upload", "delete_batch", "edit_catalog", "edit_targets", "edit_policies", "edit_plans",
         "edit_checklist", "record_inspection", "manage_users", "view_audit", "edit_settings"}
    ),
    "executive": frozenset(),
    "cx_lead": frozenset(
        {"upload", "delete_batch", "edit_catalog", "edit_targets", "edit_policies", "edit_plans",
         "edit_checklist", "record_inspection", "edit_settings"}
    ),
    "team_lead": frozenset({"edit_plans", "record_inspection"}),
}


class AuthError(PermissionError):
    """The user may not do this (the message says why, in English; pages show a translated one)."""


@dataclass(frozen=True)
class User:
    """A signed-in (or local) user with their role and scope; role None means "no role yet"."""

    email: str
    name: str
    role: str | None
    scope_sites: tuple[int, ...] = ()
    scope_teams: tuple[int, ...] = ()

    @property
    def scoped(self) -> bool:
        """True when the user's data is limited to a scope (team leads)."""
        return self.role == "team_lead"


def local_user() -> User:
    """The single user of local mode: an admin, on a server bound to localhost."""
    return User(email=LOCAL_USER, name="Local admin", role="admin")


def can(user: User, action: str) -> bool:
    """True when ``user``'s role allows ``action``."""
    return user.role is not None and action in ACTIONS.get(user.role, frozenset())


def require(user: User, action: str) -> None:
    """Raise :class:`AuthError` unless ``user`` may do ``action``."""
    if not can(user, action):
        raise AuthError(f"role {user.role!r} may not {action}")


def apply_scope(filters: Filters, user: User) -> Filters:
    """Return ``filters`` limited to the user's scope (unchanged for unscoped roles)."""
    if not user.scoped:
        return replace(filters, scope_sites=None, scope_teams=None)
    return replace(filters, scope_sites=user.scope_sites, scope_teams=user.scope_teams)


def configured_admins() -> set[str]:
    """E-mail addresses that are admins by configuration (the first admin of a new installation)."""
    raw = os.environ.get("CXDASH_ADMIN_EMAILS", "")
    return {e.strip().lower() for e in raw.split(",") if e.strip()}


def resolve_user(engine: Engine, email: str, name: str | None = None) -> User:
    """Look up a signed-in user's role and scope; configured admins are created on first sign-in."""
    email = email.strip().lower()
    with engine.begin() as conn:
        row = conn.execute(select(app_user).where(app_user.c.email == email)).mappings().first()
        if row is None and email in configured_admins():
            conn.execute(app_user.insert().values(email=email, name=name, role="admin", active=True,
                                                  created_at=now_utc()))
            record_audit(conn, email, "user.bootstrap_admin", "user", email, {})
            row = conn.execute(select(app_user).where(app_user.c.email == email)).mappings().first()
        if row is None or not row["active"]:
            return User(email=email, name=name or email, role=None)
        scopes = conn.execute(
            select(user_scope.c.site_id, user_scope.c.team_id).where(user_scope.c.user_id == row["id"])
        ).all()
    sites = tuple(sorted({s for s, _ in scopes if s is not None}))
    teams = tuple(sorted({t for _, t in scopes if t is not None}))
    return User(email=email, name=name or row["name"] or email, role=row["role"], scope_sites=sites, scope_teams=teams)


def save_user(
    conn: Connection,
    actor: str,
    email: str,
    role: str,
    name: str | None = None,
    site_ids: Sequence[int] = (),
    team_ids: Sequence[int] = (),
    active: bool = True,
) -> None:
    """Create or update a user with a role and scope; audited.

    Scope is kept only for team leads (other roles see all data, so a stored scope would only mislead).

    Raises:
        ValueError: unknown role, malformed e-mail, a team lead without any site or team, or an admin removing
            their own admin role (which could leave nobody to manage users).
    """
    email = email.strip().lower()
    if len(email) > 320 or not EMAIL.fullmatch(email):
        raise ValueError(f"not an e-mail address: {email[:80]!r}")
    if name is not None and len(name) > 200:
        raise ValueError("the name is longer than 200 characters")
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; use one of {', '.join(ROLES)}")
    if role == "team_lead" and not (site_ids or team_ids):
        raise ValueError("a team lead needs at least one site or team in scope")
    if actor.strip().lower() == email and (role != "admin" or not active):
        raise ValueError("you cannot remove your own admin role or deactivate yourself")
    existing = conn.execute(select(app_user.c.id).where(app_user.c.email == email)).scalar()
    if existing is None:
        existing = inserted_id(conn.execute(
            app_user.insert().values(email=email, name=name, role=role, active=active, created_at=now_utc())
        ))
    else:
        conn.execute(update(app_user).where(app_user.c.id == existing).values(name=name, role=role, active=active))
    if role != "team_lead":
        site_ids, team_ids = (), ()
    conn.execute(delete(user_scope).where(user_scope.c.user_id == existing))
    rows = [{"user_id": existing, "site_id": s, "team_id": None} for s in site_ids]
    rows += [{"user_id": existing, "site_id": None, "team_id": t} for t in team_ids]
    if rows:
        conn.execute(user_scope.insert(), rows)
    record_audit(conn, actor, "user.save", "user", email,
                 {"role": role, "sites": list(site_ids), "teams": list(team_ids), "active": active})
    bump_data_version(conn)


def list_users(engine: Engine) -> list[dict]:
    """Every user with role, active flag and scope (site and team codes)."""
    with engine.connect() as conn:
        users = conn.execute(select(app_user).order_by(app_user.c.email)).mappings().all()
        scopes = conn.execute(
            select(user_scope.c.user_id, site.c.code.label("site"), team.c.code.label("team"))
            .select_from(user_scope.outerjoin(site, site.c.id == user_scope.c.site_id)
                         .outerjoin(team, team.c.id == user_scope.c.team_id))
        ).all()
    by_user: dict[int, list[str]] = {}
    for uid, s, t in scopes:
        by_user.setdefault(uid, []).append(s or f"team:{t}")
    return [
        {"email": u["email"], "name": u["name"], "role": u["role"], "active": u["active"],
         "scope": ", ".join(sorted(by_user.get(u["id"], [])))}
        for u in users
    ]


def import_users_csv(conn: Connection, actor: str, content: bytes) -> int:
    """Bulk-create or update users from CSV with columns ``email, role[, name][, sites][, teams]``.

    ``sites`` and ``teams`` hold references separated by ``;``: a site by code or any of its names; a team as
    ``SITE/TEAM`` (site code or name, team code or name) or by a code or name only one team has. A reference
    that several units share (team ``T1`` at forty sites) is refused with the candidates listed, never resolved
    to an arbitrary one. The whole file is refused on the first bad row.

    Raises:
        ValueError: a missing column, an unknown or ambiguous site or team, or an invalid row (with its row number).
    """
    # The uploads' own reference rules, imported here: the imports package is heavy for the sign-in path.
    from cxdash.imports.refs import load_refs

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


def user_record(engine: Engine, email: str) -> dict | None:
    """One stored user (email, name, role, active, site_ids, team_ids) for the edit form, or None."""
    email = email.strip().lower()
    with engine.connect() as conn:
        row = conn.execute(select(app_user).where(app_user.c.email == email)).mappings().first()
        if row is None:
            return None
        scopes = conn.execute(
            select(user_scope.c.site_id, user_scope.c.team_id).where(user_scope.c.user_id == row["id"])
        ).all()
    return {"email": row["email"], "name": row["name"] or "", "role": row["role"], "active": bool(row["active"]),
            "site_ids": sorted({s for s, _ in scopes if s is not None}),
            "team_ids": sorted({t for _, t in scopes if t is not None})}


def user_count(engine: Engine) -> int:
    """How many users are stored."""
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(app_user)).scalar_one())


def allowed_pages(specs: Iterable, user: User) -> list:
    """The page specs (from :mod:`cxdash.ui.navigation`) whose roles include the user's role."""
    return [p for p in specs if user.role in p.roles]


def visible_units(
    engine: Engine, scope_sites: Sequence[int], scope_teams: Sequence[int]
) -> tuple[frozenset[int], frozenset[int], frozenset[int]]:
    """The ``(region ids, site ids, team ids)`` a scoped user may pick in the filters.

    Sites are those in scope plus the sites of teams in scope; teams are those in scope plus every team of a site
    in scope; regions are those of the visible sites. Other units' names never reach a team lead's sidebar.
    """
    sites, teams = set(scope_sites), set(scope_teams)
    with engine.connect() as conn:
        if teams:
            sites |= {int(s) for (s,) in conn.execute(select(team.c.site_id).where(team.c.id.in_(tuple(teams))))}
        if scope_sites:
            teams |= {int(i) for (i,) in conn.execute(select(team.c.id).where(team.c.site_id.in_(tuple(scope_sites))))}
        regions = {int(r) for (r,) in conn.execute(select(site.c.region_id).where(site.c.id.in_(tuple(sites))))
                   if r is not None} if sites else set()
    return frozenset(regions), frozenset(sites), frozenset(teams)
