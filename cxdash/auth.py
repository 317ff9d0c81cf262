"""Roles, permissions and row-level scope (Streamlit-free).

Roles: ``admin`` (everything), ``executive`` (all pages and data, read-only), ``cx_lead`` (all data, uploads,
import history, targets, SLA policies, action plans) and ``team_lead`` (read and act on plans only within the
sites or teams of their scope). Roles and scopes live in ``app_user`` / ``user_scope``; the first admins come
from configuration (``CXDASH_ADMIN_EMAILS``, comma-separated, created on their first verified sign-in). A user is
bound to the provider account (issuer and subject) of their first accepted sign-in, and every page checks the
session's age against :func:`session_lifetime` and the user's ``sessions_valid_after`` (:func:`check_sign_in`). The scope is applied to :class:`Filters` here, in
one place, so every query of every page, download and report run for a team lead is limited to it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, delete, func, select, update
from sqlalchemy.engine import Connection

from cxdash.audit import now_utc, record_audit
from cxdash.db import bump_data_version, get_setting, inserted_id, put_setting
from cxdash.filters import Filters
from cxdash.schema import app_user, site, team, user_scope

ROLES = ("admin", "executive", "cx_lead", "team_lead")
# What identity providers send: no spaces, quotes, brackets or angle brackets, a dotted domain (Unicode allowed).
EMAIL = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)+")
LOCAL_USER = "local"
SESSION_HOURS_ENV = "CXDASH_SESSION_HOURS"  # how long a sign-in lasts (hours, default 12)
DEFAULT_SESSION_HOURS = 12.0
# Issuers whose accounts may sign in without an ``email_verified`` claim (comma-separated), besides the setting.
TRUSTED_ISSUERS_ENV = "CXDASH_TRUST_UNVERIFIED_EMAIL_ISSUERS"
TRUSTED_ISSUERS_SETTING = "auth_unverified_email_issuers"
# Why a sign-in is refused (the frame shows ``auth.refused.<reason>``).
REFUSAL_REASONS = ("no_email", "unverified", "other_subject", "expired", "ended")

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


class SignInRefused(AuthError):
    """A provider sign-in this app does not accept; ``reason`` is one of :data:`REFUSAL_REASONS`."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"sign-in refused: {reason}" + (f" ({detail})" if detail else ""))
        self.reason = reason


@dataclass(frozen=True)
class SignIn:
    """What the identity provider said about a browser session's account (the claims of its ID token)."""

    email: str  # lower-cased; "" when the provider sent none
    name: str | None
    issuer: str
    subject: str
    verified: bool | None  # None: the provider sent no ``email_verified`` claim
    issued_at: datetime | None  # the ID token's ``iat``: when this session signed in (naive UTC)

    @classmethod
    def from_claims(cls, claims: Mapping[str, Any]) -> SignIn:
        """Read the claims of ``st.user`` (strings, booleans or numbers as the provider sent them)."""
        raw = claims.get("email_verified")
        verified = raw if isinstance(raw, bool) else (
            None if raw is None else str(raw).strip().lower() in ("true", "1", "yes"))
        try:
            iat = claims.get("iat")
            issued = datetime.fromtimestamp(float(iat), UTC).replace(tzinfo=None) if iat is not None else None
        except (TypeError, ValueError, OverflowError, OSError):
            issued = None
        name = claims.get("name")
        return cls(email=str(claims.get("email") or "").strip().lower(), name=str(name) if name else None,
                   issuer=str(claims.get("iss") or ""), subject=str(claims.get("sub") or ""),
                   verified=verified, issued_at=issued)


def session_lifetime() -> timedelta:
    """How long a sign-in lasts: ``CXDASH_SESSION_HOURS`` (default 12 hours; a bad value means the default)."""
    try:
        hours = float(os.environ.get(SESSION_HOURS_ENV, "") or DEFAULT_SESSION_HOURS)
    except ValueError:
        hours = DEFAULT_SESSION_HOURS
    return timedelta(hours=hours if hours > 0 else DEFAULT_SESSION_HOURS)


def trusted_issuers(conn: Connection) -> set[str]:
    """Issuers an admin allowed to sign in without an ``email_verified`` claim (setting and environment)."""
    stored = get_setting(conn, TRUSTED_ISSUERS_SETTING, []) or []
    env = os.environ.get(TRUSTED_ISSUERS_ENV, "")
    return {str(i).strip().rstrip("/") for i in [*stored, *env.split(",")] if str(i).strip()}


def stored_trusted_issuers(engine: Engine) -> list[str]:
    """The issuers an admin stored as allowed without an ``email_verified`` claim (the setting alone)."""
    with engine.connect() as conn:
        return [str(i) for i in get_setting(conn, TRUSTED_ISSUERS_SETTING, []) or []]


def save_trusted_issuers(conn: Connection, actor: str, issuers: Iterable[str]) -> list[str]:
    """Store the issuers whose missing ``email_verified`` claim is accepted; audited. Returns them, cleaned."""
    clean = sorted({i.strip().rstrip("/") for i in issuers if i.strip()})
    for issuer in clean:
        if len(issuer) > 500 or not re.fullmatch(r"https?://\S+", issuer):
            raise ValueError(f"not an issuer URL: {issuer[:80]!r}")
    put_setting(conn, TRUSTED_ISSUERS_SETTING, clean)
    record_audit(conn, actor, "edit_settings", "setting", TRUSTED_ISSUERS_SETTING, {"issuers": clean})
    return clean


def check_sign_in(engine: Engine, sign_in: SignIn, now: datetime | None = None) -> User:
    """The user of a provider sign-in, checked on every page: identity, verification and session validity.

    The e-mail must be verified (``email_verified`` true, or absent for an issuer an admin trusts); a stored user
    is bound to the issuer and subject of their first accepted sign-in, and another subject for that e-mail is
    refused; the session must be younger than :func:`session_lifetime` and not older than the user's last
    sign-out, deactivation or role change. A configured admin (``CXDASH_ADMIN_EMAILS``) is created on their
    first sign-in only with a verified e-mail.

    Raises:
        SignInRefused: the reason why this sign-in is not accepted (audit it with :func:`record_refusal`).
    """
    now = now or now_utc()
    if not sign_in.email or not sign_in.subject:
        raise SignInRefused("no_email")
    with engine.begin() as conn:
        if sign_in.verified is False or (
                sign_in.verified is None and sign_in.issuer.rstrip("/") not in trusted_issuers(conn)):
            raise SignInRefused("unverified", sign_in.email)
        if sign_in.issued_at is None or now - sign_in.issued_at > session_lifetime():
            raise SignInRefused("expired")
        row = conn.execute(select(app_user).where(app_user.c.email == sign_in.email)).mappings().first()
        if row is None and sign_in.email in configured_admins() and sign_in.verified is True:
            conn.execute(app_user.insert().values(email=sign_in.email, name=sign_in.name, role="admin", active=True,
                                                  created_at=now, issuer=sign_in.issuer, subject=sign_in.subject))
            record_audit(conn, sign_in.email, "user.bootstrap_admin", "user", sign_in.email,
                         {"issuer": sign_in.issuer, "subject": sign_in.subject})
            row = conn.execute(select(app_user).where(app_user.c.email == sign_in.email)).mappings().first()
        if row is None:
            return User(email=sign_in.email, name=sign_in.name or sign_in.email, role=None)
        if row["subject"] is None:
            conn.execute(update(app_user).where(app_user.c.id == row["id"])
                         .values(issuer=sign_in.issuer, subject=sign_in.subject))
            record_audit(conn, sign_in.email, "user.bind", "user", sign_in.email,
                         {"issuer": sign_in.issuer, "subject": sign_in.subject})
        elif (row["issuer"], row["subject"]) != (sign_in.issuer, sign_in.subject):
            raise SignInRefused("other_subject", sign_in.email)
        valid_after = row["sessions_valid_after"]
        if valid_after is not None and sign_in.issued_at < valid_after.replace(microsecond=0):
            raise SignInRefused("ended")
    return resolve_user(engine, sign_in.email, sign_in.name)


def record_refusal(engine: Engine, sign_in: SignIn, reason: str) -> None:
    """Write a refused sign-in to the audit log (who tried, from which provider account, and why)."""
    with engine.begin() as conn:
        record_audit(conn, sign_in.email or sign_in.subject or "?", "user.sign_in_refused", "user",
                     sign_in.email or None,
                     {"reason": reason, "issuer": sign_in.issuer, "subject": sign_in.subject,
                      "email_verified": sign_in.verified})


def end_sessions(conn: Connection, email: str, now: datetime | None = None) -> None:
    """End every session of ``email`` signed in until now (sign-out everywhere); a later sign-in is needed."""
    conn.execute(update(app_user).where(app_user.c.email == email.strip().lower())
                 .values(sessions_valid_after=now or now_utc()))


def reset_identity(conn: Connection, actor: str, email: str) -> None:
    """Forget the provider account bound to ``email`` (it moved to another provider); its next verified sign-in
    binds again. Ends the user's sessions; audited."""
    email = email.strip().lower()
    conn.execute(update(app_user).where(app_user.c.email == email)
                 .values(issuer=None, subject=None, sessions_valid_after=now_utc()))
    record_audit(conn, actor, "user.reset_identity", "user", email, {})


def resolve_user(engine: Engine, email: str, name: str | None = None) -> User:
    """Look up a stored user's role and scope (nobody stored or inactive: role None).

    Only the role lookup: a browser sign-in goes through :func:`check_sign_in` first.
    """
    email = email.strip().lower()
    with engine.connect() as conn:
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
    before = conn.execute(select(app_user.c.id, app_user.c.role, app_user.c.active)
                          .where(app_user.c.email == email)).first()
    if before is None:
        existing = inserted_id(conn.execute(
            app_user.insert().values(email=email, name=name, role=role, active=active, created_at=now_utc())
        ))
    else:
        existing = before.id
        values: dict[str, Any] = {"name": name, "role": role, "active": active}
        if (before.role, bool(before.active)) != (role, active):  # open sessions were granted the old rights
            values["sessions_valid_after"] = now_utc()
        conn.execute(update(app_user).where(app_user.c.id == existing).values(**values))
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
    """Every user with role, active flag, scope (site and team codes) and bound provider account (issuer · subject,
    empty until their first sign-in)."""
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
         "scope": ", ".join(sorted(by_user.get(u["id"], []))),
         "identity": f"{u['issuer']} · {u['subject']}" if u["subject"] is not None else ""}
        for u in users
    ]


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
